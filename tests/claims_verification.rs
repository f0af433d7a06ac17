//! Custom claims verification: the reference's
//! `tests/test_claims_verification.py` (required, fresh and optional routes),
//! and the order of the request checks (spec §8): type, freshness,
//! revocation, custom verification, user lookup.

mod common;

use std::sync::{Arc, Mutex};

use axum::Router;
use axum::http::StatusCode;
use axum::routing::get;
use common::*;
use jwt_extended::axum::JwtManagerBuilderExt;
use jwt_extended::axum::{FlaskJson, Fresh, Jwt};
use jwt_extended::hooks::TokenVerifier;
use jwt_extended::{DecodedToken, JwtConfig, JwtManager, JwtManagerBuilder};
use serde_json::{Map, Value, json};

async fn foo_bar() -> FlaskJson<Value> {
    FlaskJson(json!({"foo": "bar"}))
}

fn app(jwt: JwtManager) -> Router {
    Router::new()
        .route("/protected1", get(|_: Jwt| foo_bar()))
        .route("/protected2", get(|_: Jwt<Fresh>| foo_bar()))
        .route("/protected3", get(|_: Option<Jwt>| foo_bar()))
        .with_state(jwt)
}

const URLS: [&str; 3] = ["/protected1", "/protected2", "/protected3"];

/// The fixture: an additional-claims loader adding `foo`.
fn builder() -> JwtManagerBuilder {
    JwtManager::builder(JwtConfig::new().with_secret_key("foobarbaz"))
        .additional_claims_loader(|_identity| json!({"foo": "bar"}))
}

fn build(builder: JwtManagerBuilder) -> JwtManager {
    builder
        .build()
        .unwrap_or_else(|e| panic!("bad test config: {e}"))
}

fn fresh_token(jwt: &JwtManager) -> String {
    jwt.access_token("username")
        .fresh(true)
        .create()
        .unwrap_or_else(|e| panic!("cannot create a token: {e}"))
}

#[tokio::test]
async fn successful_claims_validation() {
    let jwt = build(builder().token_verification_loader(|token: &DecodedToken| {
        assert_eq!(token.header()["alg"], "HS256");
        assert_eq!(token.claims()["sub"], "username");
        async { true }
    }));
    let app = app(jwt.clone());
    for url in URLS {
        let response = http_get_bearer(&app, url, &fresh_token(&jwt)).await;
        assert_eq!(response.status, 200, "{url}");
        assert_eq!(response.json()["foo"], "bar", "{url}");
    }
}

#[tokio::test]
async fn unsuccessful_claims_validation() {
    let jwt = build(builder().token_verification_loader(|token: &DecodedToken| {
        assert_eq!(token.header()["alg"], "HS256");
        assert_eq!(token.claims()["sub"], "username");
        async { false }
    }));
    let app = app(jwt.clone());
    for url in URLS {
        let response = http_get_bearer(&app, url, &fresh_token(&jwt)).await;
        response.assert_error(400, "User claims verification failed");
        assert_eq!(
            response.body, b"{\"msg\":\"User claims verification failed\"}\n",
            "{url}"
        );
    }
}

#[tokio::test]
async fn claims_validation_custom_error() {
    let jwt = build(
        builder()
            .token_verification_loader(|_: &DecodedToken| async { false })
            .token_verification_failed_loader(
                |header: &Map<String, Value>, claims: &Map<String, Value>, _message: &str| {
                    assert_eq!(header["alg"], "HS256");
                    assert_eq!(claims["sub"], "username");
                    let msg = format!(
                        "claims failed for {}",
                        claims["sub"].as_str().unwrap_or_default()
                    );
                    (StatusCode::NOT_FOUND, FlaskJson(json!({ "msg": msg })))
                },
            ),
    );
    let app = app(jwt.clone());
    for url in URLS {
        let response = http_get_bearer(&app, url, &fresh_token(&jwt)).await;
        assert_eq!(response.status, 404, "{url}");
        assert_eq!(
            response.json(),
            json!({"msg": "claims failed for username"})
        );
    }
}

#[tokio::test]
async fn the_verifier_sees_the_additional_claims_and_can_use_them() {
    let jwt = build(builder().token_verification_loader(|token: &DecodedToken| {
        let ok = token.claim("foo") == Some(&json!("bar"));
        async move { ok }
    }));
    let app = app(jwt.clone());
    assert_eq!(
        http_get_bearer(&app, "/protected1", &fresh_token(&jwt))
            .await
            .status,
        200
    );
    let without_foo = hs_token(
        "foobarbaz",
        &json!({"alg": "HS256", "typ": "JWT"}),
        &json!({"sub": "username", "type": "access", "fresh": true, "iat": now(), "exp": now() + 60}),
    );
    http_get_bearer(&app, "/protected1", &without_foo)
        .await
        .assert_error(400, "User claims verification failed");
}

