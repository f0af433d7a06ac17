//! Port of Flask-JWT-Extended's `examples/blocklist_database.py`: logging
//! out records the access token's `jti` in a SQL table; revoked tokens are
//! refused. Like the Python example, the database is SQLite in memory, so
//! revocations last as long as the process.
//!
//! For a real deployment use a database file or PostgreSQL
//! (`SqlBlocklist::new(PgPool)`), and call `purge_expired()` now and then:
//! rows of expired tokens are of no further use.
//!
//! Run with:
//!
//! ```sh
//! cargo run --example blocklist_database
//! TOKEN=$(curl -s -X POST localhost:5000/login | jq -r .access_token)
//! curl -s localhost:5000/protected -H "Authorization: Bearer $TOKEN"           # {"hello":"world"}
//! curl -s -X DELETE localhost:5000/logout -H "Authorization: Bearer $TOKEN"    # {"msg":"JWT revoked"}
//! curl -s localhost:5000/protected -H "Authorization: Bearer $TOKEN"           # 401
//! ```

mod common;

use std::time::Duration;

use axum::Router;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get, post};
use jwt_extended::axum::{FlaskJson, Jwt, render_error};
use jwt_extended::blocklist::SqlBlocklist;
use jwt_extended::blocklist::sqlx::sqlite::SqlitePoolOptions;
use jwt_extended::{JwtConfig, JwtManager};
use serde_json::json;

const ACCESS_EXPIRES: Duration = Duration::from_secs(3600);

async fn login(State(jwt): State<JwtManager>) -> Response {
    match jwt.create_access_token("example_user") {
        Ok(token) => FlaskJson(json!({ "access_token": token })).into_response(),
        Err(error) => render_error(&jwt, &error),
    }
}

/// Records the access token of the request as revoked (its `jti`, type,
/// identity, and when it was revoked and expires).
async fn logout(State(jwt): State<JwtManager>, token: Jwt) -> Response {
    match jwt.revoke(&token).await {
        Ok(()) => FlaskJson(json!({"msg": "JWT revoked"})).into_response(),
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
    // An in-memory SQLite database lives as long as its connection: keep
    // exactly one, open for good.
    let pool = SqlitePoolOptions::new()
        .max_connections(1)
        .min_connections(1)
        .idle_timeout(None)
        .max_lifetime(None)
        .connect("sqlite::memory:")
        .await?;
    let blocklist = SqlBlocklist::new(pool);
    blocklist.migrate().await?;
    let jwt = JwtManager::builder(
        JwtConfig::new()
            .with_secret_key("super-secret") // Change this!
            .with_access_token_expires(ACCESS_EXPIRES),
    )
    .blocklist(blocklist)
    .build()?;
    common::serve("blocklist_database", app(jwt)).await
}
