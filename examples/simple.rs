//! Port of Flask-JWT-Extended's `examples/simple.py`: a login route that
//! returns an access token, and a protected route.
//!
//! Run with:
//!
//! ```sh
//! cargo run --example simple
//! curl -s -X POST localhost:5000/login -H 'Content-Type: application/json' \
//!      -d '{"username": "test", "password": "test"}'
//! curl -s localhost:5000/protected -H "Authorization: Bearer $TOKEN"
//! ```

mod common;

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use jwt_extended::axum::{FlaskJson, Jwt};
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
    match jwt.create_access_token("test") {
        Ok(token) => FlaskJson(json!({ "access_token": token })).into_response(),
        Err(error) => jwt_extended::axum::render_error(&jwt, &error),
    }
}

async fn protected(token: Jwt) -> impl IntoResponse {
    FlaskJson(json!({ "logged_in_as": token.identity() }))
}

fn app(jwt: JwtManager) -> Router {
    Router::new()
        .route("/login", post(login))
        .route("/protected", get(protected))
        .with_state(jwt)
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let jwt = JwtManager::new(JwtConfig::new().with_secret_key("super-secret"))?;
    common::serve("simple", app(jwt)).await
}
