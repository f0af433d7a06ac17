//! Sessions with refresh-token rotation and reuse detection, a user's
//! sessions, logout and "log out everywhere" (not a port: the reference
//! has no sessions; see the manual page `manual::sessions`).
//!
//! - `POST /login` (JSON `username`/`password`: `testuser`/`testpass` or
//!   `otheruser`/`otherpass`) → `{"access_token", "refresh_token"}`;
//! - `POST /refresh` (refresh token as `Authorization: Bearer`) → a new
//!   pair of the same session; a refresh token used before → 401, and the
//!   session is revoked;
//! - `GET /protected` → `{"logged_in_as": …}`;
//! - `GET /sessions` → the caller's sessions, `current` marking the one of
//!   the token;
//! - `DELETE /sessions/{id}` → ends one of the caller's sessions (404 for
//!   any other id);
//! - `POST /logout` → ends the current session (the access token is
//!   enough); `POST /logout_all` → every token of the identity is revoked.
//!
//! Settings: `PORT` (default 5000), `JWT_REFRESH_REUSE_GRACE` (the grace
//! window in seconds, default 0), `REDIS_URL` (when set, sessions live in
//! Redis and several instances share them; else in memory).
//!
//! ```sh
//! cargo run --example sessions
//! curl -s -X POST localhost:5000/login -H 'Content-Type: application/json' \
//!      -d '{"username": "testuser", "password": "testpass"}'
//! curl -s -X POST localhost:5000/refresh -H "Authorization: Bearer $REFRESH"
//! curl -s localhost:5000/sessions -H "Authorization: Bearer $ACCESS"
//! ```

mod common;

use std::time::Duration;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get, post};
use jwt_extended::axum::{FlaskJson, Jwt, JwtRejection, Refresh, RejectExt};
use jwt_extended::blocklist::{Blocklist, MemoryBlocklist, RedisBlocklist, SessionStore};
use jwt_extended::{JwtConfig, JwtManager};
use serde_json::{Value, json};

const USERS: [(&str, &str); 2] = [("testuser", "testpass"), ("otheruser", "otherpass")];

async fn login(State(jwt): State<JwtManager>, headers: HeaderMap, body: Bytes) -> Response {
    let [username, password] = match common::json_fields(&headers, &body, ["username", "password"])
    {
        Ok(fields) => fields,
        Err(response) => return response,
    };
    let (username, password) = (
        username.as_ref().and_then(Value::as_str),
        password.as_ref().and_then(Value::as_str),
    );
    let Some((user, _)) = USERS
        .iter()
        .find(|(name, pass)| Some(*name) == username && Some(*pass) == password)
    else {
        return (
            StatusCode::UNAUTHORIZED,
            FlaskJson(json!({"msg": "Bad username or password"})),
        )
            .into_response();
    };
    let agent = headers
        .get(header::USER_AGENT)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let pair = jwt
        .token_pair(*user)
        .fresh(true)
        .metadata(json!({"user_agent": agent}))
        .create()
        .await;
    match pair {
        Ok(pair) => FlaskJson(json!({
            "access_token": pair.access_token,
            "refresh_token": pair.refresh_token,
        }))
        .into_response(),
        Err(error) => jwt_extended::axum::render_error(&jwt, &error),
    }
}

async fn refresh(
    State(jwt): State<JwtManager>,
    token: Jwt<Refresh>,
) -> Result<Response, JwtRejection> {
    let pair = jwt.rotate_refresh_token(&token).await.reject(&jwt)?;
    Ok(FlaskJson(json!({
        "access_token": pair.access_token,
        "refresh_token": pair.refresh_token,
    }))
    .into_response())
}

async fn protected(token: Jwt) -> impl IntoResponse {
    FlaskJson(json!({ "logged_in_as": token.identity() }))
}

async fn sessions(State(jwt): State<JwtManager>, token: Jwt) -> Result<Response, JwtRejection> {
    let current = token.session_id();
    let listed = jwt.sessions(token.identity()).await.reject(&jwt)?;
    let sessions: Vec<Value> = listed
        .iter()
        .map(|session| {
            json!({
                "id": session.id,
                "current": Some(session.id.as_str()) == current,
                "created_at": session.created_at,
                "last_refreshed_at": session.last_refreshed_at,
                "expires_at": session.expires_at,
                "user_agent": session.metadata.get("user_agent"),
            })
        })
        .collect();
    Ok(FlaskJson(json!({ "sessions": sessions })).into_response())
}

async fn end_session(
    State(jwt): State<JwtManager>,
    token: Jwt,
    Path(id): Path<String>,
) -> Result<Response, JwtRejection> {
    if jwt.end_session(token.identity(), &id).await.reject(&jwt)? {
        Ok(FlaskJson(json!({"msg": "Session revoked"})).into_response())
    } else {
        Ok((
            StatusCode::NOT_FOUND,
            FlaskJson(json!({"msg": "Session not found"})),
        )
            .into_response())
    }
}

async fn logout(State(jwt): State<JwtManager>, token: Jwt) -> Result<Response, JwtRejection> {
    jwt.revoke_session_of(&token).await.reject(&jwt)?;
    Ok(FlaskJson(json!({"msg": "Logged out"})).into_response())
}

async fn logout_all(State(jwt): State<JwtManager>, token: Jwt) -> Result<Response, JwtRejection> {
    jwt.revoke_all_tokens_of(token.identity())
        .await
        .reject(&jwt)?;
    Ok(FlaskJson(json!({"msg": "Logged out everywhere"})).into_response())
}

fn app(jwt: JwtManager) -> Router {
    Router::new()
        .route("/login", post(login))
        .route("/refresh", post(refresh))
        .route("/protected", get(protected))
        .route("/sessions", get(sessions))
        .route("/sessions/{id}", delete(end_session))
        .route("/logout", post(logout))
        .route("/logout_all", post(logout_all))
        .with_state(jwt)
}

fn manager<S: SessionStore + Blocklist + Clone>(
    store: S,
    grace: Duration,
) -> Result<JwtManager, Box<dyn std::error::Error>> {
    Ok(
        JwtManager::builder(JwtConfig::new().with_secret_key("super-secret"))
            .session_store(store)
            .refresh_token_rotation(grace)
            .build()?,
    )
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let grace = match std::env::var("JWT_REFRESH_REUSE_GRACE") {
        Ok(seconds) if !seconds.is_empty() => Duration::from_secs_f64(seconds.trim().parse()?),
        _ => Duration::ZERO,
    };
    let jwt = match std::env::var("REDIS_URL") {
        Ok(url) if !url.is_empty() => manager(RedisBlocklist::connect(&url).await?, grace)?,
        _ => manager(MemoryBlocklist::new(), grace)?,
    };
    common::serve("sessions", app(jwt)).await
}
