//! Port of Flask-JWT-Extended's `examples/optional_protected_endpoints.py`:
//! a route that works with or without a token (but refuses a bad one).
//!
//! Run with:
//!
//! ```sh
//! cargo run --example optional_protected_endpoints
//! curl -s localhost:5000/optionally_protected
//! curl -s localhost:5000/optionally_protected -H "Authorization: Bearer $TOKEN"
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

/// `@jwt_required(optional=True)`: `None` when no token was sent.
async fn optionally_protected(token: Option<Jwt>) -> impl IntoResponse {
    // Python's truthiness: an empty identity counts as anonymous too.
    let identity = token
        .map(|t| t.identity().clone())
        .filter(|id| !jwt_extended_is_falsy(id));
    match identity {
        Some(identity) => FlaskJson(json!({ "logged_in_as": identity })),
        None => FlaskJson(json!({ "logged_in_as": "anonymous user" })),
    }
}

fn jwt_extended_is_falsy(value: &Value) -> bool {
    match value {
        Value::Null => true,
        Value::Bool(b) => !b,
        Value::Number(n) => n.as_f64() == Some(0.0),
        Value::String(s) => s.is_empty(),
        Value::Array(a) => a.is_empty(),
        Value::Object(o) => o.is_empty(),
    }
}

fn app(jwt: JwtManager) -> Router {
    Router::new()
        .route("/login", post(login))
        .route("/optionally_protected", get(optionally_protected))
        .with_state(jwt)
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let jwt = JwtManager::new(JwtConfig::new().with_secret_key("super-secret"))?;
    common::serve("optional_protected_endpoints", app(jwt)).await
}
