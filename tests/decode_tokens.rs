//! `decode_token`: the port of the reference's `tests/test_decode_tokens.py`.
//!
//! The reference calls `decode_token` directly and checks the exception
//! class. Here every decode goes through a real route, `POST /decode`, whose
//! handler calls [`JwtManager::decode_token_with`] and answers errors with
//! [`render_error`] (what the reference's global error handlers do), adding
//! the [`ErrorKind`] in an `x-error-kind` header so that the tests can check
//! the class as well as the status and message.

mod common;

use std::time::{Duration, SystemTime};

use axum::extract::State;
use axum::http::{HeaderValue, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::{Json, Router};
use common::*;
use jwt_extended::axum::{FlaskJson, render_error};
use jwt_extended::hooks::SigningKey;
use jwt_extended::jsonwebtoken::DecodingKey;
use jwt_extended::{DecodeOptions, ErrorKind, JwtConfig, JwtManager};
use serde::Deserialize;
use serde_json::{Map, Value, json};

#[derive(Deserialize)]
struct DecodeRequest {
    token: String,
    #[serde(default)]
    csrf_value: Option<String>,
    #[serde(default)]
    allow_expired: bool,
}

async fn decode(State(jwt): State<JwtManager>, Json(request): Json<DecodeRequest>) -> Response {
    let mut options = DecodeOptions::new().allow_expired(request.allow_expired);
    if let Some(csrf) = request.csrf_value.as_deref() {
        options = options.csrf_value(csrf);
    }
    match jwt.decode_token_with(&request.token, options).await {
        Ok(token) => FlaskJson(Value::Object(token.claims().clone())).into_response(),
        Err(error) => {
            let mut response = render_error(&jwt, &error);
            let kind = HeaderValue::from_str(&format!("{:?}", error.kind()))
                .unwrap_or_else(|e| panic!("{e}"));
            response.headers_mut().insert("x-error-kind", kind);
            response
        }
    }
}

fn app(manager: JwtManager) -> Router {
    Router::new()
        .route("/decode", post(decode))
        .with_state(manager)
}

/// What decoding gave: the claims, or the error's status, message and kind.
#[derive(Debug, PartialEq)]
enum Decoded {
    Claims(Map<String, Value>),
    Error(u16, String, String),
}

impl Decoded {
    #[track_caller]
    fn claims(self) -> Map<String, Value> {
        match self {
            Self::Claims(claims) => claims,
            Self::Error(status, msg, kind) => {
                panic!("expected claims, got {status} {msg:?} ({kind})")
            }
        }
    }

    #[track_caller]
    fn assert_error(&self, status: u16, msg: &str, kind: ErrorKind) {
        assert_eq!(
            self,
            &Self::Error(status, msg.to_owned(), format!("{kind:?}"))
        );
    }
}

async fn decode_with(manager: &JwtManager, body: Value) -> Decoded {
    let request = request(Method::POST, "/decode")
        .header("content-type", "application/json")
        .body(axum::body::Body::from(body.to_string()))
        .unwrap_or_else(|e| panic!("{e}"));
    let response = send(&app(manager.clone()), request).await;
    match response.headers.get("x-error-kind") {
        None => {
            assert_eq!(response.status, StatusCode::OK, "{}", response.text());
            match response.json() {
                Value::Object(claims) => Decoded::Claims(claims),
                other => panic!("claims are not an object: {other}"),
            }
        }
        Some(kind) => Decoded::Error(
            response.status.as_u16(),
            response.msg(),
            kind.to_str().unwrap_or_default().to_owned(),
        ),
    }
}

async fn decode_token(manager: &JwtManager, token: &str) -> Decoded {
    decode_with(manager, json!({ "token": token })).await
}

/// The reference's `default_access_token` fixture.
fn default_access_token() -> Map<String, Value> {
    json!({
        "jti": "1234",
        "sub": "username",
        "type": "access",
        "fresh": true,
        "csrf": "abcd",
    })
    .as_object()
    .cloned()
    .unwrap_or_default()
}

/// `encode_token(app, claims)`: signed with the app's secret by PyJWT.
fn encode(claims: &Map<String, Value>) -> String {
    token_with_claims(&Value::Object(claims.clone()))
}

fn create(result: Result<String, jwt_extended::Error>) -> String {
    result.unwrap_or_else(|e| panic!("cannot create a token: {e}"))
}

fn past(seconds: u64) -> SystemTime {
    SystemTime::now() - Duration::from_secs(seconds)
}

#[tokio::test]
async fn missing_claims() {
    let manager = manager();
    for missing in ["sub", "csrf"] {
        let mut claims = default_access_token();
        claims.remove(missing);
        let decoded = decode_with(
            &manager,
            json!({"token": encode(&claims), "csrf_value": "abcd"}),
        )
        .await;
        decoded.assert_error(
            422,
            &format!("Missing claim: {missing}"),
            ErrorKind::MissingClaim,
        );
    }
}

#[tokio::test]
async fn csrf_value_is_compared() {
    let manager = manager();
    let token = encode(&default_access_token());
    let ok = decode_with(&manager, json!({"token": token, "csrf_value": "abcd"})).await;
    assert_eq!(ok.claims()["csrf"], "abcd");
    decode_with(&manager, json!({"token": token, "csrf_value": "abce"}))
        .await
        .assert_error(
            401,
            "CSRF double submit tokens do not match",
            ErrorKind::CsrfMismatch,
        );
    // An empty CSRF value means "no CSRF check", as in the reference.
    let unchecked = decode_with(&manager, json!({"token": token, "csrf_value": ""})).await;
    assert_eq!(unchecked.claims()["sub"], "username");
}

#[tokio::test]
async fn default_decode_token_values() {
    let manager = manager();
    let mut claims = default_access_token();
    for name in ["type", "jti", "fresh"] {
        claims.remove(name);
    }
    let decoded = decode_token(&manager, &encode(&claims)).await.claims();
    assert_eq!(decoded["type"], "access");
    assert_eq!(decoded["jti"], Value::Null);
    assert_eq!(decoded["fresh"], false);
}

#[tokio::test]
async fn supports_decoding_other_token_types() {
    let manager = manager();
    let mut claims = default_access_token();
    claims.insert("type".into(), json!("app"));
    let decoded = decode_token(&manager, &encode(&claims)).await.claims();
    assert_eq!(decoded["type"], "app");
}

/// The reference flips `JWT_ENCODE_AUDIENCE`/`JWT_DECODE_AUDIENCE` between
/// steps; the port builds one manager per combination.
#[tokio::test]
async fn encode_decode_audience() {
    async fn decode_with_audiences(encode: Option<&str>, decode: Option<&str>) -> Decoded {
        let mut config = JwtConfig::new();
        if let Some(aud) = encode {
            config = config.with_encode_audience(aud);
        }
        if let Some(aud) = decode {
            config = config.with_decode_audience(aud);
        }
        let manager = manager_with(config);
        let token = create(manager.create_access_token("username"));
        decode_token(&manager, &token).await
    }

    let none = decode_with_audiences(None, None).await.claims();
    assert!(!none.contains_key("aud"));
    let same = decode_with_audiences(Some("foo"), Some("foo"))
        .await
        .claims();
    assert_eq!(same["aud"], "foo");
    decode_with_audiences(Some("foo"), Some("bar"))
        .await
        .assert_error(422, "Audience doesn't match", ErrorKind::InvalidAudience);
    decode_with_audiences(None, Some("foo")).await.assert_error(
        422,
        "Token is missing the \"aud\" claim",
        ErrorKind::MissingClaim,
    );
    let unchecked = decode_with_audiences(Some("foo"), None).await.claims();
    assert_eq!(unchecked["aud"], "foo");
}

#[tokio::test]
async fn expired_token() {
    let manager = manager();
    let access = create(
        manager
            .access_token("username")
            .expires_at(past(300))
            .create(),
    );
    let refresh = create(
        manager
            .refresh_token("username")
            .expires_at(past(300))
            .create(),
    );
    for token in [access, refresh] {
        decode_token(&manager, &token).await.assert_error(
            401,
            "Token has expired",
            ErrorKind::ExpiredToken,
        );
    }
}

#[tokio::test]
async fn allow_expired_token() {
    let manager = manager();
    let access = create(
        manager
            .access_token("username")
            .expires_at(past(300))
            .create(),
    );
    let refresh = create(
        manager
            .refresh_token("username")
            .expires_at(past(300))
            .create(),
    );
    for token in [access, refresh] {
        let decoded = decode_with(&manager, json!({"token": token, "allow_expired": true}))
            .await
            .claims();
        assert_eq!(decoded["sub"], "username");
        assert!(decoded.contains_key("exp"));
    }
    // Only `exp` is skipped: a bad signature is still refused.
    let other = manager_with(JwtConfig::new().with_secret_key("another-secret"));
    let forged = create(
        other
            .access_token("username")
            .expires_at(past(300))
            .create(),
    );
    decode_with(&manager, json!({"token": forged, "allow_expired": true}))
        .await
        .assert_error(
            422,
            "Signature verification failed",
            ErrorKind::InvalidSignature,
        );
}

#[tokio::test]
async fn never_expire_token() {
    let manager = manager();
    let access = create(manager.access_token("username").never_expires().create());
    let refresh = create(manager.refresh_token("username").never_expires().create());
    for token in [access, refresh] {
        let decoded = decode_token(&manager, &token).await.claims();
        assert!(!decoded.contains_key("exp"), "{decoded:?}");
    }
    // The same through the configuration (`JWT_*_TOKEN_EXPIRES = False`).
    let never = manager_with(
        JwtConfig::new()
            .with_access_token_expires(jwt_extended::config::Expiry::Never)
            .with_refresh_token_expires(jwt_extended::config::Expiry::Never),
    );
    for token in [
        create(never.create_access_token("username")),
        create(never.create_refresh_token("username")),
    ] {
        assert!(
            !payload(&token)
                .as_object()
                .is_some_and(|c| c.contains_key("exp"))
        );
        assert_eq!(
            decode_token(&never, &token).await.claims()["sub"],
            "username"
        );
    }
}

#[tokio::test]
async fn nbf_token_in_future() {
    let manager = manager();
    let in_future = now() + 30;
    let token = create(
        manager
            .access_token("username")
            .additional_claims(json!({ "nbf": in_future }))
            .create(),
    );
    decode_token(&manager, &token).await.assert_error(
        422,
        "The token is not yet valid (nbf)",
        ErrorKind::ImmatureToken,
    );
    // With a leeway of 30 s an nbf 20 s ahead is accepted.
    let lenient = manager_with(JwtConfig::new().with_decode_leeway(Duration::from_secs(30)));
    let soon = create(
        lenient
            .access_token("username")
            .additional_claims(json!({ "nbf": now() + 20 }))
            .create(),
    );
    assert_eq!(
        decode_token(&lenient, &soon).await.claims()["sub"],
        "username"
    );
    let plain = create(lenient.create_access_token("username"));
    assert_eq!(
        decode_token(&lenient, &plain).await.claims()["sub"],
        "username"
    );
}

#[tokio::test]
async fn alternate_identity_claim() {
    let manager = manager_with(JwtConfig::new().with_identity_claim("banana"));
    let mut claims = default_access_token();
    decode_token(&manager, &encode(&claims)).await.assert_error(
        422,
        "Missing claim: banana",
        ErrorKind::MissingClaim,
    );
    claims.remove("sub");
    claims.insert("banana".into(), json!("username"));
    let decoded = decode_token(&manager, &encode(&claims)).await.claims();
    assert_eq!(decoded["banana"], "username");
    assert!(!decoded.contains_key("sub"));
    // Tokens we create use the configured claim too.
    let ours = create(manager.create_access_token("username"));
    assert_eq!(payload(&ours)["banana"], "username");
    assert!(payload(&ours).get("sub").is_none());
}

#[tokio::test]
async fn get_jti() {
    let manager = manager();
    let token = encode(&default_access_token());
    let jti = manager
        .decode_jti(&token)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(jti.as_deref(), Some("1234"));
    // `get_jti` verifies fully.
    match manager.decode_jti("foobarbaz").await {
        Ok(jti) => panic!("a malformed token gave a jti: {jti:?}"),
        Err(e) => assert_eq!(e.message(), "Not enough segments"),
    }
}

/// `encode_key_loader` gets the raw identity; a token signed with another
/// key fails the default verification; a `decode_key_loader` sees the
/// unverified header and claims.
#[tokio::test]
async fn custom_encode_decode_key_callbacks() {
    let encode_only = JwtManager::builder(JwtConfig::new().with_secret_key("foobarbaz"))
        .encode_key_loader(|identity| {
            assert_eq!(identity, "username");
            SigningKey::from_secret("different secret")
                .map_err(|e| jwt_extended::Error::new(ErrorKind::Encode, e.to_string()))
        })
        .build()
        .unwrap_or_else(|e| panic!("{e}"));
    for token in [
        create(encode_only.create_access_token("username")),
        create(encode_only.create_refresh_token("username")),
    ] {
        decode_token(&encode_only, &token).await.assert_error(
            422,
            "Signature verification failed",
            ErrorKind::InvalidSignature,
        );
    }

    let both = JwtManager::builder(JwtConfig::new().with_secret_key("foobarbaz"))
        .encode_key_loader(|identity| {
            assert_eq!(identity, "username");
            SigningKey::from_secret("different secret")
                .map_err(|e| jwt_extended::Error::new(ErrorKind::Encode, e.to_string()))
        })
        .decode_key_loader(|header: &Map<String, Value>, claims: &Map<String, Value>| {
            assert_eq!(header["alg"], "HS256");
            assert_eq!(claims["sub"], "username");
            let key = DecodingKey::from_secret(b"different secret")
                .map(std::sync::Arc::new)
                .map_err(|e| jwt_extended::Error::new(ErrorKind::InvalidSignature, e.to_string()));
            async move { key }
        })
        .build()
        .unwrap_or_else(|e| panic!("{e}"));
    for token in [
        create(both.create_access_token("username")),
        create(both.create_refresh_token("username")),
    ] {
        assert_eq!(
            decode_token(&both, &token).await.claims()["sub"],
            "username"
        );
    }
}

#[tokio::test]
async fn valid_aud() {
    let manager = manager_with(JwtConfig::new().with_decode_audience(vec!["foo", "bar"]));
    for token_aud in [json!("foo"), json!(["bar"]), json!(["foo", "bar", "baz"])] {
        let mut claims = default_access_token();
        claims.insert("aud".into(), token_aud.clone());
        let decoded = decode_token(&manager, &encode(&claims)).await.claims();
        assert_eq!(decoded["aud"], token_aud);
    }
}

#[tokio::test]
async fn invalid_aud() {
    let manager = manager_with(JwtConfig::new().with_decode_audience("foo"));
    for token_aud in [json!("bar"), json!(["bar"]), json!(["bar", "baz"])] {
        let mut claims = default_access_token();
        claims.insert("aud".into(), token_aud);
        decode_token(&manager, &encode(&claims)).await.assert_error(
            422,
            "Audience doesn't match",
            ErrorKind::InvalidAudience,
        );
    }
}

#[tokio::test]
async fn verify_no_aud() {
    let manager = manager();
    for token_aud in [json!("bar"), json!(["bar"]), json!(["bar", "baz"])] {
        let mut claims = default_access_token();
        claims.insert("aud".into(), token_aud.clone());
        let decoded = decode_token(&manager, &encode(&claims)).await.claims();
        assert_eq!(decoded["aud"], token_aud);
    }
}

#[tokio::test]
async fn invalid_sub_values() {
    let strict = manager();
    let lenient = manager_with(JwtConfig::new().with_verify_sub(false));
    for token_sub in [json!(123), json!({}), json!([]), json!(false)] {
        let mut claims = default_access_token();
        claims.insert("sub".into(), token_sub.clone());
        let token = encode(&claims);
        decode_token(&strict, &token).await.assert_error(
            422,
            "Subject must be a string",
            ErrorKind::InvalidClaim,
        );
        // JWT_VERIFY_SUB = False returns the value as it is.
        let decoded = decode_token(&lenient, &token).await.claims();
        assert_eq!(decoded["sub"], token_sub);
    }
}

#[tokio::test]
async fn encode_iss() {
    let manager = manager_with(JwtConfig::new().with_encode_issuer("foobar"));
    let token = create(manager.create_access_token("username"));
    assert_eq!(
        decode_token(&manager, &token).await.claims()["iss"],
        "foobar"
    );
}

#[tokio::test]
async fn mismatch_iss() {
    let manager = manager_with(
        JwtConfig::new()
            .with_encode_issuer("foobar")
            .with_decode_issuer("baz"),
    );
    let token = create(manager.create_access_token("username"));
    decode_token(&manager, &token).await.assert_error(
        422,
        "Invalid issuer",
        ErrorKind::InvalidIssuer,
    );
}

#[tokio::test]
async fn valid_and_invalid_decode_iss() {
    // Built first: it installs the process-wide crypto provider `encode` signs with.
    let valid = manager_with(JwtConfig::new().with_decode_issuer("foobar"));
    let mut claims = default_access_token();
    claims.insert("iss".into(), json!("foobar"));
    let token = encode(&claims);
    assert_eq!(decode_token(&valid, &token).await.claims()["iss"], "foobar");
    let invalid = manager_with(JwtConfig::new().with_decode_issuer("baz"));
    decode_token(&invalid, &token).await.assert_error(
        422,
        "Invalid issuer",
        ErrorKind::InvalidIssuer,
    );
    // Exact match only (PyJWT 2.10.0 accepted a substring, CVE-2024-53861).
    let substring = manager_with(JwtConfig::new().with_decode_issuer("foobarbaz"));
    decode_token(&substring, &token).await.assert_error(
        422,
        "Invalid issuer",
        ErrorKind::InvalidIssuer,
    );
}

#[tokio::test]
async fn malformed_token() {
    let manager = manager();
    decode_token(&manager, "foobarbaz").await.assert_error(
        422,
        "Not enough segments",
        ErrorKind::MalformedToken,
    );
}

#[tokio::test]
async fn jwt_headers() {
    let manager = manager();
    let access = create(
        manager
            .access_token("username")
            .additional_headers(json!({"foo": "bar"}))
            .create(),
    );
    let refresh = create(
        manager
            .refresh_token("username")
            .additional_headers(json!({"foo": "bar"}))
            .create(),
    );
    for token in [access, refresh] {
        let header = manager
            .unverified_header(&token)
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(header["foo"], "bar");
    }
    match manager.unverified_header("aaaaa.bbbbb.ccccc") {
        Ok(header) => panic!("a malformed token gave a header: {header:?}"),
        Err(e) => assert_eq!(e.message(), "Invalid header padding"),
    }
}

/// `exp` is `now + lifetime`, bounded on both sides (the reference only
/// checks that it is not too late).
#[tokio::test]
async fn token_expires_time() {
    let manager = manager_with(
        JwtConfig::new()
            .with_access_token_expires(Duration::from_secs(3600))
            .with_refresh_token_expires(Duration::from_secs(7200)),
    );
    let before = now();
    let access = create(manager.create_access_token("username"));
    let refresh = create(manager.create_refresh_token("username"));
    let after = now();
    let access_exp = decode_token(&manager, &access).await.claims()["exp"]
        .as_i64()
        .unwrap_or_default();
    let refresh_exp = decode_token(&manager, &refresh).await.claims()["exp"]
        .as_i64()
        .unwrap_or_default();
    assert!(
        (before + 3600..=after + 3600).contains(&access_exp),
        "access exp {access_exp}, now {before}..{after}"
    );
    assert!(
        (before + 7200..=after + 7200).contains(&refresh_exp),
        "refresh exp {refresh_exp}, now {before}..{after}"
    );
}

#[tokio::test]
async fn nbf_is_present_by_default() {
    let manager = manager();
    let token = create(manager.access_token("username").fresh(true).create());
    let decoded = decode_token(&manager, &token).await.claims();
    assert_eq!(decoded["nbf"], decoded["iat"]);
}

#[tokio::test]
async fn disable_nbf_encoding() {
    let manager = manager_with(JwtConfig::new().with_encode_nbf(false));
    let token = create(manager.access_token("username").fresh(true).create());
    let decoded = decode_token(&manager, &token).await.claims();
    assert!(!decoded.contains_key("nbf"));
}

/// An expired token is reported as expired only when nothing else is wrong
/// (the reference re-decodes with `allow_expired` to build the error).
#[tokio::test]
async fn expired_is_reported_last() {
    let manager = manager();
    let long_ago = now() - 600;
    decode_token(
        &manager,
        &token_with_claims(&json!({"foo": "bar", "exp": long_ago})),
    )
    .await
    .assert_error(422, "Missing claim: sub", ErrorKind::MissingClaim);
    decode_token(
        &manager,
        &token_with_claims(&json!({"sub": 5, "exp": long_ago})),
    )
    .await
    .assert_error(422, "Subject must be a string", ErrorKind::InvalidClaim);
    let with_issuer = manager_with(JwtConfig::new().with_decode_issuer("me"));
    decode_token(
        &with_issuer,
        &token_with_claims(&json!({"sub": "a", "iss": "you", "exp": long_ago})),
    )
    .await
    .assert_error(422, "Invalid issuer", ErrorKind::InvalidIssuer);
    let csrf_token = token_with_claims(&json!({"sub": "a", "csrf": "abcd", "exp": long_ago}));
    decode_with(&manager, json!({"token": csrf_token, "csrf_value": "zzz"}))
        .await
        .assert_error(
            401,
            "CSRF double submit tokens do not match",
            ErrorKind::CsrfMismatch,
        );
    decode_token(
        &manager,
        &token_with_claims(&json!({"sub": "a", "exp": long_ago})),
    )
    .await
    .assert_error(401, "Token has expired", ErrorKind::ExpiredToken);
}

/// The boundaries the reference's suite does not pin (spec §4): `exp` equal
/// to now is expired; the leeway applies to `exp`, `nbf` and `iat`.
#[tokio::test]
async fn time_boundaries_and_leeway() {
    let manager = manager();
    let t = now();
    decode_token(&manager, &token_with_claims(&json!({"sub": "a", "exp": t})))
        .await
        .assert_error(401, "Token has expired", ErrorKind::ExpiredToken);
    decode_token(
        &manager,
        &token_with_claims(&json!({"sub": "a", "iat": t + 60})),
    )
    .await
    .assert_error(
        422,
        "The token is not yet valid (iat)",
        ErrorKind::ImmatureToken,
    );
    decode_token(
        &manager,
        &token_with_claims(&json!({"sub": "a", "exp": "soon"})),
    )
    .await
    .assert_error(
        422,
        "Expiration Time claim (exp) must be an integer.",
        ErrorKind::InvalidClaim,
    );
    decode_token(&manager, &token_with_claims(&json!({"sub": "a", "jti": 5})))
        .await
        .assert_error(422, "JWT ID must be a string", ErrorKind::InvalidClaim);
    // Numeric strings and floats are read like Python's int().
    let far = t + 3600;
    let numeric = decode_token(
        &manager,
        &token_with_claims(
            &json!({"sub": "a", "exp": far.to_string(), "nbf": (t - 10) as f64 + 0.9}),
        ),
    )
    .await
    .claims();
    assert_eq!(numeric["exp"], json!(far.to_string()));

    let lenient = manager_with(JwtConfig::new().with_decode_leeway(Duration::from_secs(120)));
    for claims in [
        json!({"sub": "a", "exp": t - 60}),
        json!({"sub": "a", "nbf": t + 60}),
        json!({"sub": "a", "iat": t + 60}),
    ] {
        let decoded = decode_token(&lenient, &token_with_claims(&claims)).await;
        assert_eq!(decoded.claims()["sub"], "a", "{claims}");
    }
    decode_token(
        &lenient,
        &token_with_claims(&json!({"sub": "a", "exp": t - 600})),
    )
    .await
    .assert_error(401, "Token has expired", ErrorKind::ExpiredToken);
}
