//! Hostile tokens and requests, over HTTP, against a quickstart-like router
//! (HS256) and asymmetric ones (RS256, ES256).
//!
//! Every attack must be refused with a 4xx JSON error (never 200, never 5xx,
//! never a panic), with the reference's status and message wherever the
//! reference (Flask-JWT-Extended 4.7.1 on PyJWT 2.15.1) answers with one.
//! After each attack the same router must still serve a valid request.
//!
//! The reference's answers were captured with `interop/attack_reference.py`;
//! each case says whether we match it (`Ref::Same`), where the reference
//! crashes with a 500 (`Ref::Crash`), or where it answers differently and why
//! (`Ref::Differs`). SECURITY.md summarises the deviations.

mod common;

use std::io::ErrorKind as IoErrorKind;
use std::net::TcpListener;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::http::{HeaderValue, Method};
use axum::routing::{get, post};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use common::*;
use jwt_extended::axum::{FlaskJson, Fresh, Jwt, JwtLayer, JwtRejection};
use jwt_extended::config::TokenLocation;
use jwt_extended::jsonwebtoken::{Algorithm, DecodingKey, EncodingKey};
use jwt_extended::{JwtConfig, JwtManager};
use serde_json::{Map, Value, json};

// ---------------------------------------------------------------- fixtures