#[tokio::test]
async fn optional_routes_without_a_token_do_not_call_the_verifier() {
    let calls = Arc::new(Mutex::new(0_usize));
    let counter = calls.clone();
    let jwt = build(
        builder().token_verification_loader(move |_: &DecodedToken| {
            if let Ok(mut n) = counter.lock() {
                *n += 1;
            }
            async { false }
        }),
    );
    let response = http_get(&app(jwt), "/protected3", &[]).await;
    assert_eq!(response.status, 200);
    assert_eq!(calls.lock().map(|n| *n).unwrap_or(usize::MAX), 0);
}

/// A stateful verifier: the trait form.
struct AllowedSubjects(Vec<&'static str>);

impl TokenVerifier for AllowedSubjects {
    async fn verify(&self, token: &DecodedToken) -> bool {
        tokio::task::yield_now().await;
        token.identity_str().is_some_and(|s| self.0.contains(&s))
    }
}

#[tokio::test]
async fn a_verifier_type_with_state() {
    let jwt = build(builder().token_verification_loader(AllowedSubjects(vec!["ann"])));
    let app = app(jwt.clone());
    let ann = jwt.create_access_token("ann").unwrap_or_default();
    let bob = jwt.create_access_token("bob").unwrap_or_default();
    assert_eq!(http_get_bearer(&app, "/protected1", &ann).await.status, 200);
    http_get_bearer(&app, "/protected1", &bob)
        .await
        .assert_error(400, "User claims verification failed");
}

// The order of the checks.

type Log = Arc<Mutex<Vec<&'static str>>>;

fn push(log: &Log, entry: &'static str) {
    if let Ok(mut log) = log.lock() {
        log.push(entry);
    }
}

fn take(log: &Log) -> Vec<&'static str> {
    log.lock()
        .map(|mut l| std::mem::take(&mut *l))
        .unwrap_or_default()
}

/// Every hook fails (or succeeds, per flag) and records that it ran.
fn hooks(log: &Log, revoked: bool, verified: bool, user_found: bool) -> JwtManager {
    let (l1, l2, l3) = (log.clone(), log.clone(), log.clone());
    build(
        JwtManager::builder(JwtConfig::new().with_secret_key("foobarbaz"))
            .token_in_blocklist_loader(move |_: &DecodedToken| {
                push(&l1, "revocation");
                async move { revoked }
            })
            .token_verification_loader(move |_: &DecodedToken| {
                push(&l2, "verification");
                async move { verified }
            })
            .user_lookup_loader(move |_: &DecodedToken| {
                push(&l3, "user lookup");
                async move { user_found.then_some(()) }
            }),
    )
}

#[tokio::test]
async fn checks_run_in_the_reference_order() {
    let log: Log = Arc::default();
    let route = "/protected2"; // fresh required

    // 1. Type: a refresh token fails before anything else runs.
    let jwt = hooks(&log, true, false, false);
    let app = app(jwt.clone());
    let refresh = jwt.create_refresh_token("username").unwrap_or_default();
    http_get_bearer(&app, route, &refresh)
        .await
        .assert_error(422, "Only non-refresh tokens are allowed");
    assert_eq!(take(&log), Vec::<&str>::new());

    // 2. Freshness: before revocation.
    let stale = jwt.create_access_token("username").unwrap_or_default();
    http_get_bearer(&app, route, &stale)
        .await
        .assert_error(401, "Fresh token required");
    assert_eq!(take(&log), Vec::<&str>::new());

    // 3. Revocation: before the custom verification.
    let fresh = fresh_token(&jwt);
    http_get_bearer(&app, route, &fresh)
        .await
        .assert_error(401, "Token has been revoked");
    assert_eq!(take(&log), ["revocation"]);

    // 4. Custom verification: before the user lookup.
    let app = self::app(hooks(&log, false, false, false));
    http_get_bearer(&app, route, &fresh)
        .await
        .assert_error(400, "User claims verification failed");
    assert_eq!(take(&log), ["revocation", "verification"]);

    // 5. User lookup, last.
    let app = self::app(hooks(&log, false, true, false));
    http_get_bearer(&app, route, &fresh)
        .await
        .assert_error(401, "Error loading the user username");
    assert_eq!(take(&log), ["revocation", "verification", "user lookup"]);

    // Everything passes: each hook once, in order.
    let app = self::app(hooks(&log, false, true, true));
    assert_eq!(http_get_bearer(&app, route, &fresh).await.status, 200);
    assert_eq!(take(&log), ["revocation", "verification", "user lookup"]);
}

#[tokio::test]
async fn invalid_and_expired_tokens_run_no_hook() {
    let log: Log = Arc::default();
    let jwt = hooks(&log, false, true, true);
    let app = app(jwt.clone());
    let expired = jwt
        .access_token("username")
        .expires_at(std::time::SystemTime::now() - std::time::Duration::from_secs(60))
        .create()
        .unwrap_or_default();
    http_get_bearer(&app, "/protected1", &expired)
        .await
        .assert_error(401, "Token has expired");
    http_get_bearer(&app, "/protected1", "foobarbaz")
        .await
        .assert_error(422, "Not enough segments");
    http_get(&app, "/protected1", &[])
        .await
        .assert_error(401, "Missing Authorization Header");
    assert_eq!(take(&log), Vec::<&str>::new());
}
