//! Key sets through real routers: the `kid` of the signing key in new
//! tokens (and no `kid`, byte for byte, without a set), verification by
//! `kid`, unknown `kid`s and keys of another family refused as the
//! reference refuses a bad key, `JWT_SECRET_KEY_FALLBACKS`, and rotation at
//! run time while requests verify.

mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use axum::Router;
use axum::routing::get;
use common::*;
use jwt_extended::axum::{FlaskJson, Jwt};
use jwt_extended::config::ConfigError;
use jwt_extended::token::{Key, KeyError, KeySet};
use jwt_extended::{Algorithm, JwtConfig, JwtManager};
use serde_json::{Value, json};

const ROOT: &str = env!("CARGO_MANIFEST_DIR");

async fn whoami(token: Jwt) -> FlaskJson<Value> {
    FlaskJson(json!({"sub": token.identity(), "kid": token.header().get("kid")}))
}

fn router(jwt: JwtManager) -> Router {
    Router::new()
        .route("/protected", get(whoami))
        .with_state(jwt)
}

fn ok<T, E: std::fmt::Display>(result: Result<T, E>) -> T {
    result.unwrap_or_else(|e| panic!("unexpected error: {e}"))
}

#[track_caller]
fn config_error(result: Result<JwtManager, ConfigError>) -> ConfigError {
    match result {
        Ok(manager) => panic!("expected a ConfigError, got {manager:?}"),
        Err(e) => e,
    }
}

fn pem(file: &str) -> Vec<u8> {
    ok(std::fs::read(format!("{ROOT}/tests/fixtures/keys/{file}")))
}

fn secret(n: u8) -> [u8; 32] {
    [b'a' + n; 32]
}

fn hmac(kid: &str, n: u8) -> Key {
    ok(Key::hmac(kid, Algorithm::HS256, secret(n)))
}

fn with_set(config: JwtConfig, set: KeySet) -> JwtManager {
    ok(JwtManager::builder(config).key_set(set).build())
}

async fn assert_accepted(app: &Router, token: &str, kid: Option<&str>) {
    let response = http_get_bearer(app, "/protected", token).await;
    assert_eq!(response.status, 200, "{}", response.text());
    assert_eq!(response.json(), json!({"sub": "alice", "kid": kid}));
}

async fn assert_bad_signature(app: &Router, token: &str) {
    http_get_bearer(app, "/protected", token)
        .await
        .assert_error(422, "Signature verification failed");
}

#[tokio::test]
async fn without_a_set_the_header_is_unchanged() {
    let jwt = manager();
    let token = ok(jwt.create_access_token("alice"));
    let header = token.split('.').next().unwrap_or_default();
    // {"alg":"HS256","typ":"JWT"}, as PyJWT writes it.
    assert_eq!(header, "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9");
    assert_accepted(&router(jwt), &token, None).await;
}

#[tokio::test]
async fn the_signing_key_names_itself_and_signs_with_its_algorithm() {
    let ec = ok(Key::from_private_pem(
        "ec-1",
        Algorithm::ES256,
        pem("ec256_private.pem"),
    ));
    let config = JwtConfig::new()
        .with_secret_key(SECRET)
        .with_decode_algorithms([Algorithm::HS256, Algorithm::ES256]);
    let jwt = with_set(config, ok(KeySet::new().with_signing_key(ec)));
    let token = ok(jwt.create_access_token("alice"));
    assert_eq!(
        header(&token),
        json!({"alg": "ES256", "kid": "ec-1", "typ": "JWT"})
    );
    assert_accepted(&router(jwt), &token, Some("ec-1")).await;
}

#[tokio::test]
async fn verification_picks_the_key_by_kid() {
    let set = ok(ok(KeySet::new().with_key(hmac("k1", 1))).with_signing_key(hmac("k2", 2)));
    let jwt = with_set(JwtConfig::new(), set);
    let app = router(jwt.clone());
    let k2 = ok(jwt.create_access_token("alice"));
    assert_accepted(&app, &k2, Some("k2")).await;
    // A token made elsewhere with k1's secret and its kid.
    let claims = json!({"sub": "alice", "type": "access", "fresh": false});
    let k1 = hs_token(
        std::str::from_utf8(&secret(1)).unwrap_or_default(),
        &json!({"alg": "HS256", "typ": "JWT", "kid": "k1"}),
        &claims,
    );
    assert_accepted(&app, &k1, Some("k1")).await;
    // The right secret under the wrong kid is a bad signature.
    let swapped = hs_token(
        std::str::from_utf8(&secret(1)).unwrap_or_default(),
        &json!({"alg": "HS256", "typ": "JWT", "kid": "k2"}),
        &claims,
    );
    assert_bad_signature(&app, &swapped).await;
    // An unknown kid, as the reference answers a bad key.
    let unknown = hs_token(
        std::str::from_utf8(&secret(1)).unwrap_or_default(),
        &json!({"alg": "HS256", "typ": "JWT", "kid": "k9"}),
        &claims,
    );
    assert_bad_signature(&app, &unknown).await;
    // No kid and no configured key: nothing to try.
    let bare = hs_token(
        std::str::from_utf8(&secret(2)).unwrap_or_default(),
        &json!({"alg": "HS256", "typ": "JWT"}),
        &claims,
    );
    assert_bad_signature(&app, &bare).await;
}