fn key(name: &str) -> Vec<u8> {
    let path = format!("{}/tests/fixtures/keys/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read(&path).unwrap_or_else(|e| panic!("cannot read {path}: {e}"))
}

/// The crate's algorithm for a `jsonwebtoken` one (for the configuration).
fn ours(alg: Algorithm) -> jwt_extended::Algorithm {
    alg.try_into().unwrap_or_else(|e| panic!("{e}"))
}

fn b64(bytes: impl AsRef<[u8]>) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

/// Signs `header.payload` (both given as raw JSON text) with a key.
fn sign_raw(header: &str, payload: &str, key: &EncodingKey, alg: Algorithm) -> String {
    let message = format!("{}.{}", b64(header), b64(payload));
    let signature = jwt_extended::jsonwebtoken::crypto::sign(message.as_bytes(), key, alg)
        .unwrap_or_else(|e| panic!("cannot sign: {e}"));
    format!("{message}.{signature}")
}

fn sign(header: &Value, claims: &Value, key: &EncodingKey, alg: Algorithm) -> String {
    sign_raw(&header.to_string(), &claims.to_string(), key, alg)
}

/// An unsigned token with an explicit signature segment.
fn unsigned(header: &str, payload: &str, signature: &[u8]) -> String {
    format!("{}.{}.{}", b64(header), b64(payload), b64(signature))
}

fn hmac_key(secret: &[u8]) -> EncodingKey {
    EncodingKey::from_secret(secret).unwrap_or_else(|e| panic!("hmac key: {e}"))
}

fn rsa_key(name: &str) -> EncodingKey {
    EncodingKey::from_rsa_pem(&key(name)).unwrap_or_else(|e| panic!("{name}: {e}"))
}

fn ec_key(name: &str) -> EncodingKey {
    EncodingKey::from_ec_pem(&key(name)).unwrap_or_else(|e| panic!("{name}: {e}"))
}

/// The claims the quickstart's login would put in a token, with overrides
/// (`Value::Null` in `overrides` under the key `"-name"` drops `name`).
fn claims_with(overrides: Value) -> Value {
    let now = now();
    let mut claims = json!({
        "fresh": false, "iat": now, "jti": "6d1a4f0e-7c34-4b40-9c0a-2a8f2f3f2c11",
        "type": "access", "sub": "testuser", "nbf": now, "exp": now + 900,
    });
    if let (Some(base), Value::Object(changes)) = (claims.as_object_mut(), overrides) {
        for (name, value) in changes {
            match name.strip_prefix('-') {
                Some(dropped) => {
                    base.remove(dropped);
                }
                None => {
                    base.insert(name, value);
                }
            }
        }
    }
    claims
}

fn claims() -> Value {
    claims_with(json!({}))
}

const HS: &str = r#"{"alg":"HS256","typ":"JWT"}"#;

fn hs_header() -> Value {
    json!({"alg": "HS256", "typ": "JWT"})
}

/// A token signed with the test secret (HS256), from raw header and payload text.
fn hs_raw(header: &str, payload: &str) -> String {
    sign_raw(
        header,
        payload,
        &hmac_key(SECRET.as_bytes()),
        Algorithm::HS256,
    )
}

/// A token signed with the test secret (HS256).
fn hs(header: &Value, claims: &Value) -> String {
    hs_raw(&header.to_string(), &claims.to_string())
}

// ---------------------------------------------------------------- routers

async fn login(
    axum::extract::State(jwt): axum::extract::State<JwtManager>,
) -> Result<FlaskJson<Value>, JwtRejection> {
    Ok(FlaskJson(
        json!({ "access_token": jwt.create_access_token("testuser")? }),
    ))
}

async fn protected(token: Jwt) -> FlaskJson<Value> {
    FlaskJson(json!({ "logged_in_as": token.identity() }))
}

async fn fresh_only(token: Jwt<Fresh>) -> FlaskJson<Value> {
    FlaskJson(json!({ "fresh_as": token.identity() }))
}

/// A router under attack, and a request that must keep working.
struct Target {
    name: &'static str,
    app: Router,
    valid: String,
}

impl Target {
    fn new(name: &'static str, jwt: JwtManager) -> Self {
        let valid = jwt
            .create_access_token("testuser")
            .unwrap_or_else(|e| panic!("cannot create a token: {e}"));
        let app = Router::new()
            .route("/login", post(login))
            .route("/protected", get(protected).post(protected))
            .route("/fresh", get(fresh_only))
            .layer(JwtLayer::new(jwt.clone()))
            .with_state(jwt);
        Self { name, app, valid }
    }

    /// The quickstart: HS256, the test secret, headers only.
    fn hs256() -> Self {
        Self::new("HS256", manager())
    }

    /// HS256 without a token size limit (`JWT_MAX_TOKEN_SIZE` at its
    /// maximum), so that huge tokens reach the parser: its bounds must hold
    /// for applications that raise the limit.
    fn hs256_unbounded() -> Self {
        Self::new(
            "HS256, no size limit",
            manager_with(JwtConfig::new().with_max_token_size(usize::MAX)),
        )
    }

    fn asymmetric(name: &'static str, alg: Algorithm, private: &str, public: &str) -> Self {
        let public = String::from_utf8(key(public)).unwrap_or_default();
        let config = JwtConfig::new()
            .with_algorithm(ours(alg))
            .with_private_key(key(private))
            .with_public_key(public);
        Self::new(name, build(config))
    }

    fn rs256() -> Self {
        Self::asymmetric(
            "RS256",
            Algorithm::RS256,
            "rsa2048_private.pem",
            "rsa2048_public.pem",
        )
    }

    fn es256() -> Self {
        Self::asymmetric(
            "ES256",
            Algorithm::ES256,
            "ec256_private.pem",
            "ec256_public.pem",
        )
    }

    /// Sends one request and checks the invariants every attack must keep,
    /// then checks that a valid request still succeeds.
    async fn expect(&self, case: &str, request: axum::http::Request<Body>, status: u16, msg: &str) {
        let response = tokio::time::timeout(Duration::from_secs(30), send(&self.app, request))
            .await
            .unwrap_or_else(|_| panic!("[{} {case}] no answer within 30 s", self.name));
        let code = response.status.as_u16();
        assert!(
            (400..500).contains(&code),
            "[{} {case}] status {code} is not a 4xx: {}",
            self.name,
            response.text()
        );
        assert_eq!(
            response
                .headers
                .get("content-type")
                .map(HeaderValue::as_bytes),
            Some(&b"application/json"[..]),
            "[{} {case}] not a JSON error",
            self.name
        );
        assert_eq!(
            (code, response.msg().as_str()),
            (status, msg),
            "[{} {case}] body: {}",
            self.name,
            response.text()
        );
        self.still_serving(case).await;
    }

    async fn still_serving(&self, after: &str) {
        let ok = http_get_bearer(&self.app, "/protected", &self.valid).await;
        assert_eq!(
            ok.status.as_u16(),
            200,
            "[{} after {after}] the valid token stopped working: {}",
            self.name,
            ok.text()
        );
    }

    /// `GET /protected` with `Authorization: <value>` (raw bytes allowed).
    async fn authorization(&self, case: &str, value: &[u8], status: u16, msg: &str) {
        let value = HeaderValue::from_bytes(value)
            .unwrap_or_else(|e| panic!("[{case}] not a header value: {e}"));
        let request = request(Method::GET, "/protected")
            .header("authorization", value)
            .body(Body::empty())
            .unwrap_or_default();
        self.expect(case, request, status, msg).await;
    }

    /// `GET /protected` with `Authorization: Bearer <token>`.
    async fn bearer(&self, case: &str, token: &str, status: u16, msg: &str, reference: Ref) {
        reference.note(case);
        self.authorization(case, format!("Bearer {token}").as_bytes(), status, msg)
            .await;
    }
}

fn build(config: JwtConfig) -> JwtManager {
    JwtManager::new(config).unwrap_or_else(|e| panic!("test config is invalid: {e}"))
}

/// What the reference answers to the same input.
#[derive(Debug, Clone, Copy)]
enum Ref {
    /// The same status and message.
    Same,
    /// HTTP 500 (an unhandled exception in Flask-JWT-Extended or PyJWT).
    Crash,
    /// Something else; the text says what and why we differ.
    Differs(&'static str),
}

impl Ref {
    /// Says in the test output where we knowingly answer differently.
    fn note(self, case: &str) {
        match self {
            Self::Same => {}
            Self::Crash => eprintln!("[{case}] the reference answers 500 here"),
            Self::Differs(why) => eprintln!("[{case}] differs from the reference: {why}"),
        }
    }
}

const NOT_ALLOWED: &str = "The specified alg value is not allowed";
const BAD_SIGNATURE: &str = "Signature verification failed";

// ---------------------------------------------------------------- alg none

#[tokio::test]
async fn alg_none_in_every_spelling_is_refused() {
    for target in [Target::hs256(), Target::rs256(), Target::es256()] {
        for spelling in ["none", "None", "NONE", "nOnE"] {
            let header = format!(r#"{{"alg":"{spelling}","typ":"JWT"}}"#);
            let payload = claims().to_string();
            // No signature at all, the classic form.
            let bare = format!("{}.{}.", b64(&header), b64(&payload));
            target
                .bearer(
                    &format!("alg {spelling}, empty signature"),
                    &bare,
                    422,
                    NOT_ALLOWED,
                    Ref::Same,
                )
                .await;
            // A signature made with the real HS256 secret does not help.
            let signed = hs_raw(&header, &payload);
            target
                .bearer(
                    &format!("alg {spelling}, HS256 signature"),
                    &signed,
                    422,
                    NOT_ALLOWED,
                    Ref::Same,
                )
                .await;
            // Garbage signature bytes.
            let junk = unsigned(&header, &payload, b"not a signature");
            target
                .bearer(
                    &format!("alg {spelling}, junk signature"),
                    &junk,
                    422,
                    NOT_ALLOWED,
                    Ref::Same,
                )
                .await;
        }
    }
}

// ---------------------------------------------------------------- signatures

#[tokio::test]
async fn stripped_empty_and_borrowed_signatures_are_refused() {
    let target = Target::hs256();
    let mut parts = target.valid.split('.');
    let (head, payload, signature) = (
        parts.next().unwrap_or_default(),
        parts.next().unwrap_or_default(),
        parts.next().unwrap_or_default(),
    );
    target
        .bearer(
            "empty signature",
            &format!("{head}.{payload}."),
            422,
            BAD_SIGNATURE,
            Ref::Same,
        )
        .await;
    target
        .bearer(
            "two segments",
            &format!("{head}.{payload}"),
            422,
            "Not enough segments",
            Ref::Same,
        )
        .await;
    let admin = b64(claims_with(json!({"sub": "admin"})).to_string());
    target
        .bearer(
            "signature borrowed from another token",
            &format!("{head}.{admin}.{signature}"),
            422,
            BAD_SIGNATURE,
            Ref::Same,
        )
        .await;
    let truncated = &signature[..signature.len() - 3]; // 43 -> 40 chars: still canonical base64
    target
        .bearer(
            "truncated signature",
            &format!("{head}.{payload}.{truncated}"),
            422,
            BAD_SIGNATURE,
            Ref::Same,
        )
        .await;
    target
        .bearer(
            "signature with extra bytes",
            &format!("{head}.{payload}.{signature}AAAA"),
            422,
            BAD_SIGNATURE,
            Ref::Same,
        )
        .await;
    let other = sign(
        &hs_header(),
        &claims(),
        &hmac_key(b"another-secret"),
        Algorithm::HS256,
    );
    target
        .bearer("another secret", &other, 422, BAD_SIGNATURE, Ref::Same)
        .await;
    // Same secret, another HMAC: HS512 is outside the allow-list.
    let hs512 = sign(
        &json!({"alg": "HS512"}),
        &claims(),
        &hmac_key(SECRET.as_bytes()),
        Algorithm::HS512,
    );
    target
        .bearer(
            "HS512 with the right secret",
            &hs512,
            422,
            NOT_ALLOWED,
            Ref::Same,
        )
        .await;
}

#[tokio::test]
async fn attacker_keys_and_key_confusion_are_refused() {
    // RS256 app: HMAC keyed with the public key PEM (the classic confusion).
    let rs = Target::rs256();
    let public_pem = key("rsa2048_public.pem");
    let confused = sign(
        &json!({"alg": "HS256", "typ": "JWT"}),
        &claims(),
        &hmac_key(&public_pem),
        Algorithm::HS256,
    );
    rs.bearer(
        "HS256 keyed with the RSA public PEM",
        &confused,
        422,
        NOT_ALLOWED,
        Ref::Same,
    )
    .await;
    let attacker = sign(
        &json!({"alg": "RS256"}),
        &claims(),
        &rsa_key("rsa2048_other_private.pem"),
        Algorithm::RS256,
    );
    rs.bearer("attacker RSA key", &attacker, 422, BAD_SIGNATURE, Ref::Same)
        .await;
    let attacker_pkcs1 = sign(
        &json!({"alg": "RS256"}),
        &claims(),
        &rsa_key("rsa2048_other_pkcs1_private.pem"),
        Algorithm::RS256,
    );
    rs.bearer(
        "attacker RSA key (PKCS#1)",
        &attacker_pkcs1,
        422,
        BAD_SIGNATURE,
        Ref::Same,
    )
    .await;
    // The app's own private key, but another algorithm than the allowed one.
    for (alg, name) in [
        (Algorithm::PS256, "PS256"),
        (Algorithm::RS384, "RS384"),
        (Algorithm::RS512, "RS512"),
    ] {
        let swapped = sign(
            &json!({"alg": name}),
            &claims(),
            &rsa_key("rsa2048_private.pem"),
            alg,
        );
        rs.bearer(
            &format!("{name} with the app's own RSA key"),
            &swapped,
            422,
            NOT_ALLOWED,
            Ref::Same,
        )
        .await;
    }
    let ec_on_rs = sign(
        &json!({"alg": "ES256"}),
        &claims(),
        &ec_key("ec256_attacker_private.pem"),
        Algorithm::ES256,
    );
    rs.bearer(
        "ES256 token on an RS256 app",
        &ec_on_rs,
        422,
        NOT_ALLOWED,
        Ref::Same,
    )
    .await;
    let zeros = unsigned(r#"{"alg":"RS256"}"#, &claims().to_string(), &[0; 256]);
    rs.bearer(
        "all-zero RSA signature",
        &zeros,
        422,
        BAD_SIGNATURE,
        Ref::Same,
    )
    .await;

    // ES256 app.
    let es = Target::es256();
    let ec_public = key("ec256_public.pem");
    let confused = sign(
        &json!({"alg": "HS256"}),
        &claims(),
        &hmac_key(&ec_public),
        Algorithm::HS256,
    );
    es.bearer(
        "HS256 keyed with the EC public PEM",
        &confused,
        422,
        NOT_ALLOWED,
        Ref::Same,
    )
    .await;
    let attacker = sign(
        &json!({"alg": "ES256"}),
        &claims(),
        &ec_key("ec256_attacker_private.pem"),
        Algorithm::ES256,
    );
    es.bearer("attacker EC key", &attacker, 422, BAD_SIGNATURE, Ref::Same)
        .await;
    // CVE-2022-21449 ("psychic signatures"): r = s = 0 must never verify.
    let psychic = unsigned(r#"{"alg":"ES256"}"#, &claims().to_string(), &[0; 64]);
    es.bearer("ECDSA r = s = 0", &psychic, 422, BAD_SIGNATURE, Ref::Same)
        .await;
    let short = unsigned(r#"{"alg":"ES256"}"#, &claims().to_string(), &[1; 63]);
    es.bearer(
        "ECDSA signature of the wrong length",
        &short,
        422,
        BAD_SIGNATURE,
        Ref::Same,
    )
    .await;
    let es384 = sign(
        &json!({"alg": "ES384"}),
        &claims(),
        &ec_key("ec384_private.pem"),
        Algorithm::ES384,
    );
    es.bearer(
        "ES384 token on an ES256 app",
        &es384,
        422,
        NOT_ALLOWED,
        Ref::Same,
    )
    .await;
    let rs_on_es = sign(
        &json!({"alg": "RS256"}),
        &claims(),
        &rsa_key("rsa2048_other_private.pem"),
        Algorithm::RS256,
    );
    es.bearer(
        "RS256 token on an ES256 app",
        &rs_on_es,
        422,
        NOT_ALLOWED,
        Ref::Same,
    )
    .await;
}

#[tokio::test]
async fn mixed_allow_list_never_uses_a_public_key_as_an_hmac_secret() {
    // RS256 app that also accepts HS256 (JWT_DECODE_ALGORITHMS): the default
    // key is the RSA public key, which must never act as an HMAC secret.
    for (alg, private, public) in [
        (
            Algorithm::RS256,
            "rsa2048_private.pem",
            "rsa2048_public.pem",
        ),
        (Algorithm::ES256, "ec256_private.pem", "ec256_public.pem"),
    ] {
        let public_pem = key(public);
        let config = JwtConfig::new()
            .with_algorithm(ours(alg))
            .with_decode_algorithms([ours(alg), jwt_extended::Algorithm::HS256])
            .with_private_key(key(private))
            .with_public_key(String::from_utf8(public_pem.clone()).unwrap_or_default());
        let target = Target::new("mixed", build(config));
        let confused = sign(
            &json!({"alg": "HS256"}),
            &claims(),
            &hmac_key(&public_pem),
            Algorithm::HS256,
        );
        target
            .bearer(
                "HS256 keyed with the public PEM, HS256 allowed",
                &confused,
                422,
                BAD_SIGNATURE,
                Ref::Crash, // PyJWT raises InvalidKeyError, unhandled
            )
            .await;
    }
}

// ---------------------------------------------------------------- header injection

/// A local port that counts connections: proof that `jku`/`x5u` are never
/// fetched.
struct Tripwire(TcpListener);

impl Tripwire {
    fn new() -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap_or_else(|e| panic!("bind: {e}"));
        listener
            .set_nonblocking(true)
            .unwrap_or_else(|e| panic!("nonblocking: {e}"));
        Self(listener)
    }

    fn url(&self, path: &str) -> String {
        let addr = self.0.local_addr().unwrap_or_else(|e| panic!("addr: {e}"));
        format!("http://{addr}/{path}")
    }

    #[track_caller]
    fn assert_untouched(&self) {
        match self.0.accept() {
            Err(e) if e.kind() == IoErrorKind::WouldBlock => {}
            Ok((_, peer)) => panic!("something connected to the jku/x5u URL from {peer}"),
            Err(e) => panic!("accept: {e}"),
        }
    }
}

/// Header parameters that point at attacker-controlled key material.
fn injected_headers(alg: &str, tripwire: &Tripwire, jwk: Value) -> Vec<(&'static str, Value)> {
    vec![
        ("jwk", json!({"alg": alg, "jwk": jwk})),
        (
            "jku",
            json!({"alg": alg, "jku": tripwire.url("jwks.json"), "kid": "attacker"}),
        ),
        ("x5u", json!({"alg": alg, "x5u": tripwire.url("cert.pem")})),
        (
            "x5c",
            json!({"alg": alg, "x5c": ["MIIBszCCAVmgAwIBAgIUQ=="]}),
        ),
        (
            "kid path traversal",
            json!({"alg": alg, "kid": "../../../../etc/passwd"}),
        ),
        (
            "kid SQL injection",
            json!({"alg": alg, "kid": "' UNION SELECT 'attacker' --"}),
        ),
        ("kid URL", json!({"alg": alg, "kid": tripwire.url("kid")})),
    ]
}

#[tokio::test]
async fn jwk_jku_x5u_kid_headers_are_ignored_and_never_fetched() {
    let tripwire = Tripwire::new();
    // HS256: the attacker embeds their own symmetric key.
    let hs_app = Target::hs256();
    let attacker_secret = b"attacker-secret";
    let oct = json!({"kty": "oct", "k": b64(attacker_secret)});
    for (case, header) in injected_headers("HS256", &tripwire, oct) {
        let token = sign(
            &header,
            &claims(),
            &hmac_key(attacker_secret),
            Algorithm::HS256,
        );
        hs_app
            .bearer(
                &format!("HS256 {case}"),
                &token,
                422,
                BAD_SIGNATURE,
                Ref::Same,
            )
            .await;
    }
    // RS256 and ES256: the attacker embeds their own public key.
    let rsa_attacker = rsa_key("rsa2048_other_private.pem");
    let ec_attacker = ec_key("ec256_attacker_private.pem");
    for (target, alg, name, attacker) in [
        (Target::rs256(), Algorithm::RS256, "RS256", &rsa_attacker),
        (Target::es256(), Algorithm::ES256, "ES256", &ec_attacker),
    ] {
        let jwk = jwt_extended::jsonwebtoken::jwk::Jwk::from_encoding_key(attacker, alg)
            .unwrap_or_else(|e| panic!("jwk: {e}"));
        let jwk = serde_json::to_value(jwk).unwrap_or_default();
        for (case, header) in injected_headers(name, &tripwire, jwk) {
            let token = sign(&header, &claims(), attacker, alg);
            target
                .bearer(
                    &format!("{name} {case}"),
                    &token,
                    422,
                    BAD_SIGNATURE,
                    Ref::Same,
                )
                .await;
        }
    }
    // A non-string kid is refused before any key is chosen.
    let token = hs(&json!({"alg": "HS256", "kid": 7}), &claims());
    hs_app
        .bearer(
            "kid is a number",
            &token,
            422,
            "Key ID header parameter must be a string",
            Ref::Same,
        )
        .await;
    tripwire.assert_untouched();
}

#[tokio::test]
async fn only_the_apps_own_key_loader_sees_the_header() {
    let tripwire = Tripwire::new();
    let seen: Arc<Mutex<Vec<Map<String, Value>>>> = Arc::default();
    let record = seen.clone();
    let key = Arc::new(
        DecodingKey::from_secret(SECRET.as_bytes()).unwrap_or_else(|e| panic!("key: {e}")),
    );
    let jwt = JwtManager::builder(JwtConfig::new().with_secret_key(SECRET))
        .decode_key_loader(
            move |header: &Map<String, Value>, _claims: &Map<String, Value>| {
                if let Ok(mut calls) = record.lock() {
                    calls.push(header.clone());
                }
                let key = key.clone();
                async move { Ok(key) }
            },
        )
        .build()
        .unwrap_or_else(|e| panic!("build: {e}"));
    let target = Target::new("HS256 + key loader", jwt);
    let attacker_secret = b"attacker-secret";
    let oct = json!({"kty": "oct", "k": b64(attacker_secret)});
    let cases = injected_headers("HS256", &tripwire, oct);
    for (case, header) in &cases {
        let token = sign(
            header,
            &claims(),
            &hmac_key(attacker_secret),
            Algorithm::HS256,
        );
        target
            .bearer(case, &token, 422, BAD_SIGNATURE, Ref::Same)
            .await;
    }
    tripwire.assert_untouched();
    let calls = seen.lock().map(|c| c.clone()).unwrap_or_default();
    // One call per attack and one per valid follow-up request, nothing else.
    assert_eq!(calls.len(), cases.len() * 2, "{calls:?}");
    for ((case, header), call) in cases.iter().zip(calls.iter().step_by(2)) {
        assert_eq!(
            &Value::Object(call.clone()),
            header,
            "{case}: the loader got another header"
        );
    }
    // Structural errors are found before the loader is asked for a key.
    let before = calls.len();
    target
        .bearer(
            "garbage",
            &format!("{}.{}.", b64("nope"), b64("{}")),
            422,
            "Invalid header string: Expecting value: line 1 column 1 (char 0)",
            Ref::Same,
        )
        .await;
    let after = seen.lock().map(|c| c.len()).unwrap_or_default();
    assert_eq!(
        after,
        before + 1,
        "only the valid follow-up request reached the loader"
    );
}

#[tokio::test]
async fn crit_and_b64_extensions_are_refused() {
    let target = Target::hs256();
    let payload = claims().to_string();
    let cases: [(&str, String, &str); 5] = [
        (
            "unknown crit",
            r#"{"alg":"HS256","crit":["foo"],"foo":1}"#.into(),
            "Unsupported critical extension: foo",
        ),
        (
            "crit not a list",
            r#"{"alg":"HS256","crit":"foo"}"#.into(),
            "Invalid 'crit' header: must be a non-empty list",
        ),
        (
            "crit empty",
            r#"{"alg":"HS256","crit":[]}"#.into(),
            "Invalid 'crit' header: must be a non-empty list",
        ),
        (
            "crit number",
            r#"{"alg":"HS256","crit":[1]}"#.into(),
            "Invalid 'crit' header: values must be strings",
        ),
        (
            "b64 false",
            r#"{"alg":"HS256","b64":false,"crit":["b64"]}"#.into(),
            "Payload segment must be empty when 'b64' is false.",
        ),
    ];
    for (case, header, msg) in cases {
        target
            .bearer(case, &hs_raw(&header, &payload), 422, msg, Ref::Same)
            .await;
    }
}

#[tokio::test]
async fn algorithms_outside_the_allow_list_are_refused() {
    let target = Target::hs256();
    let payload = claims().to_string();
    for alg in [
        r#""HS512""#,
        r#""HS384""#,
        r#""RS256""#,
        r#""ES512""#,
        r#""ES256K""#,
        r#""EdDSA""#,
        r#""XYZ""#,
        r#""""#,
        r#""hs256""#,
        r#""HS256 ""#,
        "256",
        "null",
        "true",
        r#"["HS256"]"#,
        r#"{"name":"HS256"}"#,
    ] {
        let header = format!(r#"{{"alg":{alg}}}"#);
        target
            .bearer(
                &format!("alg {alg}"),
                &hs_raw(&header, &payload),
                422,
                NOT_ALLOWED,
                Ref::Same,
            )
            .await;
    }
    target
        .bearer(
            "no alg",
            &hs_raw(r#"{"typ":"JWT"}"#, &payload),
            422,
            "Algorithm not specified",
            Ref::Same,
        )
        .await;
    // Duplicate keys: the last one wins, in Python and here alike.
    target
        .bearer(
            "alg duplicated, last none",
            &hs_raw(r#"{"alg":"HS256","alg":"none"}"#, &payload),
            422,
            NOT_ALLOWED,
            Ref::Same,
        )
        .await;
}

// ---------------------------------------------------------------- claims

#[tokio::test]
async fn time_claims_of_the_wrong_type_or_range() {
    let target = Target::hs256();
    let h = hs_header();
    let now = now();
    let exp_int = "Expiration Time claim (exp) must be an integer.";
    let cases: Vec<(&str, Value, u16, &str, Ref)> = vec![
        // Numeric strings are read like Python's int(): a past one is expired,
        // never "absent" (the jsonwebtoken CVE-2026-25537 pattern).
        (
            "exp numeric string in the past",
            json!({"exp": "1"}),
            401,
            "Token has expired",
            Ref::Same,
        ),
        (
            "exp numeric string with spaces",
            json!({"exp": " 100 "}),
            401,
            "Token has expired",
            Ref::Same,
        ),
        (
            "exp word",
            json!({"exp": "tomorrow"}),
            422,
            exp_int,
            Ref::Same,
        ),
        (
            "exp float string",
            json!({"exp": "9999999999.5"}),
            422,
            exp_int,
            Ref::Same,
        ),
        (
            "exp exponent string",
            json!({"exp": "1e10"}),
            422,
            exp_int,
            Ref::Same,
        ),
        (
            "exp empty string",
            json!({"exp": ""}),
            422,
            exp_int,
            Ref::Same,
        ),
        (
            "exp float in the past",
            json!({"exp": 1.5}),
            401,
            "Token has expired",
            Ref::Same,
        ),
        (
            "exp now as float",
            json!({"exp": now as f64 + 0.9}),
            401,
            "Token has expired",
            Ref::Same,
        ),
        (
            "exp negative",
            json!({"exp": -1}),
            401,
            "Token has expired",
            Ref::Same,
        ),
        (
            "exp hugely negative",
            json!({"exp": -1e300}),
            401,
            "Token has expired",
            Ref::Same,
        ),
        (
            "exp i64::MIN",
            json!({"exp": i64::MIN}),
            401,
            "Token has expired",
            Ref::Same,
        ),
        (
            "exp true",
            json!({"exp": true}),
            401,
            "Token has expired",
            Ref::Same,
        ),
        (
            "exp false",
            json!({"exp": false}),
            401,
            "Token has expired",
            Ref::Same,
        ),
        ("exp null", json!({"exp": null}), 422, exp_int, Ref::Same),
        (
            "exp list",
            json!({"exp": [now + 900]}),
            422,
            exp_int,
            Ref::Same,
        ),
        (
            "exp object",
            json!({"exp": {"$gt": 0}}),
            422,
            exp_int,
            Ref::Same,
        ),
        // The exact token of the CVE-2026-25537 advisory: nbf as a string.
        (
            "nbf string in the future",
            json!({"nbf": "99999999999", "exp": 10_000_000_000_i64}),
            422,
            "The token is not yet valid (nbf)",
            Ref::Same,
        ),
        (
            "nbf float in the future",
            json!({"nbf": now as f64 + 3600.5}),
            422,
            "The token is not yet valid (nbf)",
            Ref::Same,
        ),
        (
            "nbf u64::MAX",
            json!({"nbf": u64::MAX}),
            422,
            "The token is not yet valid (nbf)",
            Ref::Same,
        ),
        (
            "nbf 1e300",
            json!({"nbf": 1e300}),
            422,
            "The token is not yet valid (nbf)",
            Ref::Same,
        ),
        (
            "nbf word",
            json!({"nbf": "soon"}),
            422,
            "Not Before claim (nbf) must be an integer.",
            Ref::Same,
        ),
        (
            "nbf object",
            json!({"nbf": {}}),
            422,
            "Not Before claim (nbf) must be an integer.",
            Ref::Same,
        ),
        (
            "nbf null",
            json!({"nbf": null}),
            422,
            "Not Before claim (nbf) must be an integer.",
            Ref::Same,
        ),
        (
            "iat huge",
            json!({"iat": 1e30}),
            422,
            "The token is not yet valid (iat)",
            Ref::Same,
        ),
        (
            "iat string in the future",
            json!({"iat": "99999999999"}),
            422,
            "The token is not yet valid (iat)",
            Ref::Same,
        ),
        (
            "iat word",
            json!({"iat": "now"}),
            422,
            "Issued At claim (iat) must be an integer.",
            Ref::Same,
        ),
        (
            "iat list",
            json!({"iat": []}),
            422,
            "Issued At claim (iat) must be an integer.",
            Ref::Same,
        ),
    ];
    for (case, overrides, status, msg, reference) in cases {
        target
            .bearer(
                case,
                &hs(&h, &claims_with(overrides)),
                status,
                msg,
                reference,
            )
            .await;
    }
    // Literals Python reads as floats but JSON does not allow.
    for (case, payload) in [
        ("exp 1e400", r#"{"sub":"testuser","exp":1e400}"#),
        ("exp NaN", r#"{"sub":"testuser","exp":NaN}"#),
        ("exp Infinity", r#"{"sub":"testuser","exp":Infinity}"#),
    ] {
        let response = http_get_bearer(&target.app, "/protected", &hs_raw(HS, payload)).await;
        // The reference says `Expiration Time claim (exp) must be an integer.`
        // (422); we refuse the payload itself, also with 422.
        assert_eq!(response.status.as_u16(), 422, "{case}: {}", response.text());
        assert!(
            response
                .msg()
                .starts_with("Invalid payload string: unsupported JSON"),
            "{case}: {}",
            response.text()
        );
        target.still_serving(case).await;
    }
}

#[tokio::test]
async fn identity_and_jti_claims_of_the_wrong_type() {
    let target = Target::hs256();
    let h = hs_header();
    let cases: Vec<(&str, Value, &str)> = vec![
        ("sub missing", json!({"-sub": null}), "Missing claim: sub"),
        ("sub number", json!({"sub": 1}), "Subject must be a string"),
        ("sub null", json!({"sub": null}), "Subject must be a string"),
        (
            "sub false",
            json!({"sub": false}),
            "Subject must be a string",
        ),
        (
            "sub list",
            json!({"sub": ["testuser"]}),
            "Subject must be a string",
        ),
        (
            "sub object",
            json!({"sub": {"id": 1}}),
            "Subject must be a string",
        ),
        ("jti number", json!({"jti": 1}), "JWT ID must be a string"),
        ("jti null", json!({"jti": null}), "JWT ID must be a string"),
        ("jti object", json!({"jti": {}}), "JWT ID must be a string"),
        // Expired *and* malformed: the malformed claim is reported.
        (
            "expired without sub",
            json!({"-sub": null, "exp": 1}),
            "Missing claim: sub",
        ),
    ];
    for (case, overrides, msg) in cases {
        target
            .bearer(case, &hs(&h, &claims_with(overrides)), 422, msg, Ref::Same)
            .await;
    }
}

// ---------------------------------------------------------------- structure

#[tokio::test]
async fn malformed_structure_base64_and_json() {
    // Deep nesting needs tokens over the default 16 KiB limit.
    let target = Target::hs256_unbounded();
    let mut parts = target.valid.split('.');
    let (head, payload) = (
        parts.next().unwrap_or_default().to_owned(),
        parts.next().unwrap_or_default().to_owned(),
    );
    let valid = target.valid.clone();
    let deep = |n: usize| {
        format!(
            r#"{{"sub":"testuser","x":{}{}}}"#,
            "[".repeat(n),
            "]".repeat(n)
        )
    };
    let recursion =
        "maximum recursion depth exceeded while decoding a JSON array from a unicode string";
    let payload_recursion = format!("Invalid payload string: {recursion}");
    let header_recursion = format!("Invalid header string: {recursion}");
    let cases: Vec<(&str, String, &str, Ref)> = vec![
        (
            "one segment",
            "foobarbaz".into(),
            "Not enough segments",
            Ref::Same,
        ),
        (
            "dots only",
            "..".into(),
            "Invalid header string: Expecting value: line 1 column 1 (char 0)",
            Ref::Same,
        ),
        (
            "four segments",
            format!("{valid}.x"),
            "Invalid payload padding",
            Ref::Same,
        ),
        (
            "a.b.c.d",
            "a.b.c.d".into(),
            "Invalid header padding",
            Ref::Same,
        ),
        (
            "header not base64",
            format!("!!!.{payload}.sig"),
            "Invalid header padding",
            Ref::Same,
        ),
        (
            "header standard base64",
            format!("{}+/.{payload}.sig", &head[..head.len() - 2]),
            "Invalid header padding",
            Ref::Same,
        ),
        (
            "header with 3 padding chars",
            format!("{head}===.{payload}.sig"),
            "Invalid header padding",
            Ref::Same,
        ),
        (
            "payload not base64",
            format!("{head}.@@@.sig"),
            "Invalid payload padding",
            Ref::Same,
        ),
        (
            "payload length 4n+1",
            format!("{head}.a.sig"),
            "Invalid payload padding",
            Ref::Same,
        ),
        (
            "signature not base64",
            format!("{head}.{payload}.***"),
            "Invalid crypto padding",
            Ref::Same,
        ),
        (
            "header not JSON",
            format!("{}.{payload}.", b64("hello")),
            "Invalid header string: Expecting value: line 1 column 1 (char 0)",
            Ref::Same,
        ),
        (
            "header JSON array",
            hs_raw(r#"["HS256"]"#, &claims().to_string()),
            "Invalid header string: must be a json object",
            Ref::Same,
        ),
        (
            "header JSON string",
            hs_raw(r#""HS256""#, &claims().to_string()),
            "Invalid header string: must be a json object",
            Ref::Same,
        ),
        (
            "payload JSON array",
            hs_raw(HS, &format!("[{}]", claims())),
            "Invalid payload string: must be a json object",
            Ref::Same,
        ),
        (
            "payload JSON null",
            hs_raw(HS, "null"),
            "Invalid payload string: must be a json object",
            Ref::Same,
        ),
        (
            "payload truncated JSON",
            hs_raw(HS, r#"{"sub":"#),
            "Invalid payload string: Expecting value: line 1 column 8 (char 7)",
            Ref::Same,
        ),
        (
            "payload trailing data",
            hs_raw(HS, r#"{"sub":"a"} x"#),
            "Invalid payload string: Extra data: line 1 column 13 (char 12)",
            Ref::Same,
        ),
        (
            "payload not UTF-8",
            hs_raw(HS, "\u{80}").replace(&b64("\u{80}"), &b64([0x80, b'a', b'b', b'c'])),
            "Invalid payload string: 'utf-8' codec can't decode byte 0x80 in position 0: invalid start byte",
            Ref::Same,
        ),
        (
            "payload UTF-16 BOM",
            format!("{head}.{}.sig", b64([0xff, 0xfe, 0xfd])),
            "Invalid payload string: 'utf-16-le' codec can't decode byte 0xfd in position 2: truncated data",
            Ref::Same,
        ),
        (
            "payload nested 5000 deep (forged)",
            format!("{head}.{}.c2ln", b64(deep(5000))),
            &payload_recursion,
            Ref::Same,
        ),
        (
            "payload nested 1 000 000 deep (forged)",
            format!("{head}.{}.c2ln", b64(deep(1_000_000))),
            &payload_recursion,
            Ref::Same,
        ),
        (
            "header nested 5000 deep",
            format!(
                "{}.{payload}.c2ln",
                b64(format!("{}{}", "[".repeat(5000), "]".repeat(5000)))
            ),
            &header_recursion,
            Ref::Same,
        ),
        (
            "payload nested 200 deep (validly signed)",
            hs_raw(HS, &deep(200)),
            "Invalid payload string: unsupported JSON (recursion limit exceeded at line 1 column 149)",
            Ref::Differs(
                "the reference accepts nesting up to ~974 levels; serde_json stops at 128",
            ),
        ),
    ];
    for (case, token, msg, reference) in cases {
        target.bearer(case, &token, 422, msg, reference).await;
    }
}

// ---------------------------------------------------------------- sizes and headers

#[tokio::test]
async fn oversized_tokens_and_headers() {
    // With the default 16 KiB limit, every huge token below is refused
    // before decoding (431; the reference's server also answers 431, with
    // an HTML page).
    let bounded = Target::hs256();
    for (case, token) in [
        ("1 MiB without dots", "a".repeat(1024 * 1024)),
        ("1 MiB of dots", ".".repeat(1024 * 1024)),
        ("16 KiB + 1", "a".repeat(16 * 1024 + 1)),
    ] {
        bounded
            .bearer(
                case,
                &token,
                431,
                "Token is too large",
                Ref::Differs("the reference's server answers 431 with an HTML page"),
            )
            .await;
    }
    // Without the limit, the parser's own bounds hold.
    let target = Target::hs256_unbounded();
    let mib = 1024 * 1024;
    target
        .bearer(
            "1 MiB without dots",
            &"a".repeat(mib),
            422,
            "Not enough segments",
            Ref::Same,
        )
        .await;
    target
        .bearer(
            "1 MiB of dots",
            &".".repeat(mib),
            422,
            "Invalid header string: Expecting value: line 1 column 1 (char 0)",
            Ref::Same,
        )
        .await;
    let big_payload = b64(claims_with(json!({"pad": "A".repeat(mib)})).to_string());
    let mut parts = target.valid.split('.');
    let head = parts.next().unwrap_or_default();
    target
        .bearer(
            "1 MiB forged payload",
            &format!("{head}.{big_payload}.c2ln"),
            422,
            BAD_SIGNATURE,
            Ref::Same,
        )
        .await;
    let big_header = b64(json!({"alg": "HS256", "pad": "A".repeat(mib)}).to_string());
    target
        .bearer(
            "1 MiB header segment",
            &format!("{big_header}.{}.c2ln", b64("{}")),
            422,
            BAD_SIGNATURE,
            Ref::Same,
        )
        .await;
    let many_keys: String = (0..50_000).map(|i| format!(r#""k{i}":{i},"#)).collect();
    let token = format!(
        "{head}.{}.c2ln",
        b64(format!("{{{many_keys}\"sub\":\"x\"}}"))
    );
    target
        .bearer("50 000 claims", &token, 422, BAD_SIGNATURE, Ref::Same)
        .await;

    // 500 Authorization headers: Werkzeug joins them with ", ".
    let mut builder = request(Method::GET, "/protected");
    for _ in 0..500 {
        builder = builder.header("authorization", format!("Bearer {}", target.valid));
    }
    target
        .expect(
            "500 Authorization headers",
            builder.body(Body::empty()).unwrap_or_default(),
            401,
            "Missing 'Bearer' type in 'Authorization' header. Expected 'Authorization: Bearer <JWT>'",
        )
        .await;
    // 10 000 comma-separated fields in one header.
    let fields = "Basic x, ".repeat(10_000);
    target
        .authorization(
            "10 000 fields",
            format!("{fields}Bearer foo").as_bytes(),
            422,
            "Not enough segments",
        )
        .await;
}

#[tokio::test]
async fn oversized_header_over_real_http_is_refused_and_the_server_lives_on() {
    let target = Target::hs256();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .unwrap_or_else(|e| panic!("bind: {e}"));
    let addr = listener
        .local_addr()
        .unwrap_or_else(|e| panic!("addr: {e}"));
    let app = target.app.clone();
    let server = tokio::spawn(async move { axum::serve(listener, app).await });
    let client = reqwest::Client::new();
    let url = format!("http://{addr}/protected");
    // hyper refuses header sections beyond its buffer limit with 431.
    let huge = format!("Bearer {}", "a".repeat(2 * 1024 * 1024));
    let refused = client.get(&url).header("authorization", huge).send().await;
    if let Ok(response) = refused {
        let status = response.status().as_u16();
        assert!((400..500).contains(&status), "status {status}");
    } // else: the server closed the connection while the client was still writing
    for _ in 0..3 {
        let ok = client
            .get(&url)
            .bearer_auth(&target.valid)
            .send()
            .await
            .unwrap_or_else(|e| panic!("the server stopped serving: {e}"));
        assert_eq!(ok.status().as_u16(), 200);
    }
    // A large header that hyper accepts: its token is over
    // JWT_MAX_TOKEN_SIZE, refused by the crate before decoding, in JSON.
    let large = format!("Bearer {}", "a".repeat(64 * 1024));
    let response = client
        .get(&url)
        .header("authorization", large)
        .send()
        .await
        .unwrap_or_else(|e| panic!("request: {e}"));
    assert_eq!(response.status().as_u16(), 431);
    let body: Value = response.json().await.unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(body, json!({"msg": "Token is too large"}));
    // Under the limit, the token reaches the parser (and is refused there).
    let under = format!("Bearer {}", "a".repeat(8 * 1024));
    let response = client
        .get(&url)
        .header("authorization", under)
        .send()
        .await
        .unwrap_or_else(|e| panic!("request: {e}"));
    assert_eq!(response.status().as_u16(), 422);
    server.abort();
}

#[tokio::test]
async fn odd_authorization_headers() {
    let target = Target::hs256();
    let bad_header = "Bad Authorization header. Expected 'Authorization: Bearer <JWT>'";
    let missing_type =
        "Missing 'Bearer' type in 'Authorization' header. Expected 'Authorization: Bearer <JWT>'";
    let cases: Vec<(&str, &[u8], u16, &str, Ref)> = vec![
        ("Bearer ,,0", b"Bearer ,,0", 422, bad_header, Ref::Crash),
        (
            "Basic x,, Bearer junk",
            b"Basic x,, Bearer junk",
            422,
            "Not enough segments",
            Ref::Crash,
        ),
        (
            "lone comma",
            b",",
            401,
            "Missing Authorization Header",
            Ref::Same,
        ),
        (
            "only spaces and commas",
            b" , , ,",
            401,
            missing_type,
            Ref::Crash,
        ),
        ("Bearer alone", b"Bearer", 422, bad_header, Ref::Same),
        ("Bearer a b", b"Bearer a b", 422, bad_header, Ref::Same),
        (
            "bearer lowercase",
            b"bearer x.y.z",
            401,
            missing_type,
            Ref::Same,
        ),
        (
            "Basic credentials",
            b"Basic dXNlcjpwYXNz",
            401,
            missing_type,
            Ref::Same,
        ),
        (
            "tabs",
            b"Bearer\t\tx.y",
            422,
            "Not enough segments",
            Ref::Same,
        ),
        (
            "Latin-1 bytes",
            b"Bearer \xff\xfe",
            422,
            "Not enough segments",
            Ref::Same,
        ),
        (
            "Latin-1 segments",
            b"Bearer \xff.\xfe.\xfd",
            422,
            "Invalid header padding",
            Ref::Same,
        ),
        // Werkzeug decodes headers as Latin-1 and str.split() splits on U+00A0.
        (
            "non-breaking space",
            b"Bearer\xa0x.y.z",
            422,
            "Invalid header padding",
            Ref::Same,
        ),
    ];
    for (case, value, status, msg, reference) in cases {
        reference.note(case);
        target.authorization(case, value, status, msg).await;
    }
}

// ---------------------------------------------------------------- the reference's 500s

/// Inputs on which the reference crashes with HTTP 500 (spec §10); we
/// answer each with a 4xx JSON error.
#[tokio::test]
async fn client_inputs_that_crash_the_reference_get_a_4xx() {
    let jwt = manager_with(JwtConfig::new().with_token_location([
        TokenLocation::Headers,
        TokenLocation::Cookies,
        TokenLocation::QueryString,
        TokenLocation::Json,
    ]));
    let target = Target::new("all locations", jwt);
    let h = hs_header();

    // A JSON array body (reference: AttributeError).
    let array_body = request(Method::GET, "/protected")
        .header("content-type", "application/json")
        .body(Body::from("[1, 2]"))
        .unwrap_or_default();
    target
        .expect(
            "JSON array body",
            array_body,
            401,
            "Missing JWT in headers, cookies, query_string or json (Missing Authorization Header; Missing cookie \"access_token_cookie\"; Missing 'jwt' query paramater; Missing \"access_token\" key in json data.)",
        )
        .await;
    // A non-string token in the JSON body (the reference's own 422 text).
    let number = request(Method::GET, "/protected")
        .header("content-type", "application/json")
        .body(Body::from(r#"{"access_token": 5}"#))
        .unwrap_or_default();
    target
        .expect(
            "JSON number token",
            number,
            422,
            "Invalid token type. Token must be a <class 'bytes'>",
        )
        .await;
    // Non-bool `fresh` on a fresh route (reference: TypeError).
    for (case, fresh) in [
        ("fresh string", json!("yes")),
        ("fresh null", Value::Null),
        ("fresh object", json!({})),
    ] {
        let token = hs(&h, &claims_with(json!({"fresh": fresh})));
        let request = request(Method::GET, "/fresh")
            .header("authorization", format!("Bearer {token}"))
            .body(Body::empty())
            .unwrap_or_default();
        target
            .expect(case, request, 401, "Fresh token required")
            .await;
    }
    // A non-ASCII CSRF header (reference: hmac.compare_digest TypeError).
    let cookie_token = hs(&h, &claims_with(json!({"csrf": "abc"})));
    let csrf = request(Method::POST, "/protected")
        .header("cookie", format!("access_token_cookie={cookie_token}"))
        .header(
            "x-csrf-token",
            HeaderValue::from_bytes(b"\xe9\xe9\xe9").unwrap_or(HeaderValue::from_static("x")),
        )
        .body(Body::empty())
        .unwrap_or_default();
    target
        .expect(
            "non-ASCII CSRF header",
            csrf,
            401,
            "CSRF double submit tokens do not match",
        )
        .await;
    // A CSRF value that is a prefix of the real one.
    let prefix = request(Method::POST, "/protected")
        .header("cookie", format!("access_token_cookie={cookie_token}"))
        .header("x-csrf-token", "ab")
        .body(Body::empty())
        .unwrap_or_default();
    target
        .expect(
            "CSRF prefix",
            prefix,
            401,
            "CSRF double submit tokens do not match",
        )
        .await;
    // A non-string csrf claim.
    let numeric = hs(&h, &claims_with(json!({"csrf": 5})));
    let numeric = request(Method::POST, "/protected")
        .header("cookie", format!("access_token_cookie={numeric}"))
        .header("x-csrf-token", "5")
        .body(Body::empty())
        .unwrap_or_default();
    target
        .expect(
            "numeric csrf claim",
            numeric,
            401,
            "CSRF double submit tokens do not match",
        )
        .await;
    // Query-string tokens that are not UTF-8 once percent-decoded.
    let query = request(Method::GET, "/protected?jwt=%FF%FE")
        .body(Body::empty())
        .unwrap_or_default();
    target
        .expect("query not UTF-8", query, 422, "Not enough segments")
        .await;
}

#[tokio::test]
async fn issuer_and_audience_are_matched_exactly() {
    // PyJWT 2.10.0 (CVE-2024-53861) accepted `iss: "iss"` for an expected
    // "issuer" (a substring test); we compare whole strings.
    let jwt = manager_with(
        JwtConfig::new()
            .with_decode_issuer("issuer")
            .with_decode_audience("audience"),
    );
    let target = Target {
        valid: hs(
            &hs_header(),
            &claims_with(json!({"iss": "issuer", "aud": "audience"})),
        ),
        ..Target::new("iss/aud", jwt)
    };
    target.still_serving("start").await;
    let h = hs_header();
    let cases: Vec<(&str, Value, &str)> = vec![
        (
            "iss substring",
            json!({"iss": "iss", "aud": "audience"}),
            "Invalid issuer",
        ),
        (
            "iss empty",
            json!({"iss": "", "aud": "audience"}),
            "Invalid issuer",
        ),
        (
            "iss superstring",
            json!({"iss": "issuer2", "aud": "audience"}),
            "Invalid issuer",
        ),
        (
            "iss in a list",
            json!({"iss": ["issuer"], "aud": "audience"}),
            "Payload Issuer (iss) must be a string",
        ),
        (
            "iss number",
            json!({"iss": 5, "aud": "audience"}),
            "Payload Issuer (iss) must be a string",
        ),
        (
            "iss missing",
            json!({"aud": "audience"}),
            "Token is missing the \"iss\" claim",
        ),
        (
            "aud substring",
            json!({"iss": "issuer", "aud": "aud"}),
            "Audience doesn't match",
        ),
        (
            "aud characters",
            json!({"iss": "issuer", "aud": ["a", "u", "d", "i", "e", "n", "c"]}),
            "Audience doesn't match",
        ),
        (
            "aud object",
            json!({"iss": "issuer", "aud": {"audience": true}}),
            "Invalid claim format in token",
        ),
        (
            "aud empty",
            json!({"iss": "issuer", "aud": ""}),
            "Token is missing the \"aud\" claim",
        ),
    ];
    for (case, overrides, msg) in cases {
        target
            .bearer(case, &hs(&h, &claims_with(overrides)), 422, msg, Ref::Same)
            .await;
    }
}

#[tokio::test]
async fn validly_signed_oddities_follow_the_reference() {
    // Not attacks (they need the secret), but the reference's answers to
    // them are part of the contract: we match them.
    let target = Target::hs256();
    let h = hs_header();
    let now = now();
    for (case, overrides) in [
        (
            "exp numeric string in the future",
            json!({"exp": (now + 900).to_string()}),
        ),
        ("exp 1e30", json!({"exp": 1e30})),
        ("no jti", json!({"-jti": null})),
        ("no exp", json!({"-exp": null})),
        ("kid path traversal", json!({})),
    ] {
        let header = if case.starts_with("kid") {
            json!({"alg": "HS256", "kid": "../../etc/passwd"})
        } else {
            h.clone()
        };
        let response = http_get_bearer(
            &target.app,
            "/protected",
            &hs(&header, &claims_with(overrides)),
        )
        .await;
        assert_eq!(response.status.as_u16(), 200, "{case}: {}", response.text());
    }
}

// ---------------------------------------------------------------- algorithmic complexity

/// A CSRF form check on a multipart body must stay linear: a boundary of
/// 100 000 dashes against a 1 MB body of dashes cost ~5 s of CPU per request
/// with the naive substring search the multipart reader used (found in review,
/// fixed with a linear search in src/request.rs).
#[tokio::test]
async fn multipart_boundary_search_is_linear() {
    let jwt = manager_with(
        JwtConfig::new()
            .with_token_location([TokenLocation::Cookies])
            .with_csrf_check_form(true),
    );
    let target = Target::new("cookies + CSRF form", jwt);
    let boundary = format!("{}x", "-".repeat(100_000));
    let body = "-".repeat(1_000_000);
    let request = request(Method::POST, "/protected")
        .header("cookie", "access_token_cookie=anything")
        .header(
            "content-type",
            format!("multipart/form-data; boundary={boundary}"),
        )
        .body(Body::from(body))
        .unwrap_or_default();
    let started = std::time::Instant::now();
    let response = send(&target.app, request).await;
    let took = started.elapsed();
    response.assert_error(401, "Missing CSRF token");
    assert!(took < Duration::from_secs(3), "took {took:?}");
}

// ---------------------------------------------------------------- padded signatures

/// PyJWT decodes every segment with padding allowed (`=` up to a multiple
/// of four), so `header.payload.signature=` is the same token to the
/// reference; we accept it too (wire compatibility). Only the signature can
/// be spelled two ways: padding the header or payload changes the signed
/// text. Revocation is by `jti`, so revoking a token revokes both spellings.
#[tokio::test]
async fn a_padded_signature_is_the_same_token_and_revoked_with_it() {
    let jwt = build_with_blocklist();
    let app = Router::new()
        .route("/protected", get(protected))
        .with_state(jwt.clone());
    // An identity whose payload's base64 length is not a multiple of four,
    // so that padding can be put on the payload too (below).
    let (identity, token) = ["t", "te", "tes", "test"]
        .into_iter()
        .map(|identity| {
            let token = jwt
                .create_access_token(identity)
                .unwrap_or_else(|e| panic!("{e}"));
            (identity, token)
        })
        .find(|(_, token)| token.split('.').nth(1).is_some_and(|p| p.len() % 4 != 0))
        .unwrap_or_else(|| panic!("four lengths in a row are multiples of four"));
    let (signed, signature) = token.rsplit_once('.').unwrap_or_default();
    assert_eq!(
        signature.len(),
        43,
        "an HS256 signature: 32 bytes, 43 characters"
    );
    let padded = format!("{token}=");

    let response = http_get_bearer(&app, "/protected", &padded).await;
    assert_eq!(response.status.as_u16(), 200, "{}", response.text());
    assert_eq!(response.json(), json!({"logged_in_as": identity}));
    // Two `=` would not end on a multiple of four: malformed, as in PyJWT.
    http_get_bearer(&app, "/protected", &format!("{token}=="))
        .await
        .assert_error(422, "Invalid crypto padding");
    // Padding on the payload changes the signed text.
    let (header, payload) = signed.split_once('.').unwrap_or_default();
    let pad = "=".repeat((4 - payload.len() % 4) % 4);
    assert!(
        !pad.is_empty(),
        "these claims encode to a length that takes padding"
    );
    http_get_bearer(
        &app,
        "/protected",
        &format!("{header}.{payload}{pad}.{signature}"),
    )
    .await
    .assert_error(422, BAD_SIGNATURE);

    let decoded = jwt
        .decode_token(&padded)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    jwt.revoke(&decoded).await.unwrap_or_else(|e| panic!("{e}"));
    for spelling in [&token, &padded] {
        http_get_bearer(&app, "/protected", spelling)
            .await
            .assert_error(401, "Token has been revoked");
    }
}

fn build_with_blocklist() -> JwtManager {
    JwtManager::builder(JwtConfig::new().with_secret_key(SECRET))
        .blocklist(jwt_extended::blocklist::MemoryBlocklist::new())
        .build()
        .unwrap_or_else(|e| panic!("{e}"))
}
