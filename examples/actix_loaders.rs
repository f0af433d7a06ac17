//! Port of Flask-JWT-Extended's `examples/loaders.py` to actix-web: a custom
//! response for expired tokens. The same contract as the axum example
//! `loaders`.

#[path = "actix_common/mod.rs"]
mod common;

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use jwt_extended::actix::{FlaskJson, Jwt, JwtManagerBuilderExt, render_error};
use jwt_extended::{JwtConfig, JwtManager};
use serde_json::{Map, Value, json};

/// `@jwt.expired_token_loader`: gets the expired token's header and claims
/// (and the message, unused here).
fn expired_token_response(
    _header: &Map<String, Value>,
    _claims: &Map<String, Value>,
    _message: &str,
) -> HttpResponse {
    FlaskJson(json!({"code": "dave", "err": "I can't let you do that"}))
        .with_status(StatusCode::UNAUTHORIZED)
}

async fn login(jwt: web::Data<JwtManager>) -> HttpResponse {
    match jwt.create_access_token("example_user") {
        Ok(token) => FlaskJson(json!({ "access_token": token })).into_response(),
        Err(error) => render_error(&jwt, &error),
    }
}

async fn protected(_token: Jwt) -> FlaskJson<Value> {
    FlaskJson(json!({"hello": "world"}))
}

fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(common::resource("/login", &["POST"]).route(web::post().to(login)))
        .service(common::resource("/protected", &["GET"]).route(common::get().to(protected)));
}

#[actix_web::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let jwt = JwtManager::builder(JwtConfig::new().with_secret_key("super-secret"))
        .expired_token_loader(expired_token_response)
        .build()?;
    common::serve("actix_loaders", jwt, routes).await?;
    Ok(())
}
