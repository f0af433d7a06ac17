//! Port of the reference's `tests/test_query_string.py`, plus the parsing
//! details of spec §5.4.

mod common;

use axum::Router;
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::routing::get;
use common::{http_get, http_get_bearer, manager_with};
use jwt_extended::axum::JwtManagerBuilderExt;
use jwt_extended::axum::{FlaskJson, Jwt};
use jwt_extended::config::TokenLocation;
use jwt_extended::{JwtConfig, JwtManager};
use serde_json::json;

fn base() -> JwtConfig {
    JwtConfig::new()
        .with_secret_key("foobarbaz")
        .with_token_location([TokenLocation::QueryString])
}

async fn protected(_token: Jwt) -> impl IntoResponse {
    FlaskJson(json!({"foo": "bar"}))
}

fn app(jwt: JwtManager) -> Router {
    Router::new()
        .route("/protected", get(protected))
        .with_state(jwt)
}

fn token(jwt: &JwtManager) -> String {
    jwt.create_access_token("username")
        .unwrap_or_else(|e| panic!("{e}"))
}

#[tokio::test]
async fn default_query_parameter() {
    let jwt = manager_with(base());
    let app = app(jwt.clone());
    let r = http_get(&app, &format!("/protected?jwt={}", token(&jwt)), &[]).await;
    assert_eq!((r.status.as_u16(), r.json()), (200, json!({"foo": "bar"})));
}

#[tokio::test]
async fn query_string_value_prefix() {
    let jwt = manager_with(base().with_query_string_value_prefix("bearer "));
    let app = app(jwt.clone());
    let t = token(&jwt);
    let r = http_get(&app, &format!("/protected?jwt=bearer%20{t}"), &[]).await;
    assert_eq!((r.status.as_u16(), r.json()), (200, json!({"foo": "bar"})));
    // `+` is a space in a query string, as in Werkzeug.
    let r = http_get(&app, &format!("/protected?jwt=bearer+{t}"), &[]).await;
    assert_eq!(r.status, 200);
    http_get(&app, &format!("/protected?jwt={t}"), &[])
        .await
        .assert_error(
            422,
            "Invalid value for query parameter 'jwt'. Expected the value to start with 'bearer '",
        );
    // The prefix alone leaves an empty token.
    http_get(&app, "/protected?jwt=bearer%20", &[])
        .await
        .assert_error(422, "Not enough segments");
}

#[tokio::test]
async fn custom_query_parameter() {
    let jwt = manager_with(base().with_query_string_name("foo"));
    let app = app(jwt.clone());
    let t = token(&jwt);
    http_get(&app, &format!("/protected?jwt={t}"), &[])
        .await
        .assert_error(401, "Missing 'foo' query paramater");
    let r = http_get(&app, &format!("/protected?foo={t}"), &[]).await;
    assert_eq!((r.status.as_u16(), r.json()), (200, json!({"foo": "bar"})));
}

#[tokio::test]
async fn missing_query_parameter() {
    let jwt = manager_with(base());
    let app = app(jwt.clone());
    http_get(&app, "/protected", &[])
        .await
        .assert_error(401, "Missing 'jwt' query paramater");
    http_get(&app, "/protected?jwt=", &[])
        .await
        .assert_error(401, "Missing 'jwt' query paramater");
    // A header token is not looked at.
    http_get_bearer(&app, "/protected", &token(&jwt))
        .await
        .assert_error(401, "Missing 'jwt' query paramater");

    // Custom unauthorized response.
    let custom = JwtManager::builder(base())
        .unauthorized_loader(|_msg: &str| (StatusCode::CREATED, FlaskJson(json!({"foo": "bar"}))))
        .build()
        .unwrap_or_else(|e| panic!("{e}"));
    let custom_app = build(custom);
    let r = http_get(&custom_app, "/protected", &[]).await;
    assert_eq!((r.status.as_u16(), r.json()), (201, json!({"foo": "bar"})));
}

#[tokio::test]
async fn first_value_and_percent_decoding() {
    let jwt = manager_with(base());
    let app = app(jwt.clone());
    let t = token(&jwt);
    let r = http_get(&app, &format!("/protected?jwt={t}&jwt=foobarbaz"), &[]).await;
    assert_eq!(r.status, 200);
    http_get(&app, &format!("/protected?jwt=foobarbaz&jwt={t}"), &[])
        .await
        .assert_error(422, "Not enough segments");
    // Percent-encoded characters are decoded before use.
    let first = t.as_bytes()[0];
    let encoded = format!("%{first:02X}{}", &t[1..]);
    let r = http_get(&app, &format!("/protected?jwt={encoded}"), &[]).await;
    assert_eq!(r.status, 200);
    // The name is case-sensitive.
    http_get(&app, &format!("/protected?JWT={t}"), &[])
        .await
        .assert_error(401, "Missing 'jwt' query paramater");
}

/// `app`, for tests that shadow the name.
fn build(jwt: JwtManager) -> Router {
    app(jwt)
}
