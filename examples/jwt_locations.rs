//! Port of Flask-JWT-Extended's `examples/jwt_locations.py`: tokens are
//! accepted from the `Authorization` header, cookies, a JSON body and the
//! query string, in that order; one route narrows it to the header only.
//!
//! Run with:
//!
//! ```sh
//! cargo run --example jwt_locations
//! # header
//! TOKEN=$(curl -s -X POST localhost:5000/login_without_cookies | jq -r .access_token)
//! curl -s localhost:5000/protected -H "Authorization: Bearer $TOKEN"
//! # query string and JSON body
//! curl -s "localhost:5000/protected?jwt=$TOKEN"
//! curl -s localhost:5000/protected -H 'Content-Type: application/json' -d "{\"access_token\": \"$TOKEN\"}"
//! # cookies: GET needs only the cookie, POST also the CSRF header
//! curl -s -c jar -X POST localhost:5000/login_with_cookies
//! curl -s -b jar localhost:5000/protected
//! curl -s -b jar -X POST localhost:5000/protected -H "X-CSRF-TOKEN: $(awk '/csrf_access_token/ {print $7}' jar)"
//! curl -s -b jar -c jar -X POST localhost:5000/logout_with_cookies
//! ```

mod common;

use axum::Router;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use jwt_extended::axum::{FlaskJson, Jwt, JwtLayer, Requirement, render_error};
use jwt_extended::config::TokenLocation;
use jwt_extended::{JwtConfig, JwtManager, VerifyOptions};
use serde_json::json;

fn new_token(jwt: &JwtManager) -> Result<String, jwt_extended::Error> {
    jwt.create_access_token("example_user")
}

async fn login_without_cookies(State(jwt): State<JwtManager>) -> Response {
    match new_token(&jwt) {
        Ok(token) => FlaskJson(json!({ "access_token": token })).into_response(),
        Err(error) => render_error(&jwt, &error),
    }
}

async fn login_with_cookies(State(jwt): State<JwtManager>) -> Response {
    let cookies = match new_token(&jwt) {
        Ok(token) => jwt.set_access_cookies(&token).await,
        Err(error) => Err(error),
    };
    match cookies {
        Ok(cookies) => (cookies, FlaskJson(json!({"msg": "login successful"}))).into_response(),
        Err(error) => render_error(&jwt, &error),
    }
}

async fn logout_with_cookies(State(jwt): State<JwtManager>) -> Response {
    (
        jwt.unset_jwt_cookies(),
        FlaskJson(json!({"msg": "logout successful"})),
    )
        .into_response()
}

/// Any of the configured locations (`@jwt_required()`).
async fn protected(_token: Jwt) -> impl IntoResponse {
    FlaskJson(json!({"foo": "bar"}))
}

/// `@jwt_required(locations=["headers"])`.
struct HeadersOnly;

impl Requirement for HeadersOnly {
    const OPTIONS: VerifyOptions = VerifyOptions::new().locations(&[TokenLocation::Headers]);
}

async fn only_headers(_token: Jwt<HeadersOnly>) -> impl IntoResponse {
    FlaskJson(json!({"foo": "baz"}))
}

fn app(jwt: JwtManager) -> Router {
    Router::new()
        .route("/login_without_cookies", post(login_without_cookies))
        .route("/login_with_cookies", post(login_with_cookies))
        .route("/logout_with_cookies", post(logout_with_cookies))
        .route("/protected", get(protected).post(protected))
        .route("/only_headers", get(only_headers))
        // Lets the extractors read a JSON body (bounded) without taking it
        // from the handler.
        .layer(JwtLayer::new(jwt.clone()))
        .with_state(jwt)
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let jwt = JwtManager::new(
        JwtConfig::new()
            .with_secret_key("super-secret")
            .with_token_location([
                TokenLocation::Headers,
                TokenLocation::Cookies,
                TokenLocation::Json,
                TokenLocation::QueryString,
            ])
            // Only for this example: in production, serve over HTTPS and
            // set this to true.
            .with_cookie_secure(false),
    )?;
    common::serve("jwt_locations", app(jwt)).await
}
