//! The quickstart flow end to end through a real `Router`.

mod common;

use axum::Router;
use axum::routing::{get, post};
use axum::{Json, extract::State};
use common::*;
use jwt_extended::JwtManager;
use jwt_extended::axum::{FlaskJson, Jwt, JwtRejection};
use serde_json::{Value, json};

async fn login(State(jwt): State<JwtManager>) -> Result<FlaskJson<Value>, JwtRejection> {
    Ok(FlaskJson(
        json!({ "access_token": jwt.create_access_token("testuser")? }),
    ))
}

async fn protected(token: Jwt) -> Json<Value> {
    Json(json!({ "logged_in_as": token.identity() }))
}

fn app() -> Router {
    Router::new()
        .route("/login", post(login))
        .route("/protected", get(protected))
        .with_state(manager())
}

#[tokio::test]
async fn login_then_protected() {
    let app = app();
    let response = send(
        &app,
        request(axum::http::Method::POST, "/login")
            .body(axum::body::Body::empty())
            .unwrap_or_default(),
    )
    .await;
    assert_eq!(response.status, 200);
    assert_eq!(response.headers["content-type"], "application/json");
    assert!(
        response.body.ends_with(b"}\n"),
        "jsonify ends with a newline"
    );
    let token = response.json()["access_token"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    let claims = payload(&token);
    let mut keys: Vec<&str> = claims
        .as_object()
        .map(|o| o.keys().map(String::as_str).collect())
        .unwrap_or_default();
    keys.sort_unstable();
    assert_eq!(
        keys,
        ["csrf", "exp", "fresh", "iat", "jti", "nbf", "sub", "type"]
    );
    assert_eq!(
        claims["exp"].as_i64().unwrap_or(0) - claims["iat"].as_i64().unwrap_or(0),
        900
    );

    let ok = http_get_bearer(&app, "/protected", &token).await;
    assert_eq!(ok.status, 200);
    assert_eq!(ok.json(), json!({"logged_in_as": "testuser"}));

    let missing = http_get(&app, "/protected", &[]).await;
    missing.assert_error(401, "Missing Authorization Header");
    assert_eq!(
        missing.body,
        b"{\"msg\":\"Missing Authorization Header\"}\n"
    );

    let bad = http_get_bearer(&app, "/protected", "foobarbaz").await;
    bad.assert_error(422, "Not enough segments");
}
