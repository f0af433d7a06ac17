//! Port of Flask-JWT-Extended's `examples/optional_protected_endpoints.py`
//! to actix-web: a route that works with or without a token. The same
//! contract as the axum example `optional_protected_endpoints`.
//!
//! actix-web's own `Option<T>` extractor turns *any* extractor error into
//! `None`, which would let an invalid token through as "anonymous": use
//! [`Optional`] instead (no token → `None`; a bad token → its error).

#[path = "actix_common/mod.rs"]
mod common;

use actix_web::http::StatusCode;
use actix_web::web::{self, Bytes};
use actix_web::{HttpRequest, HttpResponse};
use jwt_extended::actix::{FlaskJson, Jwt, Optional, render_error};
use jwt_extended::{JwtConfig, JwtManager};
use serde_json::{Value, json};

async fn login(jwt: web::Data<JwtManager>, request: HttpRequest, body: Bytes) -> HttpResponse {
    let [username, password] = match common::json_fields(&request, &body, ["username", "password"])
    {
        Ok(fields) => fields,
        Err(response) => return response,
    };
    if username.as_ref().and_then(Value::as_str) != Some("test")
        || password.as_ref().and_then(Value::as_str) != Some("test")
    {
        return FlaskJson(json!({"msg": "Bad username or password"}))
            .with_status(StatusCode::UNAUTHORIZED);
    }
    match jwt.create_access_token("test") {
        Ok(token) => FlaskJson(json!({ "access_token": token })).into_response(),
        Err(error) => render_error(&jwt, &error),
    }
}

/// `@jwt_required(optional=True)`: `None` when no token was sent.
async fn optionally_protected(Optional(token): Optional<Jwt>) -> FlaskJson<Value> {
    // Python's truthiness: an empty identity counts as anonymous too.
    let identity = token
        .map(|t| t.identity().clone())
        .filter(|id| !is_falsy(id));
    match identity {
        Some(identity) => FlaskJson(json!({ "logged_in_as": identity })),
        None => FlaskJson(json!({ "logged_in_as": "anonymous user" })),
    }
}

fn is_falsy(value: &Value) -> bool {
    match value {
        Value::Null => true,
        Value::Bool(b) => !b,
        Value::Number(n) => n.as_f64() == Some(0.0),
        Value::String(s) => s.is_empty(),
        Value::Array(a) => a.is_empty(),
        Value::Object(o) => o.is_empty(),
    }
}

fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(common::resource("/login", &["POST"]).route(web::post().to(login)))
        .service(
            common::resource("/optionally_protected", &["GET"])
                .route(common::get().to(optionally_protected)),
        );
}

#[actix_web::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let jwt = JwtManager::new(JwtConfig::new().with_secret_key("super-secret"))?;
    common::serve("actix_optional_protected_endpoints", jwt, routes).await?;
    Ok(())
}
