//! Port of Flask-JWT-Extended's `examples/refresh_tokens.py` to actix-web:
//! login returns an access and a refresh token; `/refresh` only accepts
//! refresh tokens. The same contract as the axum example `refresh_tokens`.
//!
//! ```sh
//! cargo run --example actix_refresh_tokens
//! curl -s -X POST localhost:5000/login
//! curl -s -X POST localhost:5000/refresh -H "Authorization: Bearer $REFRESH"
//! ```

#[path = "actix_common/mod.rs"]
mod common;

use std::time::Duration;

use actix_web::{HttpResponse, web};
use jwt_extended::actix::{FlaskJson, Jwt, Refresh, render_error};
use jwt_extended::{JwtConfig, JwtManager};
use serde_json::{Value, json};

async fn login(jwt: web::Data<JwtManager>) -> HttpResponse {
    let tokens = jwt
        .create_access_token("example_user")
        .and_then(|access| Ok((access, jwt.create_refresh_token("example_user")?)));
    match tokens {
        Ok((access, refresh)) => {
            FlaskJson(json!({ "access_token": access, "refresh_token": refresh })).into_response()
        }
        Err(error) => render_error(&jwt, &error),
    }
}

/// Only refresh tokens get here (`@jwt_required(refresh=True)`).
async fn refresh(jwt: web::Data<JwtManager>, token: Jwt<Refresh>) -> HttpResponse {
    match jwt.create_access_token(token.identity()) {
        Ok(access) => FlaskJson(json!({ "access_token": access })).into_response(),
        Err(error) => render_error(&jwt, &error),
    }
}

async fn protected(_token: Jwt) -> FlaskJson<Value> {
    FlaskJson(json!({ "foo": "bar" }))
}

fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(common::resource("/login", &["POST"]).route(web::post().to(login)))
        .service(common::resource("/refresh", &["POST"]).route(web::post().to(refresh)))
        .service(common::resource("/protected", &["GET"]).route(common::get().to(protected)));
}

#[actix_web::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let jwt = JwtManager::new(
        JwtConfig::new()
            .with_secret_key("super-secret")
            .with_access_token_expires(Duration::from_secs(3600))
            .with_refresh_token_expires(Duration::from_secs(30 * 24 * 3600)),
    )?;
    common::serve("actix_refresh_tokens", jwt, routes).await?;
    Ok(())
}
