//! Tokens made by this crate must be accepted by the real Flask-JWT-Extended
//! 4.7.1 (`decode_token`, through `interop/verify_with_pyjwt.py`) with exactly
//! the claims we wrote: every algorithm, both token types, freshness, extra
//! claims and headers, no expiry, a custom identity claim, audience and
//! issuer. A few negative cases make sure the harness can say "no". The
//! other way round, tokens the reference signs (`verify_with_pyjwt.py
//! --sign`) verify here, for every asymmetric algorithm (ES512 included).
//!
//! Needs `python3` with `flask-jwt-extended==4.7.1`; `scripts/install-deps.sh`
//! installs it. Without it this test fails (it never skips).

mod common;

use std::io::Write as _;
use std::process::{Command, Stdio};
use std::time::{Duration, SystemTime};

use jwt_extended::Algorithm;
use jwt_extended::{JwtConfig, JwtManager};
use serde_json::{Map, Value, json};

const ROOT: &str = env!("CARGO_MANIFEST_DIR");
const SECRET: &str = "super-secret";

fn key(file: &str) -> String {
    let path = format!("{ROOT}/tests/fixtures/keys/{file}");
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("cannot read {path}: {e}"))
}

/// Fails loudly unless python3 with the reference library is installed.
fn require_reference() {
    let ok = Command::new("python3")
        .args([
            "-c",
            "import flask_jwt_extended, jwt; assert flask_jwt_extended.__version__ == '4.7.1'",
        ])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    assert!(
        ok,
        "python3 with flask-jwt-extended==4.7.1 is required for this test: run scripts/install-deps.sh"
    );
}

/// One token for the reference to decode.
struct Check {
    name: String,
    token: String,
    /// The fixture config of the reference app (key options are file names).
    config: Value,
    csrf_value: Option<String>,
    expect: Expect,
}

enum Expect {
    /// Accepted, with exactly the claims of the token.
    Accepted,
    /// Refused with this `str(exception)`.
    Refused(&'static str),
}

/// Sends every check to `verify_with_pyjwt.py` in one process.
fn verify_all(checks: &[Check]) -> Vec<Value> {
    let lines: Vec<Value> = checks
        .iter()
        .map(|check| {
            let mut line = json!({"token": check.token, "config": check.config});
            if let Some(csrf) = &check.csrf_value {
                line["csrf_value"] = json!(csrf);
            }
            line
        })
        .collect();
    reference(&[], &lines)
}

/// Runs `verify_with_pyjwt.py` with `args` on one JSON line per item and
/// returns its answers, one per line.
fn reference(args: &[&str], items: &[Value]) -> Vec<Value> {
    require_reference();
    let mut input = String::new();
    for item in items {
        input.push_str(&item.to_string());
        input.push('\n');
    }
    let mut child = Command::new("python3")
        .arg("interop/verify_with_pyjwt.py")
        .args(args)
        .current_dir(ROOT)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start python3 ({e}): run scripts/install-deps.sh"));
    let mut stdin = child
        .stdin
        .take()
        .unwrap_or_else(|| panic!("no stdin for verify_with_pyjwt.py"));
    stdin
        .write_all(input.as_bytes())
        .unwrap_or_else(|e| panic!("cannot write to verify_with_pyjwt.py: {e}"));
    drop(stdin);
    let output = child
        .wait_with_output()
        .unwrap_or_else(|e| panic!("verify_with_pyjwt.py failed: {e}"));
    assert!(
        output.status.success(),
        "verify_with_pyjwt.py exited with {}: {}\n(run scripts/install-deps.sh if the library is missing)",
        output.status,
        String::from_utf8_lossy(&output.stderr)
    );
    let lines: Vec<Value> = String::from_utf8_lossy(&output.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("bad output line {l:?}: {e}")))
        .collect();
    assert_eq!(lines.len(), items.len(), "one answer per line");
    lines
}

