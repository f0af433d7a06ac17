//! Port of Flask-JWT-Extended's `examples/blocklist_redis.py`: logging out
//! revokes the access token by storing its `jti` in Redis, with a time to
//! live equal to the token's remaining lifetime; revoked tokens are refused.
//!
//! The entries have the layout of the Python example (key = `jti`, value
//! `""`, a TTL), so a Flask service and this one can share the Redis and see
//! each other's logouts. Redis at `$REDIS_URL` (default
//! `redis://127.0.0.1:6379/0`).
//!
//! Run with:
//!
//! ```sh
//! redis-server --port 6379 --daemonize yes     # if none is running
//! cargo run --example blocklist_redis
//! TOKEN=$(curl -s -X POST localhost:5000/login | jq -r .access_token)
//! curl -s localhost:5000/protected -H "Authorization: Bearer $TOKEN"           # {"hello":"world"}
//! curl -s -X DELETE localhost:5000/logout -H "Authorization: Bearer $TOKEN"    # revoked
//! curl -s localhost:5000/protected -H "Authorization: Bearer $TOKEN"           # 401
//! ```
//!
//! If Redis goes away, protected routes answer 503 (fail closed) until it is
//! back; the app needs no restart.

mod common;

use std::time::Duration;

use axum::Router;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get, post};
use jwt_extended::axum::{FlaskJson, Jwt, render_error};
use jwt_extended::blocklist::RedisBlocklist;
use jwt_extended::{JwtConfig, JwtManager};
use serde_json::json;

const ACCESS_EXPIRES: Duration = Duration::from_secs(3600);

async fn login(State(jwt): State<JwtManager>) -> Response {
    match jwt.create_access_token("example_user") {
        Ok(token) => FlaskJson(json!({ "access_token": token })).into_response(),
        Err(error) => render_error(&jwt, &error),
    }
}

/// Revokes the access token of the request. The entry expires with the
/// token, so Redis cleans up after itself.
async fn logout(State(jwt): State<JwtManager>, token: Jwt) -> Response {
    match jwt.revoke(&token).await {
        Ok(()) => FlaskJson(json!({"msg": "Access token revoked"})).into_response(),
        Err(error) => render_error(&jwt, &error),
    }
}

/// A revoked access token no longer gets here.
async fn protected(_token: Jwt) -> impl IntoResponse {
    FlaskJson(json!({"hello": "world"}))
}

fn app(jwt: JwtManager) -> Router {
    Router::new()
        .route("/login", post(login))
        .route("/logout", delete(logout))
        .route("/protected", get(protected))
        .with_state(jwt)
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let url = std::env::var("REDIS_URL").unwrap_or_else(|_| "redis://127.0.0.1:6379/0".into());
    // Make your Redis persist its data (appendonly yes), or a Redis restart
    // forgets every revocation.
    let blocklist = RedisBlocklist::connect(&url).await?;
    let jwt = JwtManager::builder(
        JwtConfig::new()
            .with_secret_key("super-secret") // Change this!
            .with_access_token_expires(ACCESS_EXPIRES),
    )
    .blocklist(blocklist)
    .build()?;
    common::serve("blocklist_redis", app(jwt)).await
}
