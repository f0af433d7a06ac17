//! Publishing the key set: the JWK Set and discovery document through a real
//! router, and PyJWT's `PyJWKClient`, pointed at our endpoint on a real
//! port, verifying our RS256, ES256 and EdDSA tokens — also after a
//! rotation (the new key published beside the old one) and refusing a
//! token whose key was removed.
//!
//! Needs `python3` with PyJWT and `cryptography` (`scripts/install-deps.sh`
//! installs them). Without them this test fails (it never skips).

mod common;

use std::io::Write as _;
use std::process::{Command, Stdio};

use axum::Router;
use axum::routing::get_service;
use common::*;
use jwt_extended::axum::{DiscoveryEndpoint, JwksEndpoint};
use jwt_extended::token::{Key, KeySet};
use jwt_extended::{Algorithm, JwtConfig, JwtManager};
use serde_json::{Value, json};

const ROOT: &str = env!("CARGO_MANIFEST_DIR");
const ISSUER: &str = "https://auth.example.com";

fn ok<T, E: std::fmt::Display>(result: Result<T, E>) -> T {
    result.unwrap_or_else(|e| panic!("unexpected error: {e}"))
}

fn private(kid: &str, algorithm: Algorithm, file: &str) -> Key {
    let pem = ok(std::fs::read(format!("{ROOT}/tests/fixtures/keys/{file}")));
    ok(Key::from_private_pem(kid, algorithm, pem))
}

/// An RS256 manager that also accepts ES256 and EdDSA, with a secret for
/// tokens without `kid` (never published).
fn manager_with_rsa() -> JwtManager {
    let config = JwtConfig::new()
        .with_algorithm(Algorithm::RS256)
        .with_decode_algorithms([
            Algorithm::RS256,
            Algorithm::ES256,
            Algorithm::EdDSA,
            Algorithm::HS256,
        ])
        .with_encode_issuer(ISSUER);
    let set = ok(KeySet::new()
        .with_signing_key(private("rsa-1", Algorithm::RS256, "rsa2048_private.pem"))
        .and_then(|set| set.with_key(ok(Key::hmac("hs", Algorithm::HS256, [1u8; 32])))));
    ok(JwtManager::builder(config).key_set(set).build())
}

fn well_known(jwt: &JwtManager) -> Router {
    let discovery =
        DiscoveryEndpoint::from_manager(jwt).unwrap_or_else(|| panic!("JWT_ENCODE_ISSUER is set"));
    Router::new()
        .route_service(
            "/.well-known/jwks.json",
            get_service(JwksEndpoint::new(jwt)),
        )
        .route_service("/.well-known/openid-configuration", get_service(discovery))
}

fn kids(jwks: &Value) -> Vec<&str> {
    jwks["keys"]
        .as_array()
        .map(|keys| keys.iter().filter_map(|k| k["kid"].as_str()).collect())
        .unwrap_or_default()
}

#[tokio::test]
async fn the_endpoints_answer_with_the_public_keys() {
    let jwt = manager_with_rsa();
    let app = well_known(&jwt);
    let response = http_get(&app, "/.well-known/jwks.json", &[]).await;
    assert_eq!(response.status, 200);
    assert_eq!(response.headers["content-type"], "application/json");
    assert_eq!(response.headers["cache-control"], "public, max-age=300");
    let jwks = response.json();
    // The HMAC secret is never published.
    assert_eq!(kids(&jwks), ["rsa-1"]);
    let key = &jwks["keys"][0];
    assert_eq!(key["kty"], "RSA");
    assert_eq!(key["use"], "sig");
    assert_eq!(key["alg"], "RS256");
    assert_eq!(key["e"], "AQAB");
    assert!(key["n"].as_str().is_some_and(|n| n.len() > 300));
    assert!(key.get("d").is_none());

    let response = http_get(&app, "/.well-known/openid-configuration", &[]).await;
    assert_eq!(response.status, 200);
    assert_eq!(
        response.json(),
        json!({"issuer": ISSUER, "jwks_uri": format!("{ISSUER}/.well-known/jwks.json")})
    );
    let post = send(
        &app,
        request(axum::http::Method::POST, "/.well-known/jwks.json")
            .body(axum::body::Body::empty())
            .unwrap_or_default(),
    )
    .await;
    assert_eq!(post.status, 405);

    // A rotation shows at once.
    ok(jwt
        .keys()
        .add_verification_key(private("ec-1", Algorithm::ES256, "ec256_private.pem")));
    let jwks = http_get(&app, "/.well-known/jwks.json", &[]).await.json();
    assert_eq!(kids(&jwks), ["ec-1", "rsa-1"]);
    let ec = &jwks["keys"][0];
    assert_eq!(
        (ec["kty"].as_str(), ec["crv"].as_str()),
        (Some("EC"), Some("P-256"))
    );
}

