//! Port of Flask-JWT-Extended's `examples/custom_decorators.py`: an
//! admin-only guard built on `verify_jwt_in_request`.
//!
//! The reference writes a decorator that verifies the token and then checks
//! an `is_administrator` claim. In axum the same guard is an extractor: a
//! handler that takes [`Admin`] only runs for administrators, and the
//! verification inside it (`verify_jwt_in_request`) answers every token
//! error exactly like the built-in extractors do.
//!
//! Run with:
//!
//! ```sh
//! cargo run --example custom_decorators
//! TOKEN=$(curl -s -X POST localhost:5000/login | jq -r .access_token)
//! curl -s localhost:5000/protected -H "Authorization: Bearer $TOKEN"
//! ```

mod common;

use axum::Router;
use axum::extract::{FromRef, FromRequestParts, State};
use axum::http::StatusCode;
use axum::http::request::Parts;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use jwt_extended::axum::{FlaskJson, verify_jwt_in_request};
use jwt_extended::{JwtConfig, JwtManager, VerifyOptions};
use serde_json::{Value, json};

/// A verified access token whose `is_administrator` claim is true (the
/// reference's `@admin_required()`).
struct Admin;

impl<S> FromRequestParts<S> for Admin
where
    S: Send + Sync,
    JwtManager: FromRef<S>,
{
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Response> {
        let jwt = JwtManager::from_ref(state);
        // `verify_jwt_in_request()`: missing, invalid, expired, revoked…
        // tokens are answered here, with the manager's responses.
        let verified = verify_jwt_in_request(parts, &jwt, &VerifyOptions::new())
            .await
            .map_err(IntoResponse::into_response)?;
        // `None` only for OPTIONS, which carries no token: let it through
        // with an empty 200, as the built-in extractors do.
        let Some(verified) = verified else {
            return Err(StatusCode::OK.into_response());
        };
        // `if claims["is_administrator"]:` with Python's truthiness. A
        // missing claim is a KeyError (500) upstream; here it is simply not
        // an administrator.
        let is_admin = verified
            .token()
            .claim("is_administrator")
            .is_some_and(truthy);
        if is_admin {
            Ok(Admin)
        } else {
            Err((
                StatusCode::FORBIDDEN,
                FlaskJson(json!({"msg": "Admins only!"})),
            )
                .into_response())
        }
    }
}

/// Python's `bool(value)` for JSON values.
fn truthy(value: &Value) -> bool {
    match value {
        Value::Null => false,
        Value::Bool(b) => *b,
        Value::Number(n) => n.as_f64().is_some_and(|f| f != 0.0),
        Value::String(s) => !s.is_empty(),
        Value::Array(a) => !a.is_empty(),
        Value::Object(o) => !o.is_empty(),
    }
}

async fn login(State(jwt): State<JwtManager>) -> Response {
    let token = jwt
        .access_token("admin_user")
        .additional_claims(json!({"is_administrator": true}))
        .create();
    match token {
        Ok(token) => FlaskJson(json!({ "access_token": token })).into_response(),
        Err(error) => jwt_extended::axum::error_response(&jwt, &error),
    }
}

async fn protected(_admin: Admin) -> impl IntoResponse {
    FlaskJson(json!({"foo": "bar"}))
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
    common::serve("custom_decorators", app(jwt)).await
}