fn run(checks: &[Check]) {
    let answers = verify_all(checks);
    let mut failures = Vec::new();
    for (check, answer) in checks.iter().zip(&answers) {
        let ok = answer["ok"] == json!(true);
        match &check.expect {
            Expect::Accepted => {
                let ours = common::payload(&check.token);
                if !ok || answer["claims"] != ours {
                    failures.push(format!(
                        "{}: the reference answered {answer}\n    our claims: {ours}",
                        check.name
                    ));
                }
            }
            Expect::Refused(message) => {
                if ok || answer["error"] != json!(message) {
                    failures.push(format!(
                        "{}: expected the reference to refuse with {message:?}, got {answer}",
                        check.name
                    ));
                }
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} tokens:\n{}",
        failures.len(),
        checks.len(),
        failures.join("\n")
    );
}

/// A manager and the matching reference config for an algorithm.
fn pair(algorithm: Algorithm, private: &str, public: &str) -> (JwtManager, Value) {
    let name = format!("{algorithm:?}");
    let manager = JwtManager::new(
        JwtConfig::new()
            .with_algorithm(algorithm)
            .with_private_key(key(private))
            .with_public_key(key(public)),
    )
    .unwrap_or_else(|e| panic!("{name} manager: {e}"));
    (
        manager,
        json!({"JWT_ALGORITHM": name, "JWT_PUBLIC_KEY": public}),
    )
}

fn hs(algorithm: Algorithm) -> (JwtManager, Value) {
    let name = format!("{algorithm:?}");
    let manager = JwtManager::new(
        JwtConfig::new()
            .with_algorithm(algorithm)
            .with_secret_key(SECRET),
    )
    .unwrap_or_else(|e| panic!("{name} manager: {e}"));
    (
        manager,
        json!({"JWT_ALGORITHM": name, "JWT_SECRET_KEY": SECRET}),
    )
}

fn accepted(name: impl Into<String>, token: String, config: &Value) -> Check {
    Check {
        name: name.into(),
        token,
        config: config.clone(),
        csrf_value: None,
        expect: Expect::Accepted,
    }
}

fn create(result: Result<String, jwt_extended::Error>, what: &str) -> String {
    result.unwrap_or_else(|e| panic!("cannot create {what}: {e}"))
}

#[test]
fn every_algorithm_access_and_refresh() {
    let setups = [
        hs(Algorithm::HS256),
        hs(Algorithm::HS384),
        hs(Algorithm::HS512),
        pair(
            Algorithm::RS256,
            "rsa2048_private.pem",
            "rsa2048_public.pem",
        ),
        pair(
            Algorithm::RS384,
            "rsa2048_private.pem",
            "rsa2048_public.pem",
        ),
        pair(
            Algorithm::RS512,
            "rsa2048_private.pem",
            "rsa2048_public.pem",
        ),
        pair(
            Algorithm::PS256,
            "rsa2048_private.pem",
            "rsa2048_public.pem",
        ),
        pair(
            Algorithm::PS384,
            "rsa2048_private.pem",
            "rsa2048_public.pem",
        ),
        pair(
            Algorithm::PS512,
            "rsa2048_private.pem",
            "rsa2048_public.pem",
        ),
        pair(Algorithm::ES256, "ec256_private.pem", "ec256_public.pem"),
        pair(Algorithm::ES384, "ec384_private.pem", "ec384_public.pem"),
        pair(Algorithm::ES512, "ec521_private.pem", "ec521_public.pem"),
        pair(
            Algorithm::EdDSA,
            "ed25519_private.pem",
            "ed25519_public.pem",
        ),
        // The other PEM encodings of the same keys.
        pair(
            Algorithm::RS256,
            "rsa2048_pkcs1_private.pem",
            "rsa2048_pkcs1_public.pem",
        ),
        pair(
            Algorithm::ES256,
            "ec256_sec1_private.pem",
            "ec256_public.pem",
        ),
        pair(
            Algorithm::ES384,
            "ec384_sec1_private.pem",
            "ec384_public.pem",
        ),
        pair(
            Algorithm::ES512,
            "ec521_sec1_private.pem",
            "ec521_public.pem",
        ),
    ];
    let mut checks = Vec::new();
    for (manager, config) in &setups {
        let alg = config["JWT_ALGORITHM"].as_str().unwrap_or_default();
        let access = create(manager.create_access_token("alice"), "access token");
        let refresh = create(manager.create_refresh_token("alice"), "refresh token");
        assert_eq!(common::header(&access)["alg"], json!(alg));
        assert_eq!(common::payload(&refresh)["type"], json!("refresh"));
        checks.push(accepted(format!("{alg} access"), access, config));
        checks.push(accepted(format!("{alg} refresh"), refresh, config));
    }
    assert_eq!(checks.len(), 34);
    run(&checks);
}

#[test]
fn claims_headers_and_lifetimes() {
    let (manager, config) = hs(Algorithm::HS256);
    let mut checks = Vec::new();
    let mut add = |name: &str, token: String| checks.push(accepted(name, token, &config));

    add(
        "fresh true",
        create(manager.access_token("alice").fresh(true).create(), "fresh"),
    );
    add(
        "fresh false",
        create(manager.access_token("alice").fresh(false).create(), "stale"),
    );
    let fresh_for = create(
        manager
            .access_token("alice")
            .fresh_for(Duration::from_secs(300))
            .create(),
        "fresh_for",
    );
    assert!(
        common::payload(&fresh_for)["fresh"].is_f64(),
        "fresh_for writes a float timestamp"
    );
    add("fresh for 5 minutes", fresh_for);
    add(
        "fresh until a point in time",
        create(
            manager
                .access_token("alice")
                .fresh_until(SystemTime::now() + Duration::from_secs(3600))
                .create(),
            "fresh_until",
        ),
    );
    add(
        "refresh tokens are never fresh",
        create(
            manager.refresh_token("alice").fresh(true).create(),
            "refresh",
        ),
    );
    add(
        "additional claims",
        create(
            manager
                .access_token("alice")
                .additional_claims(json!({
                    "foo": "bar",
                    "roles": ["admin", "user"],
                    "nested": {"x": 1, "y": [1, 2.5, null, true]},
                    "unicode": "h\u{e9}llo \u{2603} \u{1F600}",
                    "big": 9_223_372_036_854_775_809_u64,
                    "neg": -5,
                    "float": 0.1,
                }))
                .create(),
            "additional claims",
        ),
    );
    let with_headers = create(
        manager
            .access_token("alice")
            .additional_headers(json!({"kid": "k1", "foo": 1, "bar": {"x": [1, 2]}}))
            .create(),
        "additional headers",
    );
    assert_eq!(
        common::header(&with_headers),
        json!({"alg": "HS256", "bar": {"x": [1, 2]}, "foo": 1, "kid": "k1", "typ": "JWT"})
    );
    add("additional headers", with_headers);
    let without_typ = create(
        manager
            .access_token("alice")
            .additional_headers(json!({"typ": null}))
            .create(),
        "no typ",
    );
    assert_eq!(common::header(&without_typ), json!({"alg": "HS256"}));
    add("typ removed", without_typ);
    let never = create(
        manager.access_token("alice").never_expires().create(),
        "never",
    );
    assert!(common::payload(&never).get("exp").is_none());
    add("access never expires", never);
    add(
        "refresh never expires",
        create(
            manager.refresh_token("alice").never_expires().create(),
            "never refresh",
        ),
    );
    add(
        "expires in one hour",
        create(
            manager
                .access_token("alice")
                .expires_in(Duration::from_secs(3600))
                .create(),
            "one hour",
        ),
    );
    add(
        "reserved claim overridden",
        create(
            manager
                .access_token("alice")
                .additional_claims(json!({"type": "app", "jti": "my-own-id"}))
                .create(),
            "override",
        ),
    );
    add(
        "integer identity written as a string",
        create(manager.create_access_token(&1234_u32), "int identity"),
    );

    // The CSRF value the cookie flow would send is accepted by the reference.
    let token = create(manager.create_access_token("alice"), "csrf token");
    let csrf = common::payload(&token)["csrf"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    checks.push(Check {
        name: "csrf value matches".into(),
        token,
        config: config.clone(),
        csrf_value: Some(csrf),
        expect: Expect::Accepted,
    });
    run(&checks);
}

#[test]
fn config_driven_claims() {
    let custom_claim = JwtManager::new(
        JwtConfig::new()
            .with_secret_key(SECRET)
            .with_identity_claim("identity"),
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let token = create(custom_claim.create_access_token("alice"), "identity claim");
    let claims = common::payload(&token);
    assert_eq!(claims["identity"], json!("alice"));
    assert!(claims.get("sub").is_none());

    let aud_iss = JwtManager::new(
        JwtConfig::new()
            .with_secret_key(SECRET)
            .with_encode_audience(vec!["api", "web"])
            .with_encode_issuer("auth.example"),
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let aud_token = create(aud_iss.create_access_token("alice"), "aud/iss");
    assert_eq!(common::payload(&aud_token)["aud"], json!(["api", "web"]));
    assert_eq!(common::payload(&aud_token)["iss"], json!("auth.example"));

    let one_aud = JwtManager::new(
        JwtConfig::new()
            .with_secret_key(SECRET)
            .with_encode_audience("api"),
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let one_aud_token = create(one_aud.create_access_token("alice"), "one aud");

    let no_csrf_no_nbf = JwtManager::new(
        JwtConfig::new()
            .with_secret_key(SECRET)
            .with_cookie_csrf_protect(false)
            .with_encode_nbf(false),
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let plain = create(no_csrf_no_nbf.create_access_token("alice"), "plain");
    let plain_claims = common::payload(&plain);
    assert!(plain_claims.get("csrf").is_none() && plain_claims.get("nbf").is_none());

    let checks = vec![
        accepted(
            "custom identity claim",
            token.clone(),
            &json!({"JWT_SECRET_KEY": SECRET, "JWT_IDENTITY_CLAIM": "identity"}),
        ),
        accepted(
            "audience list and issuer",
            aud_token.clone(),
            &json!({
                "JWT_SECRET_KEY": SECRET,
                "JWT_DECODE_AUDIENCE": "web",
                "JWT_DECODE_ISSUER": "auth.example",
            }),
        ),
        accepted(
            "single audience",
            one_aud_token,
            &json!({"JWT_SECRET_KEY": SECRET, "JWT_DECODE_AUDIENCE": ["other", "api"]}),
        ),
        accepted("no csrf, no nbf", plain, &json!({"JWT_SECRET_KEY": SECRET})),
        // The harness also says no.
        Check {
            name: "custom identity claim on a default app".into(),
            token,
            config: json!({"JWT_SECRET_KEY": SECRET}),
            csrf_value: None,
            expect: Expect::Refused("Missing claim: sub"),
        },
        Check {
            name: "wrong audience".into(),
            token: aud_token.clone(),
            config: json!({"JWT_SECRET_KEY": SECRET, "JWT_DECODE_AUDIENCE": "mobile"}),
            csrf_value: None,
            expect: Expect::Refused("Audience doesn't match"),
        },
        Check {
            name: "wrong issuer".into(),
            token: aud_token,
            config: json!({"JWT_SECRET_KEY": SECRET, "JWT_DECODE_ISSUER": "someone.else"}),
            csrf_value: None,
            expect: Expect::Refused("Invalid issuer"),
        },
    ];
    run(&checks);
}

#[test]
fn the_reference_refuses_what_it_should() {
    let (manager, config) = hs(Algorithm::HS256);
    let expired = create(
        manager
            .access_token("alice")
            .expires_at(SystemTime::now() - Duration::from_secs(60))
            .create(),
        "expired",
    );
    let (rs, _) = pair(
        Algorithm::RS256,
        "rsa2048_private.pem",
        "rsa2048_public.pem",
    );
    let rs_token = create(rs.create_access_token("alice"), "rs256");
    let (es512, _) = pair(Algorithm::ES512, "ec521_private.pem", "ec521_public.pem");
    let es512_token = create(es512.create_access_token("alice"), "es512");
    let other_key = JwtManager::new(JwtConfig::new().with_secret_key("not-the-secret"))
        .unwrap_or_else(|e| panic!("{e}"));
    let forged = create(other_key.create_access_token("alice"), "forged");
    let token = create(manager.create_access_token("alice"), "csrf");
    let refused = |name: &str, token: String, config: &Value, message| Check {
        name: name.into(),
        token,
        config: config.clone(),
        csrf_value: None,
        expect: Expect::Refused(message),
    };
    let mut checks = vec![
        refused("expired", expired, &config, "Signature has expired"),
        refused(
            "wrong secret",
            forged,
            &config,
            "Signature verification failed",
        ),
        refused(
            "RS256 token on an HS256 app",
            rs_token.clone(),
            &config,
            "The specified alg value is not allowed",
        ),
        refused(
            "RS256 token verified with the other RSA key",
            rs_token,
            &json!({"JWT_ALGORITHM": "RS256", "JWT_PUBLIC_KEY": "rsa2048_other_public.pem"}),
            "Signature verification failed",
        ),
        refused(
            "ES512 token on an ES256 app",
            es512_token.clone(),
            &json!({"JWT_ALGORITHM": "ES256", "JWT_PUBLIC_KEY": "ec256_public.pem"}),
            "The specified alg value is not allowed",
        ),
        refused(
            "ES512 token with its signature cut to 131 bytes",
            truncated_signature(&es512_token),
            &json!({"JWT_ALGORITHM": "ES512", "JWT_PUBLIC_KEY": "ec521_public.pem"}),
            "Signature verification failed",
        ),
    ];
    checks.push(Check {
        name: "csrf mismatch".into(),
        token,
        config: config.clone(),
        csrf_value: Some("not-the-csrf-value".into()),
        expect: Expect::Refused("CSRF double submit tokens do not match"),
    });
    run(&checks);
}

/// The reference's own defaults, applied to a token of ours: `type`,
/// `fresh` and `jti` are all present, so nothing is filled in.
#[test]
fn reference_defaults_add_nothing_to_our_tokens() {
    let (manager, config) = hs(Algorithm::HS256);
    let token = create(manager.create_access_token("alice"), "token");
    let claims: Map<String, Value> = common::payload(&token)
        .as_object()
        .cloned()
        .unwrap_or_default();
    let mut keys: Vec<&str> = claims.keys().map(String::as_str).collect();
    keys.sort_unstable();
    assert_eq!(
        keys,
        ["csrf", "exp", "fresh", "iat", "jti", "nbf", "sub", "type"]
    );
    run(&[accepted("default token", token, &config)]);
}

/// The token with the last byte of its signature dropped.
fn truncated_signature(token: &str) -> String {
    use base64::Engine as _;
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;
    let (signed, signature) = token.rsplit_once('.').unwrap_or_default();
    let mut bytes = URL_SAFE_NO_PAD.decode(signature).unwrap_or_default();
    bytes.pop();
    format!("{signed}.{}", URL_SAFE_NO_PAD.encode(bytes))
}

/// Tokens the reference signs (access and refresh, each private-key
/// encoding) verify with a public-key-only manager here, with the claims
/// the reference wrote.
#[tokio::test]
async fn reference_tokens_verify_here() {
    let setups = [
        (Algorithm::ES512, "ec521_private.pem", "ec521_public.pem"),
        (
            Algorithm::ES512,
            "ec521_sec1_private.pem",
            "ec521_public.pem",
        ),
        (
            Algorithm::ES384,
            "ec384_sec1_private.pem",
            "ec384_public.pem",
        ),
        (Algorithm::ES256, "ec256_private.pem", "ec256_public.pem"),
        (
            Algorithm::RS256,
            "rsa2048_private.pem",
            "rsa2048_public.pem",
        ),
        (
            Algorithm::PS512,
            "rsa2048_private.pem",
            "rsa2048_public.pem",
        ),
        (
            Algorithm::EdDSA,
            "ed25519_private.pem",
            "ed25519_public.pem",
        ),
    ];
    let requests: Vec<Value> = setups
        .iter()
        .flat_map(|(algorithm, private, _)| {
            let config = json!({"JWT_ALGORITHM": algorithm.as_str(), "JWT_PRIVATE_KEY": private});
            [false, true]
                .map(|refresh| json!({"config": config, "identity": "alice", "refresh": refresh}))
        })
        .collect();
    let answers = reference(&["--sign"], &requests);
    for (request, answer) in requests.iter().zip(&answers) {
        let token = answer["token"]
            .as_str()
            .unwrap_or_else(|| panic!("the reference did not sign {request}: {answer}"));
        let name = request["config"]["JWT_ALGORITHM"]
            .as_str()
            .unwrap_or_default();
        let public = setups
            .iter()
            .find(|(algorithm, private, _)| {
                algorithm.as_str() == name && request["config"]["JWT_PRIVATE_KEY"] == **private
            })
            .map(|(_, _, public)| *public)
            .unwrap_or_default();
        let algorithm: Algorithm = name.parse().unwrap_or_else(|e| panic!("{e}"));
        let verifier = JwtManager::builder(
            JwtConfig::new()
                .with_algorithm(algorithm)
                .with_public_key(key(public)),
        )
        .verify_only()
        .build()
        .unwrap_or_else(|e| panic!("{name} verifier: {e}"));
        assert_eq!(common::header(token)["alg"], json!(name));
        let decoded = verifier
            .decode_token(token)
            .await
            .unwrap_or_else(|e| panic!("{request}: the reference's token is refused: {e}"));
        assert_eq!(
            Value::Object(decoded.claims().clone()),
            common::payload(token)
        );
        assert_eq!(decoded.claims()["sub"], "alice");
    }
}

/// Issue 15 item 7: tokens of a session (with `sid`), fresh ones from a
/// pair and rotated ones, are plain tokens to the reference.
#[test]
fn session_tokens_are_accepted_by_the_reference() {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap_or_else(|e| panic!("runtime: {e}"));
    let (checks, sid) = runtime.block_on(async {
        let jwt = JwtManager::builder(JwtConfig::new().with_secret_key(SECRET))
            .session_store(jwt_extended::blocklist::MemoryBlocklist::new())
            .build()
            .unwrap_or_else(|e| panic!("manager: {e}"));
        let pair = jwt
            .token_pair("alice")
            .fresh(true)
            .additional_claims(json!({"role": "admin"}))
            .create()
            .await
            .unwrap_or_else(|e| panic!("pair: {e}"));
        let refresh = jwt
            .decode_token(&pair.refresh_token)
            .await
            .unwrap_or_else(|e| panic!("decode: {e}"));
        let rotated = jwt
            .rotate_refresh_token(&refresh)
            .await
            .unwrap_or_else(|e| panic!("rotate: {e}"));
        let config = json!({"JWT_SECRET_KEY": SECRET});
        let checks = vec![
            accepted("pair access", pair.access_token, &config),
            accepted("pair refresh", pair.refresh_token, &config),
            accepted("rotated access", rotated.access_token, &config),
            accepted("rotated refresh", rotated.refresh_token, &config),
        ];
        (checks, pair.session_id)
    });
    for check in &checks {
        assert_eq!(
            common::payload(&check.token)["sid"],
            sid.as_str(),
            "{}",
            check.name
        );
    }
    run(&checks);
}