#[tokio::test]
async fn a_key_never_verifies_another_family() {
    // The RSA key's public PEM used as an HMAC secret: the classic
    // algorithm confusion. HS256 is allowed (for the configured secret).
    let rsa = ok(Key::from_private_pem(
        "rsa",
        Algorithm::RS256,
        pem("rsa2048_private.pem"),
    ));
    let config = JwtConfig::new()
        .with_secret_key(SECRET)
        .with_decode_algorithms([Algorithm::HS256, Algorithm::RS256]);
    let jwt = with_set(config, ok(KeySet::new().with_signing_key(rsa)));
    let app = router(jwt.clone());
    let public = String::from_utf8(pem("rsa2048_public.pem")).unwrap_or_default();
    let confused = hs_token(
        &public,
        &json!({"alg": "HS256", "typ": "JWT", "kid": "rsa"}),
        &json!({"sub": "alice", "type": "access", "fresh": false}),
    );
    assert_bad_signature(&app, &confused).await;
    // The test secret with the RSA key's kid: still the RSA key, refused.
    let with_secret = hs_token(
        SECRET,
        &json!({"alg": "HS256", "typ": "JWT", "kid": "rsa"}),
        &json!({"sub": "alice", "type": "access", "fresh": false}),
    );
    assert_bad_signature(&app, &with_secret).await;
    // Without kid it is checked with the configured secret, as before.
    let plain = hs_token(
        SECRET,
        &json!({"alg": "HS256", "typ": "JWT"}),
        &json!({"sub": "alice", "type": "access", "fresh": false}),
    );
    assert_accepted(&app, &plain, None).await;
}

#[tokio::test]
async fn keys_of_algorithms_not_allowed_are_refused() {
    let ec = ok(Key::from_private_pem(
        "ec",
        Algorithm::ES256,
        pem("ec256_private.pem"),
    ));
    let built = JwtManager::builder(JwtConfig::new().with_secret_key(SECRET))
        .key_set(ok(KeySet::new().with_key(ec.clone())))
        .build();
    assert!(
        matches!(
            &built,
            Err(ConfigError::InvalidKey {
                option: "key_set",
                ..
            })
        ),
        "{built:?}"
    );
    let jwt = manager();
    assert!(matches!(
        jwt.keys().add_verification_key(ec),
        Err(KeyError::AlgorithmNotAllowed {
            algorithm: Algorithm::ES256,
            ..
        })
    ));
}

#[tokio::test]
async fn a_set_makes_the_configured_keys_optional() {
    // No JWT_SECRET_KEY, no JWT_PRIVATE_KEY: the set signs.
    let jwt = with_set(
        JwtConfig::new(),
        ok(KeySet::new().with_signing_key(hmac("k1", 1))),
    );
    let token = ok(jwt.create_access_token("alice"));
    assert_accepted(&router(jwt), &token, Some("k1")).await;
    // An RS256 manager with only a public key in the set verifies only.
    let public = ok(Key::from_public_pem(
        "rsa",
        Algorithm::RS256,
        pem("rsa2048_public.pem"),
    ));
    let verify_only = JwtManager::builder(JwtConfig::new().with_algorithm(Algorithm::RS256))
        .key_set(ok(KeySet::new().with_key(public)))
        .build();
    assert!(matches!(
        verify_only,
        Err(ConfigError::MissingPrivateKey(_))
    ));
}

#[tokio::test]
async fn secret_fallbacks_verify_tokens_without_kid() {
    let old = |n: u8| String::from_utf8_lossy(&secret(n)).into_owned();
    let config = JwtConfig::new()
        .with_secret_key(old(0))
        .with_secret_key_fallbacks([old(1), old(2)]);
    let jwt = manager_with(config);
    let app = router(jwt.clone());
    let claims = json!({"sub": "alice", "type": "access", "fresh": false});
    let header = json!({"alg": "HS256", "typ": "JWT"});
    for n in 0..3 {
        assert_accepted(&app, &hs_token(&old(n), &header, &claims), None).await;
    }
    assert_bad_signature(&app, &hs_token(&old(3), &header, &claims)).await;
    // Fallbacks never sign: our tokens verify with JWT_SECRET_KEY alone.
    let token = ok(jwt.create_access_token("alice"));
    let alone = manager_with(JwtConfig::new().with_secret_key(old(0)));
    assert!(alone.decode_token(&token).await.is_ok());
}

