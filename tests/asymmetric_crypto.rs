//! Asymmetric algorithms: the port of the reference's
//! `tests/test_asymmetric_crypto.py`, plus every supported algorithm, both
//! PEM encodings of each key, wrong keys and algorithm confusion.
//!
//! The reference test uses 1024-bit PKCS#1 RSA keys and switches
//! `JWT_ALGORITHM` from HS256 to RS256 mid-test. Here the keys are the
//! 2048-bit PKCS#1 fixtures (the aws-lc-rs backend only verifies 2048 to 8192
//! bits) and the switch is two managers.

mod common;

use axum::Router;
use axum::http::StatusCode;
use axum::routing::get;
use common::*;
use jwt_extended::Algorithm;
use jwt_extended::axum::{FlaskJson, Jwt};
use jwt_extended::{JwtConfig, JwtManager};
use serde_json::{Value, json};

fn key(file: &str) -> String {
    let path = format!("{}/tests/fixtures/keys/{file}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("cannot read {path}: {e}"))
}

fn app_for(manager: JwtManager) -> Router {
    Router::new()
        .route(
            "/protected",
            get(|_: Jwt| async { FlaskJson(json!({"foo": "bar"})) }),
        )
        .with_state(manager)
}

fn signer(algorithm: Algorithm, private: &str, public: &str) -> JwtManager {
    JwtManager::new(
        JwtConfig::new()
            .with_algorithm(algorithm)
            .with_private_key(key(private))
            .with_public_key(key(public)),
    )
    .unwrap_or_else(|e| panic!("{algorithm:?} with {private}/{public}: {e}"))
}

/// A manager that only verifies (public key only, like a resource server).
fn verifier(algorithm: Algorithm, public: &str) -> JwtManager {
    JwtManager::builder(
        JwtConfig::new()
            .with_algorithm(algorithm)
            .with_public_key(key(public)),
    )
    .verify_only()
    .build()
    .unwrap_or_else(|e| panic!("{algorithm:?} verifier with {public}: {e}"))
}

fn token(manager: &JwtManager) -> String {
    manager
        .create_access_token("username")
        .unwrap_or_else(|e| panic!("cannot create a token: {e}"))
}

#[track_caller]
fn assert_ok(response: &TestResponse) {
    assert_eq!(
        (response.status, response.json()),
        (StatusCode::OK, json!({"foo": "bar"})),
        "body: {}",
        response.text()
    );
}

#[tokio::test]
async fn asymmetric_crypto() {
    // The same app config with a secret and RSA keys, before and after the
    // switch to RS256.
    let base = JwtConfig::new()
        .with_secret_key("foobarbaz")
        .with_public_key(key("rsa2048_pkcs1_public.pem"))
        .with_private_key(key("rsa2048_pkcs1_private.pem"));
    let hs256 = JwtManager::new(base.clone()).unwrap_or_else(|e| panic!("{e}"));
    let rs256 =
        JwtManager::new(base.with_algorithm(Algorithm::RS256)).unwrap_or_else(|e| panic!("{e}"));
    let hs256_token = token(&hs256);
    let rs256_token = token(&rs256);
    assert_eq!(header(&rs256_token)["alg"], "RS256");

    let app = app_for(rs256);
    http_get_bearer(&app, "/protected", &hs256_token)
        .await
        .assert_error(422, "The specified alg value is not allowed");
    assert_ok(&http_get_bearer(&app, "/protected", &rs256_token).await);
}

/// Every asymmetric algorithm of the port, signed with one encoding of the
/// key and verified by a public-key-only manager.
#[tokio::test]
async fn every_asymmetric_algorithm() {
    let setups: [(Algorithm, &str, &str); 16] = [
        (
            Algorithm::RS256,
            "rsa2048_pkcs1_private.pem",
            "rsa2048_pkcs1_public.pem",
        ),
        (
            Algorithm::RS384,
            "rsa2048_private.pem",
            "rsa2048_public.pem",
        ),
        (
            Algorithm::RS512,
            "rsa2048_pkcs1_private.pem",
            "rsa2048_public.pem",
        ),
        (
            Algorithm::PS256,
            "rsa2048_private.pem",
            "rsa2048_pkcs1_public.pem",
        ),
        (
            Algorithm::PS384,
            "rsa2048_pkcs1_private.pem",
            "rsa2048_pkcs1_public.pem",
        ),
        (
            Algorithm::PS512,
            "rsa2048_private.pem",
            "rsa2048_public.pem",
        ),
        (Algorithm::ES256, "ec256_private.pem", "ec256_public.pem"),
        (
            Algorithm::ES256,
            "ec256_sec1_private.pem",
            "ec256_public.pem",
        ),
        (Algorithm::ES384, "ec384_private.pem", "ec384_public.pem"),
        (
            Algorithm::ES384,
            "ec384_sec1_private.pem",
            "ec384_public.pem",
        ),
        (Algorithm::ES512, "ec521_private.pem", "ec521_public.pem"),
        (
            Algorithm::ES512,
            "ec521_sec1_private.pem",
            "ec521_public.pem",
        ),
        (
            Algorithm::EdDSA,
            "ed25519_private.pem",
            "ed25519_public.pem",
        ),
        // PKCS#1 and PKCS#8 RSA keys are interchangeable.
        (
            Algorithm::RS256,
            "rsa2048_private.pem",
            "rsa2048_pkcs1_public.pem",
        ),
        (
            Algorithm::RS256,
            "rsa2048_pkcs1_private.pem",
            "rsa2048_public.pem",
        ),
        (
            Algorithm::PS256,
            "rsa2048_pkcs1_private.pem",
            "rsa2048_public.pem",
        ),
    ];
    for (algorithm, private, public) in setups {
        let signed = token(&signer(algorithm, private, public));
        assert_eq!(header(&signed)["alg"], json!(format!("{algorithm:?}")));
        let response =
            http_get_bearer(&app_for(verifier(algorithm, public)), "/protected", &signed).await;
        assert_eq!(
            (response.status, response.json()),
            (StatusCode::OK, json!({"foo": "bar"})),
            "{algorithm:?} signed with {private}, verified with {public}"
        );
    }
}

#[tokio::test]
async fn wrong_keys_fail_the_signature() {
    let cases = [
        (
            Algorithm::RS256,
            "rsa2048_other_pkcs1_private.pem",
            "rsa2048_other_pkcs1_public.pem",
            "rsa2048_pkcs1_public.pem",
        ),
        (
            Algorithm::PS512,
            "rsa2048_other_private.pem",
            "rsa2048_other_public.pem",
            "rsa2048_public.pem",
        ),
        (
            Algorithm::ES256,
            "ec256_attacker_private.pem",
            "ec256_attacker_public.pem",
            "ec256_public.pem",
        ),
        (
            Algorithm::ES512,
            "ec521_attacker_sec1_private.pem",
            "ec521_attacker_public.pem",
            "ec521_public.pem",
        ),
        (
            Algorithm::EdDSA,
            "ed25519_attacker_private.pem",
            "ed25519_attacker_public.pem",
            "ed25519_public.pem",
        ),
    ];
    for (algorithm, attacker_private, attacker_public, public) in cases {
        let forged = token(&signer(algorithm, attacker_private, attacker_public));
        let app = app_for(verifier(algorithm, public));
        let response = http_get_bearer(&app, "/protected", &forged).await;
        assert_eq!(
            (response.status.as_u16(), response.msg()),
            (422, "Signature verification failed".to_owned()),
            "{algorithm:?} token of {attacker_private}"
        );
    }
}

#[tokio::test]
async fn other_algorithms_are_not_allowed() {
    let rs256 = signer(
        Algorithm::RS256,
        "rsa2048_pkcs1_private.pem",
        "rsa2048_pkcs1_public.pem",
    );
    let ps256 = signer(
        Algorithm::PS256,
        "rsa2048_pkcs1_private.pem",
        "rsa2048_pkcs1_public.pem",
    );
    let es256 = signer(Algorithm::ES256, "ec256_private.pem", "ec256_public.pem");
    let eddsa = signer(
        Algorithm::EdDSA,
        "ed25519_private.pem",
        "ed25519_public.pem",
    );
    const NOT_ALLOWED: &str = "The specified alg value is not allowed";

    // Same key, other RSA algorithm.
    http_get_bearer(&app_for(rs256.clone()), "/protected", &token(&ps256))
        .await
        .assert_error(422, NOT_ALLOWED);
    http_get_bearer(&app_for(es256.clone()), "/protected", &token(&eddsa))
        .await
        .assert_error(422, NOT_ALLOWED);
    http_get_bearer(&app_for(manager()), "/protected", &token(&rs256))
        .await
        .assert_error(422, NOT_ALLOWED);

    // JWT_DECODE_ALGORITHMS adds PS256 to an RS256 app (JWT_ALGORITHM stays
    // in the list): both verify with the same public key.
    let both = JwtManager::builder(
        JwtConfig::new()
            .with_algorithm(Algorithm::RS256)
            .with_decode_algorithms([Algorithm::PS256])
            .with_public_key(key("rsa2048_pkcs1_public.pem")),
    )
    .verify_only()
    .build()
    .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        both.config().decode_algorithms(),
        [Algorithm::PS256, Algorithm::RS256]
    );
    let app = app_for(both);
    assert_ok(&http_get_bearer(&app, "/protected", &token(&ps256)).await);
    assert_ok(&http_get_bearer(&app, "/protected", &token(&rs256)).await);
    http_get_bearer(&app, "/protected", &token(&es256))
        .await
        .assert_error(422, NOT_ALLOWED);
}

