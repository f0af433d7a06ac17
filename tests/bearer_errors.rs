//! The opt-in resource-server error style (RFC 6750 §3) through a real
//! `Router`: each case's status, `WWW-Authenticate` and body; the default
//! (off) unchanged; the app's own responses winning over the style.

mod common;

use std::time::{Duration, SystemTime};

use axum::Router;
use axum::http::StatusCode;
use axum::routing::get;
use common::*;
use jwt_extended::Verified;
use jwt_extended::axum::{
    Access, BearerErrorStyle, FlaskJson, Fresh, Guard, Jwt, JwtManagerBuilderExt, Refresh,
};
use jwt_extended::{DecodedToken, Error, ErrorKind, JwtConfig, JwtManager, JwtManagerBuilder};
use serde_json::{Value, json};

/// Tokens whose `scope` claim contains `write:posts`.
struct WritePosts;

impl Guard for WritePosts {
    fn check(verified: &Verified) -> Result<(), Error> {
        let scopes = verified.token().claim("scope").and_then(Value::as_str);
        if scopes.is_some_and(|s| s.split(' ').any(|s| s == "write:posts")) {
            Ok(())
        } else {
            Err(Error::insufficient_scope("write:posts"))
        }
    }
}

/// A guard with a message of its own and no scope.
struct Admin;

impl Guard for Admin {
    const MESSAGE: &'static str = "Admins \"only\"";
}

async fn ok() -> FlaskJson<Value> {
    FlaskJson(json!({"foo": "bar"}))
}

fn app(jwt: JwtManager) -> Router {
    Router::new()
        .route("/protected", get(|_: Jwt| ok()))
        .route("/fresh", get(|_: Jwt<Fresh>| ok()))
        .route("/posts", get(|_: Jwt<(Access, WritePosts)>| ok()))
        .route("/admin", get(|_: Jwt<(Access, Admin)>| ok()))
        .with_state(jwt)
}

fn config() -> JwtConfig {
    JwtConfig::new().with_secret_key(SECRET)
}

fn build(builder: JwtManagerBuilder) -> JwtManager {
    builder
        .build()
        .unwrap_or_else(|e| panic!("bad test config: {e}"))
}

fn styled() -> JwtManager {
    build(JwtManager::builder(config()).bearer_error_style(BearerErrorStyle::new()))
}

fn ok_token<T, E: std::fmt::Display>(result: Result<T, E>) -> T {
    result.unwrap_or_else(|e| panic!("cannot create a token: {e}"))
}

fn expired(jwt: &JwtManager) -> String {
    ok_token(
        jwt.access_token("alice")
            .expires_at(SystemTime::now() - Duration::from_secs(60))
            .create(),
    )
}

#[track_caller]
fn assert_answer(response: &TestResponse, status: u16, challenge: Option<&str>, body: &Value) {
    let header = response
        .headers
        .get("www-authenticate")
        .map(|v| v.to_str().unwrap_or_default());
    assert_eq!(
        (response.status.as_u16(), header, &response.json()),
        (status, challenge, body),
        "body: {}",
        response.text()
    );
}

#[tokio::test]
async fn missing_token_is_a_bare_challenge() {
    let response = http_get(&app(styled()), "/protected", &[]).await;
    assert_answer(
        &response,
        401,
        Some("Bearer"),
        &json!({"msg": "Missing Authorization Header"}),
    );

    // another scheme is no bearer token either: no error code
    let basic = http_get(
        &app(styled()),
        "/protected",
        &[("Authorization", "Basic YTpi")],
    )
    .await;
    assert_eq!(basic.status, StatusCode::UNAUTHORIZED);
    assert_eq!(basic.headers["www-authenticate"], "Bearer");
}