#[tokio::test]
async fn secret_fallbacks_come_from_the_environment_and_need_hmac() {
    let config = ok(JwtConfig::from_vars([
        ("JWT_SECRET_KEY", "new-secret"),
        (
            "JWT_SECRET_KEY_FALLBACKS",
            r#"["old, with a comma", "older"]"#,
        ),
    ]));
    assert_eq!(config.secret_key_fallbacks().len(), 2);
    let jwt = manager_with(config);
    let token = hs_token(
        "old, with a comma",
        &json!({"alg": "HS256", "typ": "JWT"}),
        &json!({"sub": "alice"}),
    );
    assert!(jwt.decode_token(&token).await.is_ok());

    let rsa = JwtConfig::new()
        .with_algorithm(Algorithm::RS256)
        .with_private_key(String::from_utf8(pem("rsa2048_private.pem")).unwrap_or_default())
        .with_public_key(String::from_utf8(pem("rsa2048_public.pem")).unwrap_or_default())
        .with_secret_key_fallbacks(["old"]);
    let error = config_error(JwtManager::new(rsa));
    assert_eq!(error.option(), "JWT_SECRET_KEY_FALLBACKS");
    // A PEM key is never a fallback secret either.
    let pem_secret = JwtConfig::new()
        .with_secret_key(SECRET)
        .with_secret_key_fallbacks([
            String::from_utf8(pem("rsa2048_public.pem")).unwrap_or_default()
        ]);
    let error = config_error(JwtManager::new(pem_secret));
    assert_eq!(error.option(), "JWT_SECRET_KEY_FALLBACKS");
}

#[tokio::test]
async fn rotation_from_a_single_secret_keeps_old_tokens() {
    // Yesterday: one secret, tokens without kid.
    let jwt = manager();
    let app = router(jwt.clone());
    let old = ok(jwt.create_access_token("alice"));
    // Today: a key set starts signing, without a restart.
    ok(jwt.keys().add_verification_key(hmac("2025-07", 7)));
    let still_old = ok(jwt.create_access_token("alice"));
    assert!(header(&still_old).get("kid").is_none(), "not signing yet");
    ok(jwt.keys().set_signing_key("2025-07"));
    let new = ok(jwt.create_access_token("alice"));
    assert_accepted(&app, &old, None).await;
    assert_accepted(&app, &new, Some("2025-07")).await;
    // Removing the signing key is refused; after the next rotation it goes.
    assert_eq!(
        jwt.keys().remove_key("2025-07").map(|_| ()),
        Err(KeyError::SigningKeyInUse("2025-07".into()))
    );
    ok(jwt.keys().add_verification_key(hmac("2025-08", 8)));
    ok(jwt.keys().set_signing_key("2025-08"));
    ok(jwt.keys().remove_key("2025-07"));
    assert_bad_signature(&app, &new).await;
    assert_accepted(&app, &old, None).await;
}

#[tokio::test]
async fn reloading_the_whole_set_replaces_it() {
    let jwt = with_set(
        JwtConfig::new(),
        ok(KeySet::new().with_signing_key(hmac("a", 1))),
    );
    let app = router(jwt.clone());
    let a = ok(jwt.create_access_token("alice"));
    // What another instance would load from the shared files.
    let reloaded = ok(ok(KeySet::new().with_key(hmac("a", 1))).with_signing_key(hmac("b", 2)));
    ok(jwt.keys().replace(reloaded));
    let b = ok(jwt.create_access_token("alice"));
    assert_accepted(&app, &a, Some("a")).await;
    assert_accepted(&app, &b, Some("b")).await;
}

