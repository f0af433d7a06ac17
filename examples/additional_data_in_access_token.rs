//! Port of Flask-JWT-Extended's `examples/additional_data_in_access_token.py`:
//! extra claims written into the access token at login and read back on a
//! protected route.
//!
//! The claims are given per call (`additional_claims`), where the data is at
//! hand; `JwtManagerBuilder::additional_claims_loader` adds claims to every
//! token instead, and per-call claims win over it. An extra `aud` is only
//! checked when an audience is configured (`with_decode_audience`), as in the
//! reference.
//!
//! Run with:
//!
//! ```sh
//! cargo run --example additional_data_in_access_token
//! TOKEN=$(curl -s -X POST localhost:5000/login -H 'Content-Type: application/json' \
//!      -d '{"username": "test", "password": "test"}' | jq -r .access_token)
//! curl -s localhost:5000/protected -H "Authorization: Bearer $TOKEN"
//! ```

mod common;

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use jwt_extended::axum::{Claims, FlaskJson};
use jwt_extended::{JwtConfig, JwtManager};
use serde::Deserialize;
use serde_json::{Value, json};

async fn login(State(jwt): State<JwtManager>, headers: HeaderMap, body: Bytes) -> Response {
    // `request.get_json()`, then `.get("username")` and `.get("password")`,
    // with Flask's answers for bodies that are not JSON objects.
    let json = match common::request_json(&headers, &body) {
        Ok(json) => json,
        Err(response) => return response,
    };
    let (username, password) = match (
        common::json_get(&json, "username"),
        common::json_get(&json, "password"),
    ) {
        (Ok(username), Ok(password)) => (username.cloned(), password.cloned()),
        (Err(response), _) | (_, Err(response)) => return response,
    };
    let username = match (username, password) {
        (Some(Value::String(u)), Some(Value::String(p))) if u == "test" && p == "test" => u,
        _ => {
            return (
                StatusCode::UNAUTHORIZED,
                FlaskJson(json!({"msg": "Bad username or password"})),
            )
                .into_response();
        }
    };
    // `create_access_token(identity, additional_claims=...)`
    let token = jwt
        .access_token(&username)
        .additional_claims(json!({"aud": "some_audience", "foo": "bar"}))
        .create();
    match token {
        Ok(token) => FlaskJson(json!({ "access_token": token })).into_response(),
        Err(error) => jwt_extended::axum::render_error(&jwt, &error),
    }
}

/// The claims this route needs. A token without `foo` is refused with 422
/// (upstream, `get_jwt()["foo"]` raises a KeyError: 500).
#[derive(Deserialize)]
struct Extra {
    foo: Value,
}

async fn protected(Claims(claims): Claims<Extra>) -> impl IntoResponse {
    FlaskJson(json!({ "foo": claims.foo }))
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
    common::serve("additional_data_in_access_token", app(jwt)).await
}
