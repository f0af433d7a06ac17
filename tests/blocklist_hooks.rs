//! The revocation hook: the reference's `tests/test_blocklist.py` with a
//! `token_in_blocklist_loader` closure, then the same scenarios with the
//! in-memory store (which forgets entries once their token has expired).

mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use axum::Router;
use axum::http::StatusCode;
use axum::routing::get;
use common::*;
use jwt_extended::axum::JwtManagerBuilderExt;
use jwt_extended::axum::{FlaskJson, Jwt, Refresh, Requirement};
use jwt_extended::blocklist::{Blocklist, MemoryBlocklist, Revocation};
use jwt_extended::{DecodedToken, JwtConfig, JwtManager, JwtManagerBuilder, VerifyOptions};
use serde_json::{Map, Value, json};

/// `@jwt_required(verify_type=False, skip_revocation_check=True)`
struct SkipBlocklist;
impl Requirement for SkipBlocklist {
    const OPTIONS: VerifyOptions = VerifyOptions::new()
        .verify_type(false)
        .skip_revocation_check(true);
}

/// `@jwt_required(verify_type=False)`
struct NoSkipBlocklist;
impl Requirement for NoSkipBlocklist {
    const OPTIONS: VerifyOptions = VerifyOptions::new().verify_type(false);
}

async fn foo_bar() -> FlaskJson<Value> {
    FlaskJson(json!({"foo": "bar"}))
}

fn app(jwt: JwtManager) -> Router {
    Router::new()
        .route("/protected", get(|_: Jwt| foo_bar()))
        .route(
            "/protected_skip_blocklist",
            get(|_: Jwt<SkipBlocklist>| foo_bar()),
        )
        .route(
            "/protected_noskip_blocklist",
            get(|_: Jwt<NoSkipBlocklist>| foo_bar()),
        )
        .route("/refresh_protected", get(|_: Jwt<Refresh>| foo_bar()))
        .with_state(jwt)
}

fn builder() -> JwtManagerBuilder {
    JwtManager::builder(JwtConfig::new().with_secret_key("foobarbaz"))
}

fn build(builder: JwtManagerBuilder) -> JwtManager {
    builder
        .build()
        .unwrap_or_else(|e| panic!("bad test config: {e}"))
}

fn ok<T, E: std::fmt::Display>(result: Result<T, E>) -> T {
    result.unwrap_or_else(|e| panic!("unexpected error: {e}"))
}

/// A loader answering `revoked` that checks what it is given, as the
/// reference test's callback asserts.
fn answering(revoked: bool) -> JwtManagerBuilder {
    builder().token_in_blocklist_loader(move |token: &DecodedToken| {
        assert_eq!(token.header()["alg"], "HS256");
        assert_eq!(token.claims()["sub"], "username");
        async move { revoked }
    })
}

#[tokio::test]
async fn blocklisted_access_token_revocation_skip() {
    let jwt = build(answering(true));
    let token = ok(jwt.create_access_token("username"));
    let response = http_get_bearer(&app(jwt), "/protected_skip_blocklist", &token).await;
    assert_eq!(response.status, 200);
    assert_eq!(response.json(), json!({"foo": "bar"}));
}

#[tokio::test]
async fn blocklisted_access_token_revocation_no_skip() {
    let jwt = build(answering(true));
    let token = ok(jwt.create_access_token("username"));
    http_get_bearer(&app(jwt), "/protected_noskip_blocklist", &token)
        .await
        .assert_error(401, "Token has been revoked");
}

#[tokio::test]
async fn non_blocklisted_access_token() {
    let jwt = build(answering(false));
    let token = ok(jwt.create_access_token("username"));
    let response = http_get_bearer(&app(jwt), "/protected", &token).await;
    assert_eq!(response.status, 200);
    assert_eq!(response.json(), json!({"foo": "bar"}));
}

#[tokio::test]
async fn blocklisted_access_token() {
    let jwt = build(builder().token_in_blocklist_loader(|_: &DecodedToken| async { true }));
    let token = ok(jwt.create_access_token("username"));
    let response = http_get_bearer(&app(jwt), "/protected", &token).await;
    response.assert_error(401, "Token has been revoked");
    assert_eq!(response.body, b"{\"msg\":\"Token has been revoked\"}\n");
}

#[tokio::test]
async fn non_blocklisted_refresh_token() {
    let jwt = build(builder().token_in_blocklist_loader(|_: &DecodedToken| async { false }));
    let token = ok(jwt.create_refresh_token("username"));
    let response = http_get_bearer(&app(jwt), "/refresh_protected", &token).await;
    assert_eq!(response.status, 200);
    assert_eq!(response.json(), json!({"foo": "bar"}));
}

#[tokio::test]
async fn blocklisted_refresh_token() {
    let jwt = build(builder().token_in_blocklist_loader(|_: &DecodedToken| async { true }));
    let token = ok(jwt.create_refresh_token("username"));
    http_get_bearer(&app(jwt), "/refresh_protected", &token)
        .await
        .assert_error(401, "Token has been revoked");
}

