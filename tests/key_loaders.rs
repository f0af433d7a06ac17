//! Per-token keys: the encode-key and (async) decode-key loaders. A secret
//! per tenant chosen from the unverified claims, RSA key rotation by `kid`,
//! when and how often the decode loader runs, and its errors.

mod common;

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use axum::Router;
use axum::routing::get;
use common::*;
use jwt_extended::Algorithm;
use jwt_extended::axum::{FlaskJson, Jwt};
use jwt_extended::hooks::{DecodeKeyLoader, SigningKey};
use jwt_extended::jsonwebtoken::{DecodingKey, EncodingKey};
use jwt_extended::{Error, ErrorKind, JwtConfig, JwtManager};
use serde_json::{Map, Value, json};

type Object = Map<String, Value>;

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

fn unknown_key() -> Error {
    Error::new(ErrorKind::InvalidSignature, "Signature verification failed")
}

// A secret per tenant. The identity is "<tenant>:<user>"; the tenant is
// also written into a claim, which the decode loader reads (unverified, only
// to pick the key: the signature then proves it).

const TENANTS: [(&str, &str); 2] = [
    ("acme", "acme-secret-0123456789"),
    ("globex", "globex-secret-0123456789"),
];

fn tenant_of(identity: &Value) -> Option<&'static str> {
    let tenant = identity.as_str()?.split(':').next()?;
    TENANTS.iter().find(|(t, _)| *t == tenant).map(|(t, _)| *t)
}

fn secret_of(tenant: &str) -> Option<&'static str> {
    TENANTS.iter().find(|(t, _)| *t == tenant).map(|(_, s)| *s)
}

fn multi_tenant() -> JwtManager {
    let verification: Arc<HashMap<&str, Arc<DecodingKey>>> = Arc::new(
        TENANTS
            .iter()
            .map(|(t, s)| (*t, Arc::new(ok(DecodingKey::from_secret(s.as_bytes())))))
            .collect(),
    );
    ok(JwtManager::builder(JwtConfig::new())
        .additional_claims_loader(|identity| json!({ "tenant": tenant_of(identity) }))
        .encode_key_loader(|identity| {
            let secret = tenant_of(identity)
                .and_then(secret_of)
                .ok_or_else(|| Error::new(ErrorKind::Encode, "unknown tenant"))?;
            SigningKey::from_secret(secret)
                .map_err(|e| Error::new(ErrorKind::Encode, e.to_string()))
        })
        .decode_key_loader(move |_header: &Object, claims: &Object| {
            let key = claims
                .get("tenant")
                .and_then(Value::as_str)
                .and_then(|t| verification.get(t).cloned());
            async move { key.ok_or_else(unknown_key) }
        })
        .build())
}

#[tokio::test]
async fn a_secret_per_tenant() {
    let jwt = multi_tenant();
    let app = router(jwt.clone());
    for (tenant, secret) in TENANTS {
        let token = ok(jwt.create_access_token(&format!("{tenant}:alice")));
        assert_eq!(payload(&token)["tenant"], tenant);
        // Really signed with the tenant's secret.
        let mut by_hand = payload(&token);
        by_hand["extra"] = json!(1);
        let forged = hs_token(secret, &json!({"alg": "HS256", "typ": "JWT"}), &by_hand);
        assert_eq!(
            http_get_bearer(&app, "/protected", &forged).await.status,
            200
        );

        let response = http_get_bearer(&app, "/protected", &token).await;
        assert_eq!(response.status, 200);
        assert_eq!(response.json()["sub"], format!("{tenant}:alice"));
    }
}

#[tokio::test]
async fn a_token_of_one_tenant_cannot_claim_another() {
    let jwt = multi_tenant();
    let mut claims = payload(&ok(jwt.create_access_token("acme:alice")));
    claims["tenant"] = json!("globex");
    let forged = hs_token(
        "acme-secret-0123456789",
        &json!({"alg": "HS256", "typ": "JWT"}),
        &claims,
    );
    http_get_bearer(&router(jwt.clone()), "/protected", &forged)
        .await
        .assert_error(422, "Signature verification failed");

    claims["tenant"] = json!("initech");
    let unknown = hs_token(
        "acme-secret-0123456789",
        &json!({"alg": "HS256", "typ": "JWT"}),
        &claims,
    );
    http_get_bearer(&router(jwt.clone()), "/protected", &unknown)
        .await
        .assert_error(422, "Signature verification failed");

    // Creation for an unknown tenant fails with the loader's error.
    let err = jwt.create_access_token("initech:bob").err();
    assert_eq!(
        err.map(|e| (e.kind(), e.to_string())),
        Some((ErrorKind::Encode, "unknown tenant".into()))
    );
}

