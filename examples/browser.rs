//! A small single-page app that uses JWT cookies with CSRF double-submit
//! protection the way a browser front end should, plus implicit refresh.
//!
//! - `POST /api/login` (JSON `{"username": "test", "password": "test"}`)
//!   sets the access cookie (`HttpOnly`, invisible to JavaScript) and its
//!   CSRF cookie (readable by JavaScript).
//! - `POST /api/protected` needs the cookie **and** the `X-CSRF-TOKEN`
//!   header. The page's script copies the CSRF cookie into that header; a
//!   cross-site page cannot read the cookie, so it cannot forge the header.
//! - `POST /api/logout` ends the session and deletes the cookies;
//!   `POST /api/logout_all` ("sign out everywhere") revokes every token of
//!   the user, in every browser, then deletes this browser's cookies.
//! - Access tokens are short-lived (`ACCESS_TOKEN_SECONDS`, default 60) and
//!   renewed by [`ImplicitRefreshLayer`] when a request comes in with less
//!   than `REFRESH_WINDOW_SECONDS` (default 30) left. Idle longer than the
//!   lifetime and the session is over (`Token has expired`).
//!
//! Run with:
//!
//! ```sh
//! cargo run --example browser        # then open http://127.0.0.1:5000/
//! PORT=8080 ACCESS_TOKEN_SECONDS=20 REFRESH_WINDOW_SECONDS=15 cargo run --example browser
//! ```
//!
//! Cookies are not `Secure` here because the app is served over plain HTTP
//! on localhost; set `COOKIE_SECURE=1` behind HTTPS (and see the cookie
//! manual for production settings).

mod common;

use std::time::Duration;

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::{get, post};
use jwt_extended::axum::{
    FlaskJson, ImplicitRefreshLayer, Jwt, JwtRejection, RejectExt, render_error,
};
use jwt_extended::blocklist::MemoryBlocklist;
use jwt_extended::config::{SameSite, TokenLocation};
use jwt_extended::{JwtConfig, JwtManager};
use serde_json::{Value, json};

fn env_seconds(name: &str, default: u64) -> Duration {
    Duration::from_secs(
        std::env::var(name)
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(default),
    )
}

async fn page() -> impl IntoResponse {
    (
        [(header::CACHE_CONTROL, "no-store")],
        Html(include_str!("browser.html")),
    )
}

async fn login(State(jwt): State<JwtManager>, headers: HeaderMap, body: Bytes) -> Response {
    let json = match common::request_json(&headers, &body) {
        Ok(json) => json,
        Err(response) => return response,
    };
    let field = |name: &str| json.get(name).and_then(Value::as_str).map(str::to_owned);
    let (Some(username), Some(password)) = (field("username"), field("password")) else {
        return (
            StatusCode::BAD_REQUEST,
            FlaskJson(json!({"msg": "username and password required"})),
        )
            .into_response();
    };
    if username != "test" || password != "test" {
        return (
            StatusCode::UNAUTHORIZED,
            FlaskJson(json!({"msg": "Bad username or password"})),
        )
            .into_response();
    }
    let agent = headers
        .get(header::USER_AGENT)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    // A session per login: "sign out everywhere" ends them all.
    let pair = jwt
        .token_pair(username.as_str())
        .metadata(json!({"user_agent": agent}))
        .create()
        .await;
    let cookies = match pair {
        Ok(pair) => jwt.set_access_cookies(pair.access_token.as_str()).await,
        Err(error) => Err(error),
    };
    match cookies {
        Ok(cookies) => (
            cookies,
            FlaskJson(json!({"msg": "login successful", "user": username})),
        )
            .into_response(),
        Err(error) => render_error(&jwt, &error),
    }
}

/// A state-changing call: the cookie alone is not enough, the CSRF header
/// must match the token's `csrf` claim.
async fn protected(token: Jwt) -> impl IntoResponse {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or_default();
    FlaskJson(json!({
        "user": token.identity(),
        "jti": token.jti(),
        "expires_in": token.expires_at().map(|exp| exp - now),
    }))
}

async fn logout(State(jwt): State<JwtManager>) -> Response {
    (
        jwt.unset_jwt_cookies(),
        FlaskJson(json!({"msg": "logout successful"})),
    )
        .into_response()
}

/// Sign out everywhere: every token of the user is refused from now on,
/// whatever browser holds it. Needs a valid token and its CSRF header.
async fn logout_all(State(jwt): State<JwtManager>, token: Jwt) -> Result<Response, JwtRejection> {
    jwt.revoke_all_tokens_of(token.identity())
        .await
        .reject(&jwt)?;
    Ok((
        jwt.unset_jwt_cookies(),
        FlaskJson(json!({"msg": "signed out everywhere"})),
    )
        .into_response())
}

fn app(jwt: JwtManager, window: Duration) -> Router {
    Router::new()
        .route("/", get(page))
        .route("/api/login", post(login))
        .route("/api/protected", post(protected))
        .route("/api/logout", post(logout))
        .route("/api/logout_all", post(logout_all))
        .layer(ImplicitRefreshLayer::new(jwt.clone(), window))
        .with_state(jwt)
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let lifetime = env_seconds("ACCESS_TOKEN_SECONDS", 60);
    let window = env_seconds("REFRESH_WINDOW_SECONDS", 30);
    let secure = std::env::var("COOKIE_SECURE").is_ok_and(|v| v == "1" || v == "true");
    let config = JwtConfig::new()
        .with_secret_key(
            std::env::var("JWT_SECRET_KEY").unwrap_or_else(|_| "super-secret".to_owned()),
        )
        .with_token_location([TokenLocation::Cookies])
        .with_access_token_expires(lifetime)
        .with_cookie_secure(secure)
        // Not the reference default (no SameSite at all): Lax keeps the
        // cookies off cross-site subrequests, a second line of defence
        // next to the CSRF header.
        .with_cookie_samesite(SameSite::Lax);
    let jwt = JwtManager::builder(config)
        .session_store(MemoryBlocklist::new())
        .build()?;
    common::serve("browser", app(jwt, window)).await
}
