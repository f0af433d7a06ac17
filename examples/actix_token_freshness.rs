//! Port of Flask-JWT-Extended's `examples/token_freshness.py` to actix-web:
//! a fresh access token at login, non-fresh ones from `/refresh`, and a
//! route that needs a fresh one. The same contract as the axum example
//! `token_freshness`.

#[path = "actix_common/mod.rs"]
mod common;

use std::time::Duration;

use actix_web::http::StatusCode;
use actix_web::web::{self, Bytes};
use actix_web::{HttpRequest, HttpResponse};
use jwt_extended::actix::{FlaskJson, Fresh, Jwt, Refresh, render_error};
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
    // The password was just checked: the access token is fresh.
    let tokens = jwt
        .access_token("example_user")
        .fresh(true)
        .create()
        .and_then(|access| Ok((access, jwt.create_refresh_token("example_user")?)));
    match tokens {
        Ok((access, refresh)) => {
            FlaskJson(json!({ "access_token": access, "refresh_token": refresh })).into_response()
        }
        Err(error) => render_error(&jwt, &error),
    }
}

/// A refreshed access token is not fresh: no password was checked.
async fn refresh(jwt: web::Data<JwtManager>, token: Jwt<Refresh>) -> HttpResponse {
    match jwt.access_token(token.identity()).fresh(false).create() {
        Ok(access) => FlaskJson(json!({ "access_token": access })).into_response(),
        Err(error) => render_error(&jwt, &error),
    }
}

async fn protected(_token: Jwt<Fresh>) -> FlaskJson<Value> {
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
    common::serve("actix_token_freshness", jwt, routes).await?;
    Ok(())
}
