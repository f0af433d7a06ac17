//! Port of Flask-JWT-Extended's `examples/token_freshness.py`: a password
//! login gives a fresh access token, a refresh gives a non-fresh one, and
//! `/protected` needs a fresh token.
//!
//! Run with:
//!
//! ```sh
//! cargo run --example token_freshness
//! curl -s -X POST localhost:5000/login -H 'Content-Type: application/json' \
//!      -d '{"username": "test", "password": "test"}'
//! curl -s localhost:5000/protected -H "Authorization: Bearer $ACCESS"
//! ```

mod common;

use std::time::Duration;

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use jwt_extended::axum::{FlaskJson, Fresh, Jwt, Refresh};
use jwt_extended::{JwtConfig, JwtManager};
use serde_json::{Value, json};

async fn login(State(jwt): State<JwtManager>, headers: HeaderMap, body: Bytes) -> Response {
    let [username, password] = match common::json_fields(&headers, &body, ["username", "password"])
    {
        Ok(fields) => fields,
        Err(response) => return response,
    };
    if username.as_ref().and_then(Value::as_str) != Some("test")
        || password.as_ref().and_then(Value::as_str) != Some("test")
    {
        return (
            StatusCode::UNAUTHORIZED,
            FlaskJson(json!({"msg": "Bad username or password"})),
        )
            .into_response();
    }
    // The password was just checked: the access token is fresh.
    let tokens = jwt
        .access_token("example_user")
        .fresh(true)
        .create()
        .and_then(|access| Ok((access, jwt.create_refresh_token("example_user")?)));
    match tokens {
        Ok((access, refresh)) => {
            FlaskJson(json!({ "access_token": access, "refresh_token": refresh })).into_response()
        }
        Err(error) => jwt_extended::axum::render_error(&jwt, &error),
    }
}

/// A refreshed access token is not fresh: no password was checked.
async fn refresh(State(jwt): State<JwtManager>, token: Jwt<Refresh>) -> Response {
    match jwt.access_token(token.identity()).fresh(false).create() {
        Ok(access) => FlaskJson(json!({ "access_token": access })).into_response(),
        Err(error) => jwt_extended::axum::render_error(&jwt, &error),
    }
}

async fn protected(_token: Jwt<Fresh>) -> impl IntoResponse {
    FlaskJson(json!({ "foo": "bar" }))
}

fn app(jwt: JwtManager) -> Router {
    Router::new()
        .route("/login", post(login))
        .route("/refresh", post(refresh))
        .route("/protected", get(protected))
        .with_state(jwt)
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let jwt = JwtManager::new(
        JwtConfig::new()
            .with_secret_key("super-secret")
            .with_access_token_expires(Duration::from_secs(3600))
            .with_refresh_token_expires(Duration::from_secs(30 * 24 * 3600)),
    )?;
    common::serve("token_freshness", app(jwt)).await
}