#[tokio::test]
async fn the_realm_comes_first() {
    let jwt = build(
        JwtManager::builder(config()).bearer_error_style(BearerErrorStyle::new().realm("example")),
    );
    let response = http_get(&app(jwt.clone()), "/protected", &[]).await;
    assert_eq!(
        response.headers["www-authenticate"],
        r#"Bearer realm="example""#
    );

    let response = http_get_bearer(&app(jwt.clone()), "/protected", &expired(&jwt)).await;
    assert_answer(
        &response,
        401,
        Some(
            r#"Bearer realm="example", error="invalid_token", error_description="Token has expired""#,
        ),
        &json!({"msg": "Token has expired"}),
    );
}

#[tokio::test]
async fn invalid_tokens_are_invalid_token_401s() {
    let jwt = styled();
    let app = app(jwt.clone());
    let response = http_get_bearer(&app, "/protected", "aaaaa.bbbbb.ccccc").await;
    assert_answer(
        &response,
        401,
        Some(r#"Bearer error="invalid_token", error_description="Invalid header padding""#),
        &json!({"msg": "Invalid header padding"}),
    );

    let other_key = build(JwtManager::builder(
        JwtConfig::new().with_secret_key("other"),
    ));
    let forged = ok_token(other_key.create_access_token("alice"));
    let response = http_get_bearer(&app, "/protected", &forged).await;
    assert_answer(
        &response,
        401,
        Some(r#"Bearer error="invalid_token", error_description="Signature verification failed""#),
        &json!({"msg": "Signature verification failed"}),
    );

    // a refresh token where an access token is required: invalid for this use
    let refresh = ok_token(jwt.create_refresh_token("alice"));
    let response = http_get_bearer(&app, "/protected", &refresh).await;
    assert_answer(
        &response,
        401,
        Some(
            r#"Bearer error="invalid_token", error_description="Only non-refresh tokens are allowed""#,
        ),
        &json!({"msg": "Only non-refresh tokens are allowed"}),
    );

    let response = http_get_bearer(&app, "/protected", &expired(&jwt)).await;
    assert_eq!(response.status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn revoked_tokens_are_invalid_token_401s() {
    let jwt = build(
        JwtManager::builder(config())
            .bearer_error_style(BearerErrorStyle::new())
            .token_in_blocklist_loader(|_: &DecodedToken| async { true }),
    );
    let token = ok_token(jwt.create_access_token("alice"));
    let response = http_get_bearer(&app(jwt), "/protected", &token).await;
    assert_answer(
        &response,
        401,
        Some(r#"Bearer error="invalid_token", error_description="Token has been revoked""#),
        &json!({"msg": "Token has been revoked"}),
    );
}

#[tokio::test]
async fn a_bad_layout_is_an_invalid_request() {
    let app = app(styled());
    let response = http_get(&app, "/protected", &[("Authorization", "Bearer a b")]).await;
    assert_answer(
        &response,
        400,
        Some(
            r#"Bearer error="invalid_request", error_description="Bad Authorization header. Expected 'Authorization: Bearer <JWT>'""#,
        ),
        &json!({"msg": "Bad Authorization header. Expected 'Authorization: Bearer <JWT>'"}),
    );
}

#[tokio::test]
async fn guard_refusals_are_insufficient_scope_403s() {
    let jwt = styled();
    let app = app(jwt.clone());
    let reader = ok_token(
        jwt.access_token("alice")
            .additional_claims(json!({"scope": "read:posts"}))
            .create(),
    );
    let response = http_get_bearer(&app, "/posts", &reader).await;
    assert_answer(
        &response,
        403,
        Some(
            r#"Bearer error="insufficient_scope", error_description="Missing scope write:posts", scope="write:posts""#,
        ),
        &json!({"msg": "Missing scope write:posts"}),
    );

    let response = http_get_bearer(&app, "/admin", &reader).await;
    assert_answer(
        &response,
        403,
        Some(r#"Bearer error="insufficient_scope", error_description="Admins \"only\"""#),
        &json!({"msg": "Admins \"only\""}),
    );

    let writer = ok_token(
        jwt.access_token("alice")
            .additional_claims(json!({"scope": "read:posts write:posts"}))
            .create(),
    );
    assert_eq!(http_get_bearer(&app, "/posts", &writer).await.status, 200);
}

#[tokio::test]
async fn other_errors_keep_their_answers() {
    let jwt = styled();
    let token = ok_token(jwt.create_access_token("alice"));
    let response = http_get_bearer(&app(jwt), "/fresh", &token).await;
    response.assert_error(401, "Fresh token required");
    assert!(response.headers.get("www-authenticate").is_none());
}

#[tokio::test]
async fn the_message_key_is_kept() {
    let jwt = build(
        JwtManager::builder(config().with_error_message_key("message"))
            .bearer_error_style(BearerErrorStyle::new()),
    );
    let response = http_get_bearer(&app(jwt.clone()), "/protected", &expired(&jwt)).await;
    assert_eq!(response.json(), json!({"message": "Token has expired"}));
    assert_eq!(response.status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn off_by_default() {
    let jwt = build(JwtManager::builder(config()));
    let app = app(jwt.clone());
    let response = http_get_bearer(&app, "/protected", "aaaaa.bbbbb.ccccc").await;
    response.assert_error(422, "Invalid header padding");
    assert!(response.headers.get("www-authenticate").is_none());

    let response = http_get(&app, "/protected", &[]).await;
    assert_eq!(response.status, StatusCode::UNAUTHORIZED);
    assert!(response.headers.get("www-authenticate").is_none());

    let response = http_get_bearer(&app, "/protected", &expired(&jwt)).await;
    response.assert_error(401, "Token has expired");
    assert!(response.headers.get("www-authenticate").is_none());

    let token = ok_token(jwt.create_access_token("alice"));
    let response = http_get_bearer(&app, "/posts", &token).await;
    response.assert_error(403, "Missing scope write:posts");
    assert!(response.headers.get("www-authenticate").is_none());
}

#[tokio::test]
async fn the_apps_own_responses_win() {
    let jwt = build(
        JwtManager::builder(config())
            .bearer_error_style(BearerErrorStyle::new())
            .invalid_token_loader(|message: &str| {
                (
                    StatusCode::IM_A_TEAPOT,
                    FlaskJson(json!({"custom": message})),
                )
            })
            .error_kind_response(ErrorKind::ExpiredToken, |_| StatusCode::GONE)
            .error_response(|error| (StatusCode::CONFLICT, error.message().to_owned())),
    );
    let app = app(jwt.clone());
    let response = http_get_bearer(&app, "/protected", "aaaaa.bbbbb.ccccc").await;
    assert_answer(
        &response,
        418,
        None,
        &json!({"custom": "Invalid header padding"}),
    );

    let response = http_get_bearer(&app, "/protected", &expired(&jwt)).await;
    assert_eq!(response.status, StatusCode::GONE);
    assert!(response.headers.get("www-authenticate").is_none());

    // the style comes before the catch-all…
    let response = http_get(&app, "/protected", &[]).await;
    assert_eq!(response.status, StatusCode::UNAUTHORIZED);
    assert_eq!(response.headers["www-authenticate"], "Bearer");

    // …which renders the errors the style leaves alone
    let token = ok_token(jwt.create_access_token("alice"));
    let response = http_get_bearer(&app, "/fresh", &token).await;
    assert_eq!(response.status, StatusCode::CONFLICT);
    assert_eq!(response.text(), "Fresh token required");

    let refresh = ok_token(jwt.create_refresh_token("alice"));
    let response = http_get_bearer(&app, "/protected", &refresh).await;
    assert_eq!(response.status, StatusCode::IM_A_TEAPOT);
}

#[tokio::test]
async fn refresh_routes_too() {
    let jwt = styled();
    let app = Router::new()
        .route("/refresh", get(|_: Jwt<Refresh>| ok()))
        .with_state(jwt.clone());
    let access = ok_token(jwt.create_access_token("alice"));
    let response = http_get_bearer(&app, "/refresh", &access).await;
    assert_answer(
        &response,
        401,
        Some(
            r#"Bearer error="invalid_token", error_description="Only refresh tokens are allowed""#,
        ),
        &json!({"msg": "Only refresh tokens are allowed"}),
    );
}