#[tokio::test]
async fn loaders_make_the_configured_key_optional() {
    // Both loaders: no secret needed.
    assert!(
        JwtManager::builder(JwtConfig::new())
            .encode_key_loader(|_| Err(unknown_key()))
            .decode_key_loader(|_: &Object, _: &Object| async { Err(unknown_key()) })
            .build()
            .is_ok()
    );
    // Only one: the other side still needs the secret.
    assert!(
        JwtManager::builder(JwtConfig::new())
            .encode_key_loader(|_| Err(unknown_key()))
            .build()
            .is_err()
    );
    assert!(
        JwtManager::builder(JwtConfig::new())
            .decode_key_loader(|_: &Object, _: &Object| async { Err(unknown_key()) })
            .build()
            .is_err()
    );
}

// Key rotation with RSA keys named by `kid`.

fn pem(name: &str) -> Vec<u8> {
    let path = format!("{}/tests/fixtures/keys/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// Signs with `current` (named by its kid); verifies any kid in `accepted`.
fn rotating(current: &'static str, accepted: &[&'static str]) -> JwtManager {
    let pairs = HashMap::from([
        ("k1", ("rsa2048_private.pem", "rsa2048_public.pem")),
        (
            "k2",
            ("rsa2048_other_private.pem", "rsa2048_other_public.pem"),
        ),
    ]);
    let public: Arc<HashMap<String, Arc<DecodingKey>>> = Arc::new(
        accepted
            .iter()
            .map(|kid| {
                let key = ok(DecodingKey::from_rsa_pem(&pem(pairs[kid].1)));
                ((*kid).to_owned(), Arc::new(key))
            })
            .collect(),
    );
    let signing =
        SigningKey::new(ok(EncodingKey::from_rsa_pem(&pem(pairs[current].0)))).with_kid(current);
    ok(
        JwtManager::builder(JwtConfig::new().with_algorithm(Algorithm::RS256))
            .encode_key_loader(move |_identity| Ok(signing.clone()))
            .decode_key_loader(move |header: &Object, _claims: &Object| {
                let key = header
                    .get("kid")
                    .and_then(Value::as_str)
                    .and_then(|kid| public.get(kid).cloned());
                async move { key.ok_or_else(unknown_key) }
            })
            .build(),
    )
}

#[tokio::test]
async fn rotating_rsa_keys_by_kid() {
    // Before: k1 signs and is the only accepted key.
    let before = rotating("k1", &["k1"]);
    let old_token = ok(before.create_access_token("alice"));
    assert_eq!(
        header(&old_token),
        json!({"alg": "RS256", "kid": "k1", "typ": "JWT"})
    );

    // During: k2 signs, k1 still accepted.
    let during = rotating("k2", &["k1", "k2"]);
    let new_token = ok(during.create_access_token("bob"));
    assert_eq!(header(&new_token)["kid"], "k2");
    let app = router(during.clone());
    let old = http_get_bearer(&app, "/protected", &old_token).await;
    assert_eq!(old.json(), json!({"sub": "alice", "kid": "k1"}));
    let new = http_get_bearer(&app, "/protected", &new_token).await;
    assert_eq!(new.json(), json!({"sub": "bob", "kid": "k2"}));

    // A token that names k2 but was signed with k1 fails.
    let mut parts: Vec<String> = old_token.split('.').map(str::to_owned).collect();
    parts[0] = new_token.split('.').next().unwrap_or_default().to_owned();
    http_get_bearer(&app, "/protected", &parts.join("."))
        .await
        .assert_error(422, "Signature verification failed");

    // After: k1 retired.
    let after = router(rotating("k2", &["k2"]));
    http_get_bearer(&after, "/protected", &old_token)
        .await
        .assert_error(422, "Signature verification failed");
    assert_eq!(
        http_get_bearer(&after, "/protected", &new_token)
            .await
            .status,
        200
    );
}

// When and how often the decode loader runs.

/// A key service behind an await, counting calls and keeping what it saw.
#[derive(Clone, Default)]
struct KeyService {
    calls: Arc<AtomicUsize>,
    seen: Arc<std::sync::Mutex<Vec<(Object, Object)>>>,
}

impl DecodeKeyLoader for KeyService {
    async fn decode_key(
        &self,
        header: &Object,
        claims: &Object,
    ) -> Result<Arc<DecodingKey>, Error> {
        self.calls.fetch_add(1, Ordering::SeqCst);
        if let Ok(mut seen) = self.seen.lock() {
            seen.push((header.clone(), claims.clone()));
        }
        tokio::time::sleep(Duration::from_millis(2)).await;
        if claims.get("key_service_down") == Some(&json!(true)) {
            return Err(Error::new(
                ErrorKind::LoaderFailed,
                "key service unavailable",
            ));
        }
        DecodingKey::from_secret(SECRET.as_bytes())
            .map(Arc::new)
            .map_err(|e| Error::new(ErrorKind::LoaderFailed, e.to_string()))
    }
}

fn with_service(service: &KeyService) -> JwtManager {
    ok(
        JwtManager::builder(JwtConfig::new().with_secret_key(SECRET))
            .decode_key_loader(service.clone())
            .build(),
    )
}

#[tokio::test]
async fn the_async_loader_runs_once_per_decode() {
    let service = KeyService::default();
    let jwt = with_service(&service);
    let app = router(jwt.clone());
    let token = ok(jwt.create_access_token("alice"));

    assert_eq!(
        http_get_bearer(&app, "/protected", &token).await.status,
        200
    );
    assert_eq!(service.calls.load(Ordering::SeqCst), 1);

    ok(jwt.decode_token(&token).await);
    assert_eq!(service.calls.load(Ordering::SeqCst), 2);

    // An expired token: once as well, as in the reference.
    let expired = ok(jwt
        .access_token("alice")
        .expires_at(std::time::SystemTime::now() - Duration::from_secs(60))
        .create());
    http_get_bearer(&app, "/protected", &expired)
        .await
        .assert_error(401, "Token has expired");
    assert_eq!(service.calls.load(Ordering::SeqCst), 3);

    // No token, no call.
    http_get(&app, "/protected", &[]).await;
    assert_eq!(service.calls.load(Ordering::SeqCst), 3);
}

#[tokio::test]
async fn the_loader_sees_the_unverified_token_before_the_signature_check() {
    let service = KeyService::default();
    let jwt = with_service(&service);
    let forged = hs_token(
        "not-the-secret",
        &json!({"alg": "HS256", "typ": "JWT", "kid": "k9"}),
        &json!({"sub": "mallory", "tenant": "acme"}),
    );
    http_get_bearer(&router(jwt), "/protected", &forged)
        .await
        .assert_error(422, "Signature verification failed");
    let seen = service.seen.lock().map(|s| s.clone()).unwrap_or_default();
    assert_eq!(seen.len(), 1);
    assert_eq!(seen[0].0["kid"], "k9");
    assert_eq!(seen[0].1["tenant"], "acme");
}

#[tokio::test]
async fn structural_errors_come_before_the_loader() {
    let service = KeyService::default();
    let app = router(with_service(&service));
    http_get_bearer(&app, "/protected", "foobarbaz")
        .await
        .assert_error(422, "Not enough segments");
    let bad_kid = hs_token(
        SECRET,
        &json!({"alg": "HS256", "kid": 1}),
        &json!({"sub": "x"}),
    );
    http_get_bearer(&app, "/protected", &bad_kid)
        .await
        .assert_error(422, "Key ID header parameter must be a string");
    assert_eq!(service.calls.load(Ordering::SeqCst), 0);
}

#[tokio::test]
async fn loader_failures_are_answered_with_the_loaders_error() {
    let service = KeyService::default();
    let jwt = with_service(&service);
    let token = ok(jwt
        .access_token("alice")
        .additional_claims(json!({"key_service_down": true}))
        .create());
    http_get_bearer(&router(jwt.clone()), "/protected", &token)
        .await
        .assert_error(500, "key service unavailable");
    let err = jwt.decode_token(&token).await.err();
    assert_eq!(err.map(|e| e.kind()), Some(ErrorKind::LoaderFailed));
}