/// The classic confusion attack: an HS256 token whose MAC key is the
/// server's RSA public key.
#[tokio::test]
async fn algorithm_confusion_is_refused() {
    let public = key("rsa2048_pkcs1_public.pem");
    // Built first: it installs the process-wide crypto provider `hs_token` signs with.
    let rs_app = app_for(verifier(Algorithm::RS256, "rsa2048_pkcs1_public.pem"));
    let forged = hs_token(
        &public,
        &json!({"alg": "HS256", "typ": "JWT"}),
        &json!({"sub": "admin"}),
    );
    http_get_bearer(&rs_app, "/protected", &forged)
        .await
        .assert_error(422, "The specified alg value is not allowed");

    // Even with HS256 allowed, the configured key is an RSA key, which cannot
    // check an HMAC. (The reference answers 500 here: PyJWT refuses the PEM
    // as an HMAC secret; the port never answers 500 to a client.)
    let lenient = JwtManager::builder(
        JwtConfig::new()
            .with_algorithm(Algorithm::RS256)
            .with_decode_algorithms([Algorithm::RS256, Algorithm::HS256])
            .with_public_key(public),
    )
    .verify_only()
    .build()
    .unwrap_or_else(|e| panic!("{e}"));
    http_get_bearer(&app_for(lenient), "/protected", &forged)
        .await
        .assert_error(422, "Signature verification failed");
}

