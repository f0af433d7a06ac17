//! Port of Flask-JWT-Extended's `examples/loaders.py`: replacing one of the
//! default error responses. Here an expired token is answered with
//! `401 {"code": "dave", "err": "I can't let you do that"}` instead of
//! `{"msg": "Token has expired"}`.
//!
//! Every default response can be replaced the same way, each loader getting
//! what the reference gives its callback: `expired_token_loader`,
//! `revoked_token_loader`, `needs_fresh_token_loader`,
//! `token_verification_failed_loader` and `user_lookup_error_loader` get the
//! token's header and claims, then the message; `invalid_token_loader` and
//! `unauthorized_loader` get the message; `error_response` catches the rest.
//!
//! Run with:
//!
//! ```sh
//! cargo run --example loaders
//! TOKEN=$(curl -s -X POST localhost:5000/login | jq -r .access_token)
//! curl -s localhost:5000/protected -H "Authorization: Bearer $TOKEN"
//! # fifteen minutes later:
//! curl -s localhost:5000/protected -H "Authorization: Bearer $TOKEN"
//! ```

mod common;

use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use jwt_extended::axum::JwtManagerBuilderExt;
use jwt_extended::axum::{FlaskJson, Jwt};
use jwt_extended::{JwtConfig, JwtManager};
use serde_json::{Map, Value, json};

/// `@jwt.expired_token_loader`: gets the expired token's header and claims
/// (and the message, unused here).
fn expired_token_response(
    _header: &Map<String, Value>,
    _claims: &Map<String, Value>,
    _message: &str,
) -> impl IntoResponse + use<> {
    (
        StatusCode::UNAUTHORIZED,
        FlaskJson(json!({"code": "dave", "err": "I can't let you do that"})),
    )
}

async fn login(State(jwt): State<JwtManager>) -> Response {
    match jwt.create_access_token("example_user") {
        Ok(token) => FlaskJson(json!({ "access_token": token })).into_response(),
        Err(error) => jwt_extended::axum::render_error(&jwt, &error),
    }
}

async fn protected(_token: Jwt) -> impl IntoResponse {
    FlaskJson(json!({"hello": "world"}))
}

fn manager() -> Result<JwtManager, jwt_extended::config::ConfigError> {
    JwtManager::builder(JwtConfig::new().with_secret_key("super-secret"))
        .expired_token_loader(expired_token_response)
        .build()
}

fn app(jwt: JwtManager) -> Router {
    Router::new()
        .route("/login", post(login))
        .route("/protected", get(protected))
        .with_state(jwt)
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    common::serve("loaders", app(manager()?)).await
}
