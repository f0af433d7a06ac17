//! Port of Flask-JWT-Extended's `examples/simple.py` to actix-web: a login
//! route that returns an access token, and a protected route. The same
//! contract as the axum example `simple`.
//!
//! Run with:
//!
//! ```sh
//! cargo run --example actix_simple
//! curl -s -X POST localhost:5000/login -H 'Content-Type: application/json' \
//!      -d '{"username": "test", "password": "test"}'
//! curl -s localhost:5000/protected -H "Authorization: Bearer $TOKEN"
//! ```

#[path = "actix_common/mod.rs"]
mod common;

use actix_web::http::StatusCode;
use actix_web::web::{self, Bytes};
use actix_web::{HttpRequest, HttpResponse};
use jwt_extended::actix::{FlaskJson, Jwt, render_error};
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

async fn protected(token: Jwt) -> FlaskJson<Value> {
    FlaskJson(json!({ "logged_in_as": token.identity() }))
}

/// The routes, for reuse in tests.
fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(common::resource("/login", &["POST"]).route(web::post().to(login)))
        .service(common::resource("/protected", &["GET"]).route(common::get().to(protected)));
}

#[actix_web::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let jwt = JwtManager::new(JwtConfig::new().with_secret_key("super-secret"))?;
    common::serve("actix_simple", jwt, routes).await?;
    Ok(())
}