#[tokio::test]
async fn tampered_asymmetric_tokens() {
    let rs256 = signer(
        Algorithm::RS256,
        "rsa2048_pkcs1_private.pem",
        "rsa2048_pkcs1_public.pem",
    );
    let good = token(&rs256);
    let app = app_for(rs256);
    let mut parts: Vec<String> = good.split('.').map(str::to_owned).collect();
    let claims = payload(&good);
    let mut admin: Value = claims.clone();
    admin["sub"] = json!("admin");
    let encoded = base64_url(admin.to_string());
    let signature = parts.pop().unwrap_or_default();
    let tampered = format!("{}.{encoded}.{signature}", parts[0]);
    http_get_bearer(&app, "/protected", &tampered)
        .await
        .assert_error(422, "Signature verification failed");
    let unsigned = format!("{}.{}.", parts[0], parts[1]);
    http_get_bearer(&app, "/protected", &unsigned)
        .await
        .assert_error(422, "Signature verification failed");
}

fn base64_url(text: impl AsRef<[u8]>) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(text)
}

fn base64_url_decode(text: &str) -> Vec<u8> {
    use base64::Engine as _;
    base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(text)
        .unwrap_or_else(|e| panic!("{text:?}: {e}"))
}

const SIGNATURE_FAILED: &str = "Signature verification failed";