/// Many tasks create and verify tokens through the router while another
/// rotates: every token verifies while its key is in the set, and no
/// request ever fails for another reason.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn rotation_is_safe_under_concurrent_requests() {
    const ROTATIONS: u8 = 60;
    // Keys are removed well after they stop signing, so a token created
    // just before a rotation still finds its key.
    const KEEP: u8 = 20;
    let jwt = with_set(
        JwtConfig::new(),
        ok(ok(KeySet::new().with_key(hmac("long-lived", 0))).with_signing_key(hmac("k0", 0))),
    );
    let app = router(jwt.clone());
    let long_lived = hs_token(
        std::str::from_utf8(&secret(0)).unwrap_or_default(),
        &json!({"alg": "HS256", "typ": "JWT", "kid": "long-lived"}),
        &json!({"sub": "alice", "type": "access", "fresh": false}),
    );
    let done = Arc::new(AtomicBool::new(false));
    let mut verifiers = Vec::new();
    for _ in 0..16 {
        let (jwt, app, done, long_lived) =
            (jwt.clone(), app.clone(), done.clone(), long_lived.clone());
        verifiers.push(tokio::spawn(async move {
            let mut checked = 0u32;
            while !done.load(Ordering::Acquire) || checked < 20 {
                let token = ok(jwt.create_access_token("alice"));
                let kid = header(&token)["kid"].as_str().map(str::to_owned);
                assert!(kid.is_some());
                assert_accepted(&app, &token, kid.as_deref()).await;
                assert_accepted(&app, &long_lived, Some("long-lived")).await;
                checked += 1;
                // The router answers without waiting: give the scheduler
                // (and the rotating task's timer) a turn.
                tokio::task::yield_now().await;
            }
            checked
        }));
    }
    for n in 1..=ROTATIONS {
        let kid = format!("k{n}");
        ok(jwt.keys().add_verification_key(hmac(&kid, n % 20)));
        tokio::task::yield_now().await;
        ok(jwt.keys().set_signing_key(&kid));
        if n >= KEEP {
            ok(jwt.keys().remove_key(&format!("k{}", n - KEEP)));
        }
        tokio::time::sleep(std::time::Duration::from_millis(2)).await;
    }
    done.store(true, Ordering::Release);
    let mut total = 0;
    for verifier in verifiers {
        total += ok(verifier.await);
    }
    assert!(total >= 16 * 20);
    assert_eq!(jwt.keys().snapshot().len(), usize::from(KEEP) + 1);
}

/// An ES512 key signs new tokens with its `kid`; the JWK Set publishes it as
/// a P-521 key; a resource server that builds its keys from that JWK Set
/// (`Key::from_jwk`) verifies the tokens, and the curve binds the key to
/// ES512 (a P-256 token under its `kid` is a bad signature).
#[tokio::test]
async fn es512_keys_sign_publish_and_verify_from_the_jwks() {
    let es512 = ok(Key::from_private_pem(
        "p521",
        Algorithm::ES512,
        pem("ec521_sec1_private.pem"),
    ));
    let es256 = ok(Key::from_private_pem(
        "p256",
        Algorithm::ES256,
        pem("ec256_private.pem"),
    ));
    let allowed = [Algorithm::ES512, Algorithm::ES256];
    let issuer = with_set(
        JwtConfig::new()
            .with_algorithm(Algorithm::ES512)
            .with_decode_algorithms(allowed),
        ok(ok(KeySet::new().with_key(es256)).with_signing_key(es512)),
    );
    let token = ok(issuer.create_access_token("alice"));
    assert_eq!(
        header(&token),
        json!({"alg": "ES512", "kid": "p521", "typ": "JWT"})
    );
    assert_accepted(&router(issuer.clone()), &token, Some("p521")).await;

    let jwks = issuer.keys().jwks();
    let published = jwks["keys"].as_array().cloned().unwrap_or_default();
    let p521 = published
        .iter()
        .find(|jwk| jwk["kid"] == "p521")
        .cloned()
        .unwrap_or_default();
    assert_eq!(
        (&p521["kty"], &p521["crv"], &p521["alg"], &p521["use"]),
        (
            &json!("EC"),
            &json!("P-521"),
            &json!("ES512"),
            &json!("sig")
        )
    );
    for coordinate in ["x", "y"] {
        let text = p521[coordinate].as_str().unwrap_or_default();
        assert_eq!(text.len(), 88, "66 bytes in base64url: {text}");
    }

    let mut set = KeySet::new();
    for jwk in &published {
        ok(set.insert(ok(Key::from_jwk(
            jwk.as_object().unwrap_or(&Default::default()),
        ))));
    }
    let resource_server = ok(JwtManager::builder(
        JwtConfig::new()
            .with_algorithm(Algorithm::ES512)
            .with_decode_algorithms(allowed),
    )
    .key_set(set)
    .verify_only()
    .build());
    let app = router(resource_server);
    assert_accepted(&app, &token, Some("p521")).await;

    // An ES256 token of the issuer's P-256 key, relabelled with the P-521 kid.
    let p256_signer = with_set(
        JwtConfig::new()
            .with_algorithm(Algorithm::ES256)
            .with_decode_algorithms(allowed),
        ok(KeySet::new().with_signing_key(ok(Key::from_private_pem(
            "p521",
            Algorithm::ES256,
            pem("ec256_private.pem"),
        )))),
    );
    let impostor = ok(p256_signer.create_access_token("alice"));
    assert_eq!(header(&impostor)["kid"], "p521");
    assert_bad_signature(&app, &impostor).await;
}
