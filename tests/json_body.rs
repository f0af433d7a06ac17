//! Port of the reference's `tests/test_json.py`, plus the body rules of
//! spec §5.5: the body is read without being consumed, and bounded.

mod common;

use axum::Router;
use axum::body::{Body, Bytes};
use axum::http::{Method, StatusCode};
use axum::response::IntoResponse;
use axum::routing::post;
use common::{TestResponse, manager_with, request, send};
use jwt_extended::axum::JwtManagerBuilderExt;
use jwt_extended::axum::{FlaskJson, Jwt, JwtLayer, Refresh};
use jwt_extended::config::TokenLocation;
use jwt_extended::{JwtConfig, JwtManager};
use serde_json::{Value, json};

fn base() -> JwtConfig {
    JwtConfig::new()
        .with_secret_key("foobarbaz")
        .with_token_location([TokenLocation::Json])
}

async fn protected(_token: Jwt) -> impl IntoResponse {
    FlaskJson(json!({"foo": "bar"}))
}

async fn refresh(_token: Jwt<Refresh>) -> impl IntoResponse {
    FlaskJson(json!({"foo": "bar"}))
}

/// Echoes the body the handler received, to prove it was not consumed.
async fn echo(_token: Jwt, body: Bytes) -> impl IntoResponse {
    FlaskJson(json!({"received": String::from_utf8_lossy(&body)}))
}

fn app(jwt: JwtManager) -> Router {
    Router::new()
        .route("/protected", post(protected))
        .route("/refresh", post(refresh))
        .route("/echo", post(echo))
        .layer(JwtLayer::new(jwt.clone()))
        .with_state(jwt)
}

async fn post_body(
    app: &Router,
    uri: &str,
    content_type: Option<&str>,
    body: impl Into<Body>,
) -> TestResponse {
    let mut builder = request(Method::POST, uri);
    if let Some(ct) = content_type {
        builder = builder.header("content-type", ct);
    }
    send(app, builder.body(body.into()).unwrap_or_default()).await
}

async fn post_json(app: &Router, uri: &str, value: &Value) -> TestResponse {
    post_body(app, uri, Some("application/json"), value.to_string()).await
}

fn tokens(jwt: &JwtManager) -> (String, String) {
    let access = jwt.create_access_token("username").unwrap_or_default();
    let refresh = jwt.create_refresh_token("username").unwrap_or_default();
    (access, refresh)
}

#[tokio::test]
async fn content_type() {
    let jwt = manager_with(base());
    let app = app(jwt.clone());
    let (access, refresh) = tokens(&jwt);
    let form = format!("access_token={access}");
    post_body(
        &app,
        "/protected",
        Some("application/x-www-form-urlencoded"),
        form,
    )
    .await
    .assert_error(401, "Invalid content-type. Must be application/json.");
    let form = format!("refresh_token={refresh}");
    post_body(
        &app,
        "/refresh",
        Some("application/x-www-form-urlencoded"),
        form,
    )
    .await
    .assert_error(401, "Invalid content-type. Must be application/json.");
    post_body(&app, "/protected", None, "")
        .await
        .assert_error(401, "Invalid content-type. Must be application/json.");
}

#[tokio::test]
async fn custom_body_key() {
    let jwt = manager_with(base().with_json_key("Foo").with_refresh_json_key("Bar"));
    let app = app(jwt.clone());
    let (access, refresh) = tokens(&jwt);
    post_json(&app, "/protected", &json!({"access_token": access}))
        .await
        .assert_error(401, "Missing \"Foo\" key in json data.");
    post_json(&app, "/refresh", &json!({"refresh_token": refresh}))
        .await
        .assert_error(401, "Missing \"Bar\" key in json data.");
    let r = post_json(&app, "/protected", &json!({"Foo": access})).await;
    assert_eq!((r.status.as_u16(), r.json()), (200, json!({"foo": "bar"})));
    let r = post_json(&app, "/refresh", &json!({"Bar": refresh})).await;
    assert_eq!((r.status.as_u16(), r.json()), (200, json!({"foo": "bar"})));
}

