//! Port of Flask-JWT-Extended's `examples/custom_decorators.py` to
//! actix-web: an admin-only route as a [`Guard`] on the requirement. The
//! same contract as the axum example `custom_decorators`.

#[path = "actix_common/mod.rs"]
mod common;

use actix_web::web;
use jwt_extended::actix::{Access, FlaskJson, Guard, Jwt, JwtRejection, RejectExt};
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

async fn login(jwt: web::Data<JwtManager>) -> Result<FlaskJson<Value>, JwtRejection> {
    let token = jwt
        .access_token("admin_user")
        .additional_claims(json!({"is_administrator": true}))
        .create()
        .reject(&jwt)?;
    Ok(FlaskJson(json!({ "access_token": token })))
}

async fn protected(_admin: Jwt<(Access, Admin)>) -> FlaskJson<Value> {
    FlaskJson(json!({"foo": "bar"}))
}

fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(common::resource("/login", &["POST"]).route(web::post().to(login)))
        .service(common::resource("/protected", &["GET"]).route(common::get().to(protected)));
}

#[actix_web::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let jwt = JwtManager::new(JwtConfig::new().with_secret_key("super-secret"))?;
    common::serve("actix_custom_decorators", jwt, routes).await?;
    Ok(())
}