/// Runs `interop/pyjwk_client.py` on `tokens` against `url`.
fn pyjwk_client(url: &str, tokens: &[String]) -> Vec<Value> {
    let mut child = Command::new("python3")
        .arg("interop/pyjwk_client.py")
        .current_dir(ROOT)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("python3 is required for this test: {e}"));
    let input = json!({"jwks_url": url, "tokens": tokens}).to_string();
    if let Some(mut stdin) = child.stdin.take() {
        ok(stdin.write_all(input.as_bytes()));
    }
    let output = ok(child.wait_with_output());
    assert!(
        output.status.success(),
        "pyjwk_client.py failed (PyJWT and cryptography are required): {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout)
        .lines()
        .map(|line| ok(serde_json::from_str(line)))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pyjwt_verifies_our_tokens_through_our_jwks() {
    let jwt = manager_with_rsa();
    let listener = ok(tokio::net::TcpListener::bind("127.0.0.1:0").await);
    let url = format!("http://{}/.well-known/jwks.json", ok(listener.local_addr()));
    let server = tokio::spawn(axum::serve(listener, well_known(&jwt)).into_future());

    // RS256 first, then a rotation to ES256 and another to EdDSA: each new
    // key is published before it signs, the old ones stay.
    let rsa = ok(jwt.create_access_token("alice"));
    ok(jwt
        .keys()
        .add_verification_key(private("ec-1", Algorithm::ES256, "ec256_private.pem")));
    ok(jwt.keys().set_signing_key("ec-1"));
    let ec = ok(jwt.create_access_token("bob"));
    ok(jwt
        .keys()
        .add_verification_key(private("ed-1", Algorithm::EdDSA, "ed25519_private.pem")));
    ok(jwt.keys().set_signing_key("ed-1"));
    let ed = ok(jwt.create_refresh_token("carol"));

    let tokens = vec![rsa.clone(), ec, ed];
    let results = {
        let (url, tokens) = (url.clone(), tokens.clone());
        ok(tokio::task::spawn_blocking(move || pyjwk_client(&url, &tokens)).await)
    };
    let expected = [
        ("rsa-1", "RS256", "alice"),
        ("ec-1", "ES256", "bob"),
        ("ed-1", "EdDSA", "carol"),
    ];
    assert_eq!(results.len(), expected.len());
    for (result, (kid, alg, sub)) in results.iter().zip(expected) {
        assert_eq!(result["ok"], true, "{kid}: {result}");
        assert_eq!(result["kid"], kid);
        assert_eq!(result["alg"], alg);
        assert_eq!(result["claims"]["sub"], sub);
        assert_eq!(result["claims"]["iss"], ISSUER);
    }
    // Our own verification agrees.
    for token in &tokens {
        assert!(jwt.decode_token(token).await.is_ok());
    }

    // Retiring rsa-1: PyJWT no longer finds its key, and neither do we.
    ok(jwt.keys().remove_key("rsa-1"));
    let results = {
        let (url, tokens) = (url.clone(), vec![rsa.clone()]);
        ok(tokio::task::spawn_blocking(move || pyjwk_client(&url, &tokens)).await)
    };
    assert_eq!(results[0]["ok"], false, "{}", results[0]);
    assert_eq!(results[0]["error_type"], "PyJWKClientError");
    match jwt.decode_token(&rsa).await {
        Ok(_) => panic!("a token of a removed key verified"),
        Err(refused) => assert_eq!(refused.message(), "Signature verification failed"),
    }
    server.abort();
}
