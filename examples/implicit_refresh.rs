//! Port of Flask-JWT-Extended's `examples/implicit_refresh.py`: tokens live
//! in cookies for an hour, and any request that authenticates with one that
//! has less than 30 minutes left gets a new access cookie. The reference
//! does it with an `after_request` hook; here it is [`ImplicitRefreshLayer`].
//!
//! Run with:
//!
//! ```sh
//! cargo run --example implicit_refresh
//! curl -s -c jar -X POST localhost:5000/login
//! curl -s -b jar -c jar -i localhost:5000/protected   # Set-Cookie once under 30 min left
//! curl -s -b jar -c jar -X POST localhost:5000/logout
//! ```

mod common;

use std::time::Duration;

use axum::Router;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use jwt_extended::axum::{FlaskJson, ImplicitRefreshLayer, Jwt, render_error};
use jwt_extended::config::TokenLocation;
use jwt_extended::{JwtConfig, JwtManager};
use serde_json::json;

/// Renew when less than this is left.
const REFRESH_WINDOW: Duration = Duration::from_secs(30 * 60);

async fn login(State(jwt): State<JwtManager>) -> Response {
    let cookies = match jwt.create_access_token("example_user") {
        Ok(token) => jwt.set_access_cookies(&token).await,
        Err(error) => Err(error),
    };
    match cookies {
        Ok(cookies) => (cookies, FlaskJson(json!({"msg": "login successful"}))).into_response(),
        Err(error) => render_error(&jwt, &error),
    }
}

async fn logout(State(jwt): State<JwtManager>) -> Response {
    (
        jwt.unset_jwt_cookies(),
        FlaskJson(json!({"msg": "logout successful"})),
    )
        .into_response()
}

async fn protected(_token: Jwt) -> impl IntoResponse {
    FlaskJson(json!({"foo": "bar"}))
}

fn app(jwt: JwtManager) -> Router {
    Router::new()
        .route("/login", post(login))
        .route("/logout", post(logout))
        .route("/protected", get(protected))
        // Like the reference recipe: same identity, custom claims not copied.
        .layer(ImplicitRefreshLayer::new(jwt.clone(), REFRESH_WINDOW))
        .with_state(jwt)
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let jwt = JwtManager::new(
        JwtConfig::new()
            .with_secret_key("super-secret")
            .with_token_location([TokenLocation::Cookies])
            .with_cookie_secure(false)
            .with_access_token_expires(Duration::from_secs(3600)),
    )?;
    common::serve("implicit_refresh", app(jwt)).await
}
