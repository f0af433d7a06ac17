//! The quickstart: log in with a username and password, get an access token,
//! call a protected route with it.
//!
//! Run with:
//!
//! ```sh
//! cargo run --example quickstart
//! curl -s -X POST localhost:5000/login -H 'Content-Type: application/json' \
//!      -d '{"username": "testuser", "password": "testpass"}'
//! curl -s localhost:5000/protected -H "Authorization: Bearer $TOKEN"
//! ```
//!
//! Settings come from the environment like a Flask app's
//! (`FLASK_JWT_SECRET_KEY`, or any `JWT_*` option); the secret defaults to
//! `super-secret-dev-key`. Listens on `127.0.0.1:$PORT` (default 5000).

mod common;

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use jwt_extended::axum::{FlaskJson, Jwt};
use jwt_extended::{JwtConfig, JwtManager};
use serde_json::json;

/// The configuration: `JWT_*` variables, then `FLASK_JWT_*` ones (Flask's
/// `from_prefixed_env`), then the development secret if none was given.
fn config() -> Result<JwtConfig, jwt_extended::config::ConfigError> {
    let mut config = JwtConfig::from_env()?;
    for (name, value) in std::env::vars() {
        if let Some(option) = name.strip_prefix("FLASK_") {
            config.set(option, &value)?;
        }
    }
    if config.secret_key().is_none() {
        config = config.with_secret_key("super-secret-dev-key");
    }
    Ok(config)
}

async fn login(State(jwt): State<JwtManager>, headers: HeaderMap, body: Bytes) -> Response {
    let [username, password] = match common::json_fields(&headers, &body, ["username", "password"])
    {
        Ok(fields) => fields,
        Err(response) => return response,
    };
    let (Some(username), Some(password)) = (
        username.as_ref().and_then(|u| u.as_str()),
        password.as_ref().and_then(|p| p.as_str()),
    ) else {
        return bad_credentials();
    };
    if username != "testuser" || password != "testpass" {
        return bad_credentials();
    }
    match jwt.create_access_token(username) {
        Ok(token) => FlaskJson(json!({ "access_token": token })).into_response(),
        Err(error) => jwt_extended::axum::render_error(&jwt, &error),
    }
}

fn bad_credentials() -> Response {
    (
        StatusCode::UNAUTHORIZED,
        FlaskJson(json!({"msg": "Bad username or password"})),
    )
        .into_response()
}

async fn protected(token: Jwt) -> impl IntoResponse {
    FlaskJson(json!({ "logged_in_as": token.identity() }))
}

/// The application, for reuse in tests and benchmarks.
fn app(jwt: JwtManager) -> Router {
    Router::new()
        .route("/login", post(login))
        .route("/protected", get(protected))
        .with_state(jwt)
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let jwt = JwtManager::new(config()?)?;
    common::serve("quickstart", app(jwt)).await
}
