//! Port of Flask-JWT-Extended's `examples/refresh_tokens.py`: login returns
//! an access and a refresh token; `/refresh` only accepts refresh tokens.
//!
//! Run with:
//!
//! ```sh
//! cargo run --example refresh_tokens
//! curl -s -X POST localhost:5000/login
//! curl -s -X POST localhost:5000/refresh -H "Authorization: Bearer $REFRESH"
//! curl -s localhost:5000/protected -H "Authorization: Bearer $ACCESS"
//! ```

mod common;

use std::time::Duration;

use axum::Router;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use jwt_extended::axum::{FlaskJson, Jwt, Refresh};
use jwt_extended::{JwtConfig, JwtManager};
use serde_json::json;

async fn login(State(jwt): State<JwtManager>) -> Response {
    let tokens = jwt
        .create_access_token("example_user")
        .and_then(|access| Ok((access, jwt.create_refresh_token("example_user")?)));
    match tokens {
        Ok((access, refresh)) => {
            FlaskJson(json!({ "access_token": access, "refresh_token": refresh })).into_response()
        }
        Err(error) => jwt_extended::axum::render_error(&jwt, &error),
    }
}

/// Only refresh tokens get here (`@jwt_required(refresh=True)`).
async fn refresh(State(jwt): State<JwtManager>, token: Jwt<Refresh>) -> Response {
    match jwt.create_access_token(token.identity()) {
        Ok(access) => FlaskJson(json!({ "access_token": access })).into_response(),
        Err(error) => jwt_extended::axum::render_error(&jwt, &error),
    }
}

async fn protected(_token: Jwt) -> impl IntoResponse {
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
    common::serve("refresh_tokens", app(jwt)).await
}