/// ES512 from the environment, as the reference reads it: JWT_ALGORITHM,
/// JWT_DECODE_ALGORITHMS and the PEM keys (a SEC1 private key here).
#[tokio::test]
async fn es512_from_the_environment() {
    let config = JwtConfig::from_vars([
        ("JWT_ALGORITHM", "ES512".to_owned()),
        ("JWT_DECODE_ALGORITHMS", r#"["ES512", "ES256"]"#.to_owned()),
        ("JWT_PRIVATE_KEY", key("ec521_sec1_private.pem")),
        ("JWT_PUBLIC_KEY", key("ec521_public.pem")),
    ])
    .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(config.algorithm(), Algorithm::ES512);
    assert_eq!(
        config.decode_algorithms(),
        [Algorithm::ES512, Algorithm::ES256]
    );
    let manager = JwtManager::new(config).unwrap_or_else(|e| panic!("{e}"));
    let signed = token(&manager);
    assert_eq!(header(&signed)["alg"], "ES512");
    assert_eq!(
        signed
            .rsplit('.')
            .next()
            .map(base64_url_decode)
            .map(|s| s.len()),
        Some(132)
    );
    let app = app_for(manager);
    assert_ok(&http_get_bearer(&app, "/protected", &signed).await);
    // ES256 is allowed, but the P-521 key never verifies a P-256 token: the
    // curve fixes the algorithm.
    let es256 = token(&signer(
        Algorithm::ES256,
        "ec256_private.pem",
        "ec256_public.pem",
    ));
    http_get_bearer(&app, "/protected", &es256)
        .await
        .assert_error(422, SIGNATURE_FAILED);
}

/// And the other way: a P-256 app that allows ES512 never verifies an
/// ES512 token, nor an ES512 signature relabelled ES256.
#[tokio::test]
async fn a_p256_key_never_verifies_es512() {
    let es256 = JwtManager::builder(
        JwtConfig::new()
            .with_algorithm(Algorithm::ES256)
            .with_decode_algorithms([Algorithm::ES512])
            .with_public_key(key("ec256_public.pem")),
    )
    .verify_only()
    .build()
    .unwrap_or_else(|e| panic!("{e}"));
    let app = app_for(es256);
    let es512 = token(&signer(
        Algorithm::ES512,
        "ec521_private.pem",
        "ec521_public.pem",
    ));
    http_get_bearer(&app, "/protected", &es512)
        .await
        .assert_error(422, SIGNATURE_FAILED);
    let relabelled = relabel(&es512, "ES256");
    http_get_bearer(&app, "/protected", &relabelled)
        .await
        .assert_error(422, SIGNATURE_FAILED);
}

/// The header of `token` with another `alg` (the signature unchanged).
fn relabel(token: &str, alg: &str) -> String {
    let mut parts = token.splitn(2, '.');
    let head = parts.next().unwrap_or_default();
    let rest = parts.next().unwrap_or_default();
    let mut header: Value =
        serde_json::from_slice(&base64_url_decode(head)).unwrap_or_else(|e| panic!("{e}"));
    header["alg"] = json!(alg);
    format!("{}.{rest}", base64_url(header.to_string()))
}

#[test]
fn es512_keys_must_be_p521() {
    let build = |algorithm, private: Option<&str>, public: &str| {
        let mut config = JwtConfig::new()
            .with_algorithm(algorithm)
            .with_public_key(key(public));
        if let Some(private) = private {
            config = config.with_private_key(key(private));
            JwtManager::new(config).map(drop)
        } else {
            JwtManager::builder(config).verify_only().build().map(drop)
        }
    };
    let refused = [
        (
            Algorithm::ES512,
            Some("ec256_private.pem"),
            "ec521_public.pem",
        ),
        (
            Algorithm::ES512,
            Some("ec384_sec1_private.pem"),
            "ec521_public.pem",
        ),
        (
            Algorithm::ES512,
            Some("ed25519_private.pem"),
            "ec521_public.pem",
        ),
        (
            Algorithm::ES512,
            Some("rsa2048_private.pem"),
            "ec521_public.pem",
        ),
        (Algorithm::ES512, None, "ec256_public.pem"),
        (Algorithm::ES512, None, "ec384_public.pem"),
        (Algorithm::ES512, None, "rsa2048_public.pem"),
        // The pair does not match.
        (
            Algorithm::ES512,
            Some("ec521_private.pem"),
            "ec521_attacker_public.pem",
        ),
        // A P-521 key is not an ES256 or ES384 key.
        (
            Algorithm::ES256,
            Some("ec521_private.pem"),
            "ec521_public.pem",
        ),
        (
            Algorithm::ES384,
            Some("ec521_sec1_private.pem"),
            "ec521_public.pem",
        ),
        // Nor are the other curves' public keys, even without a private key.
        (Algorithm::ES256, None, "ec521_public.pem"),
        (Algorithm::ES256, None, "ec384_public.pem"),
        (Algorithm::ES384, None, "ec256_public.pem"),
    ];
    for (algorithm, private, public) in refused {
        assert!(
            build(algorithm, private, public).is_err(),
            "{algorithm} with {private:?} and {public} must be refused"
        );
    }
    assert!(build(Algorithm::ES512, None, "ec521_public.pem").is_ok());
}

/// Anything but a 132-byte `r || s` signature is a failed signature,
/// never a panic: DER (what a careless signer writes), cut or padded,
/// zeros, a P-256 signature.
#[tokio::test]
async fn malformed_es512_signatures_fail_the_signature() {
    let manager = signer(Algorithm::ES512, "ec521_private.pem", "ec521_public.pem");
    let good = token(&manager);
    let app = app_for(manager);
    assert_ok(&http_get_bearer(&app, "/protected", &good).await);
    let (signed, signature) = good.rsplit_once('.').unwrap_or_default();
    let raw = base64_url_decode(signature);
    assert_eq!(raw.len(), 132);
    let p256 = token(&signer(
        Algorithm::ES256,
        "ec256_private.pem",
        "ec256_public.pem",
    ));
    let p256_signature = base64_url_decode(p256.rsplit('.').next().unwrap_or_default());
    let mut flipped = raw.clone();
    flipped[100] ^= 0x40;
    let candidates: Vec<(&str, Vec<u8>)> = vec![
        ("DER", der_signature(&raw)),
        ("131 bytes", raw[..131].to_vec()),
        ("133 bytes", [raw.as_slice(), &[0]].concat()),
        ("r only", raw[..66].to_vec()),
        ("s || r", [&raw[66..], &raw[..66]].concat()),
        ("zeros", vec![0; 132]),
        ("ones", vec![0xff; 132]),
        ("one bit flipped", flipped),
        ("P-256 signature", p256_signature),
        ("empty", Vec::new()),
    ];
    for (what, bad) in candidates {
        let forged = format!("{signed}.{}", base64_url(&bad));
        let response = http_get_bearer(&app, "/protected", &forged).await;
        assert_eq!(
            (response.status.as_u16(), response.msg()),
            (422, SIGNATURE_FAILED.to_owned()),
            "{what}"
        );
    }
}

/// The DER `ECDSA-Sig-Value` of a fixed-size `r || s` signature.
fn der_signature(raw: &[u8]) -> Vec<u8> {
    let integer = |half: &[u8]| {
        let trimmed: Vec<u8> = half.iter().copied().skip_while(|b| *b == 0).collect();
        let mut content = if trimmed.first().is_some_and(|b| b & 0x80 != 0) {
            vec![0]
        } else {
            Vec::new()
        };
        content.extend(trimmed);
        let mut out = vec![0x02, u8::try_from(content.len()).unwrap_or(0)];
        out.extend(content);
        out
    };
    let (r, s) = raw.split_at(raw.len() / 2);
    let body = [integer(r), integer(s)].concat();
    let mut out = vec![0x30, 0x81, u8::try_from(body.len()).unwrap_or(0)];
    out.extend(body);
    out
}