#[tokio::test]
async fn missing_keys() {
    let jwt = manager_with(base());
    let app = app(jwt.clone());
    post_body(&app, "/protected", Some("application/json"), "")
        .await
        .assert_error(401, "Missing \"access_token\" key in json data.");
    // A refresh route names its own key.
    let (access, _) = tokens(&jwt);
    post_json(&app, "/refresh", &json!({"access_token": access}))
        .await
        .assert_error(401, "Missing \"refresh_token\" key in json data.");
    for body in [
        json!({"access_token": ""}),
        json!({"access_token": null}),
        json!({"access_token": 0}),
        json!(null),
    ] {
        post_json(&app, "/protected", &body)
            .await
            .assert_error(401, "Missing \"access_token\" key in json data.");
    }

    let custom = JwtManager::builder(base())
        .unauthorized_loader(|_m: &str| (StatusCode::CREATED, FlaskJson(json!({"foo": "bar"}))))
        .build()
        .unwrap_or_else(|e| panic!("{e}"));
    let custom_app = build(custom);
    let r = post_body(&custom_app, "/protected", Some("application/json"), "").await;
    assert_eq!((r.status.as_u16(), r.json()), (201, json!({"foo": "bar"})));
}

#[tokio::test]
async fn defaults() {
    let jwt = manager_with(base());
    let app = app(jwt.clone());
    let (access, refresh) = tokens(&jwt);
    let r = post_json(&app, "/protected", &json!({"access_token": access})).await;
    assert_eq!((r.status.as_u16(), r.json()), (200, json!({"foo": "bar"})));
    let r = post_json(&app, "/refresh", &json!({"refresh_token": refresh})).await;
    assert_eq!((r.status.as_u16(), r.json()), (200, json!({"foo": "bar"})));
}

#[tokio::test]
async fn custom_content_type() {
    let jwt = manager_with(base());
    let app = app(jwt.clone());
    let (access, refresh) = tokens(&jwt);
    for ct in [
        "application/json;charset=UTF-8",
        "application/merge-patch+json",
        "Application/JSON",
    ] {
        let r = post_body(
            &app,
            "/protected",
            Some(ct),
            json!({"access_token": access}).to_string(),
        )
        .await;
        assert_eq!(
            (r.status.as_u16(), r.json()),
            (200, json!({"foo": "bar"})),
            "{ct}"
        );
    }
    let r = post_body(
        &app,
        "/refresh",
        Some("application/json;charset=UTF-8"),
        json!({"refresh_token": refresh}).to_string(),
    )
    .await;
    assert_eq!(r.status, 200);
    // text/plain is not JSON, whatever the body says.
    post_body(
        &app,
        "/protected",
        Some("text/plain"),
        json!({"access_token": access}).to_string(),
    )
    .await
    .assert_error(401, "Invalid content-type. Must be application/json.");
}

#[tokio::test]
async fn body_is_not_consumed() {
    let jwt = manager_with(base());
    let app = app(jwt.clone());
    let (access, _) = tokens(&jwt);
    let body = json!({"access_token": access, "payload": "x".repeat(10_000)}).to_string();
    let r = post_body(&app, "/echo", Some("application/json"), body.clone()).await;
    assert_eq!(r.status, 200);
    assert_eq!(r.json()["received"], json!(body));
}

#[tokio::test]
async fn non_string_token_is_invalid() {
    let jwt = manager_with(base());
    let app = app(jwt);
    post_json(&app, "/protected", &json!({"access_token": 5}))
        .await
        .assert_error(422, "Invalid token type. Token must be a <class 'bytes'>");
}

#[tokio::test]
async fn body_over_the_limit_is_413() {
    let jwt = manager_with(base());
    let app: Router = Router::new()
        .route("/protected", post(protected))
        .layer(JwtLayer::new(jwt.clone()).body_limit(1024))
        .with_state(jwt.clone());
    let (access, _) = tokens(&jwt);
    let big = json!({"access_token": access, "pad": "x".repeat(2048)}).to_string();
    let r = post_body(&app, "/protected", Some("application/json"), big.clone()).await;
    r.assert_error(413, "Request body is too large to look for a token");
    assert_eq!(r.headers["content-type"], "application/json");
    // The body above had no Content-Length (read and cut at the limit); a
    // declared length over the limit is refused without reading.
    let declared = request(Method::POST, "/protected")
        .header("content-type", "application/json")
        .header("content-length", big.len().to_string())
        .body(Body::from(big))
        .unwrap_or_default();
    send(&app, declared)
        .await
        .assert_error(413, "Request body is too large to look for a token");
    // Under the limit it works.
    let small = json!({"access_token": access}).to_string();
    assert_eq!(
        post_body(&app, "/protected", Some("application/json"), small)
            .await
            .status,
        200
    );
}

/// `app`, for tests that shadow the name.
fn build(jwt: JwtManager) -> Router {
    app(jwt)
}
