//! Port of Flask-JWT-Extended's `examples/custom_decorators.py`: an
//! admin-only route.
//!
//! The reference writes an `admin_required()` decorator that verifies the
//! token and then checks an `is_administrator` claim. Here that check is a
//! [`Guard`], and the route takes `Jwt<(Access, Admin)>`: "an access token,
//! and an administrator". Token errors (missing, invalid, expired, …) are
//! answered as by every extractor; a valid token of someone else gets 403
//! `{"msg": "Admins only!"}`, through the manager's error responses (so a
//! `forbidden_loader` or a catch-all `error_response` would change it).
//! `Jwt<(Fresh, Admin)>` would also demand a fresh token.
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
use axum::extract::State;
use axum::response::IntoResponse;
use axum::routing::{get, post};
use jwt_extended::axum::{Access, FlaskJson, Guard, Jwt, JwtRejection, RejectExt};
use jwt_extended::{JwtConfig, JwtManager, Verified};
use serde_json::{Value, json};

/// An administrator: the token's `is_administrator` claim is true (the
/// reference's `@admin_required()`).
struct Admin;

impl Guard for Admin {
    const MESSAGE: &'static str = "Admins only!";

    /// `if claims["is_administrator"]:` with Python's truthiness. A missing
    /// claim is a KeyError (500) upstream; here it is simply not an
    /// administrator.
    fn allows(verified: &Verified) -> bool {
        verified
            .token()
            .claim("is_administrator")
            .is_some_and(truthy)
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

async fn login(State(jwt): State<JwtManager>) -> Result<FlaskJson<Value>, JwtRejection> {
    let token = jwt
        .access_token("admin_user")
        .additional_claims(json!({"is_administrator": true}))
        .create()
        .reject(&jwt)?;
    Ok(FlaskJson(json!({ "access_token": token })))
}

async fn protected(_admin: Jwt<(Access, Admin)>) -> impl IntoResponse {
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