#[tokio::test]
async fn custom_blocklisted_message() {
    let jwt = build(
        builder()
            .token_in_blocklist_loader(|_: &DecodedToken| async { true })
            .revoked_token_loader(
                |header: &Map<String, Value>, claims: &Map<String, Value>, _message: &str| {
                    assert_eq!(header["alg"], "HS256");
                    assert_eq!(claims["sub"], "username");
                    (StatusCode::NOT_FOUND, FlaskJson(json!({"baz": "foo"})))
                },
            ),
    );
    let token = ok(jwt.create_access_token("username"));
    let response = http_get_bearer(&app(jwt), "/protected", &token).await;
    assert_eq!(response.status, 404);
    assert_eq!(response.json(), json!({"baz": "foo"}));
}

#[tokio::test]
async fn the_loader_is_async_and_called_for_both_token_types() {
    let calls = Arc::new(AtomicUsize::new(0));
    let counter = calls.clone();
    let jwt = build(
        builder().token_in_blocklist_loader(move |token: &DecodedToken| {
            counter.fetch_add(1, Ordering::SeqCst);
            let is_refresh = token.is_refresh();
            async move {
                tokio::time::sleep(Duration::from_millis(2)).await;
                is_refresh
            }
        }),
    );
    let access = ok(jwt.create_access_token("username"));
    let refresh = ok(jwt.create_refresh_token("username"));
    let app = app(jwt);
    assert_eq!(
        http_get_bearer(&app, "/protected", &access).await.status,
        200
    );
    http_get_bearer(&app, "/refresh_protected", &refresh)
        .await
        .assert_error(401, "Token has been revoked");
    assert_eq!(calls.load(Ordering::SeqCst), 2);
    // Skipping the check skips the call.
    assert_eq!(
        http_get_bearer(&app, "/protected_skip_blocklist", &refresh)
            .await
            .status,
        200
    );
    assert_eq!(calls.load(Ordering::SeqCst), 2);
}

// The same scenarios with the in-memory store.

#[tokio::test]
async fn memory_store_revokes_access_and_refresh_tokens() {
    let store = MemoryBlocklist::new();
    let jwt = build(builder().blocklist(store.clone()));
    let app = app(jwt.clone());
    let access = ok(jwt.create_access_token("username"));
    let other = ok(jwt.create_access_token("username"));
    let refresh = ok(jwt.create_refresh_token("username"));

    assert_eq!(
        http_get_bearer(&app, "/protected", &access).await.status,
        200
    );
    let decoded = ok(jwt.decode_token(&access).await);
    ok(jwt.revoke(&decoded).await);
    assert_eq!(store.len(), 1);

    http_get_bearer(&app, "/protected", &access)
        .await
        .assert_error(401, "Token has been revoked");
    http_get_bearer(&app, "/protected_noskip_blocklist", &access)
        .await
        .assert_error(401, "Token has been revoked");
    assert_eq!(
        http_get_bearer(&app, "/protected_skip_blocklist", &access)
            .await
            .status,
        200
    );
    // Only that token.
    assert_eq!(
        http_get_bearer(&app, "/protected", &other).await.status,
        200
    );

    assert_eq!(
        http_get_bearer(&app, "/refresh_protected", &refresh)
            .await
            .status,
        200
    );
    ok(jwt.revoke_encoded(&refresh).await);
    http_get_bearer(&app, "/refresh_protected", &refresh)
        .await
        .assert_error(401, "Token has been revoked");
}

#[tokio::test]
async fn memory_store_forgets_tokens_that_expired_anyway() {
    let store = MemoryBlocklist::new();
    let jwt = build(builder().blocklist(store.clone()));

    // A token that has already expired is not stored at all.
    let past = std::time::SystemTime::now() - Duration::from_secs(60);
    let expired = ok(jwt.access_token("username").expires_at(past).create());
    ok(jwt.revoke_encoded(&expired).await);
    assert!(store.is_empty(), "an expired token needs no entry");

    ok(store
        .revoke(&Revocation::for_jti("gone", Some(now() - 1)))
        .await);
    assert!(store.is_empty());
    assert!(!store.contains("gone"));

    // A live one is kept until it expires.
    ok(store
        .revoke(&Revocation::for_jti("live", Some(now() + 3600)))
        .await);
    assert!(store.contains("live"));
    assert_eq!(store.purge_expired(), 0);
    assert_eq!(store.len(), 1);
}

#[tokio::test]
async fn memory_store_entries_lapse_with_their_token() {
    let store = MemoryBlocklist::new();
    let exp = now() + 1;
    ok(store.revoke(&Revocation::for_jti("short", Some(exp))).await);
    assert!(store.contains("short"));
    // Wait for the clock to reach `exp` (at most a little over a second).
    while now() < exp {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(
        !store.contains("short"),
        "not revoked once the token expired"
    );
    assert_eq!(store.purge_expired(), 1);
    assert!(store.is_empty());
}

#[tokio::test]
async fn memory_store_never_forgets_tokens_without_exp() {
    let store = MemoryBlocklist::new();
    let jwt = build(builder().blocklist(store.clone()));
    let forever = ok(jwt.access_token("username").never_expires().create());
    ok(jwt.revoke_encoded(&forever).await);
    assert_eq!(store.purge_expired(), 0);
    http_get_bearer(&app(jwt), "/protected", &forever)
        .await
        .assert_error(401, "Token has been revoked");
}
