//! The quickstart on actix-web: log in with a username and password, get an
//! access token, call a protected route with it. The same contract as the
//! axum example `quickstart`.
//!
//! Run with:
//!
//! ```sh
//! cargo run --example actix_quickstart
//! curl -s -X POST localhost:5000/login -H 'Content-Type: application/json' \
//!      -d '{"username": "testuser", "password": "testpass"}'
//! curl -s localhost:5000/protected -H "Authorization: Bearer $TOKEN"
//! ```
//!
//! Settings come from the environment like a Flask app's
//! (`FLASK_JWT_SECRET_KEY`, or any `JWT_*` option); the secret defaults to
//! `super-secret-dev-key`. Listens on `127.0.0.1:$PORT` (default 5000).

#[path = "actix_common/mod.rs"]
mod common;

use actix_web::http::StatusCode;
use actix_web::web::{self, Bytes};
use actix_web::{HttpRequest, HttpResponse};
use jwt_extended::actix::{FlaskJson, Jwt, render_error};
use jwt_extended::{JwtConfig, JwtManager};
use serde_json::{Value, json};

/// The configuration: `JWT_*` variables, then `FLASK_JWT_*` ones (Flask's
/// `from_prefixed_env`), then the development secret if none was given.
fn config() -> Result<JwtConfig, jwt_extended::config::ConfigError> {
    let mut config = JwtConfig::from_env()?;
    for (name, value) in std::env::vars() {
        if let Some(option) = name.strip_prefix("FLASK_") {
            config.set(option, &value)?;
        }
    }
    if config.secret_key().is_none() {
        config = config.with_secret_key("super-secret-dev-key");
    }
    Ok(config)
}

async fn login(jwt: web::Data<JwtManager>, request: HttpRequest, body: Bytes) -> HttpResponse {
    let [username, password] = match common::json_fields(&request, &body, ["username", "password"])
    {
        Ok(fields) => fields,
        Err(response) => return response,
    };
    let (Some(username), Some(password)) = (
        username.as_ref().and_then(Value::as_str),
        password.as_ref().and_then(Value::as_str),
    ) else {
        return bad_credentials();
    };
    if username != "testuser" || password != "testpass" {
        return bad_credentials();
    }
    match jwt.create_access_token(username) {
        Ok(token) => FlaskJson(json!({ "access_token": token })).into_response(),
        Err(error) => render_error(&jwt, &error),
    }
}

fn bad_credentials() -> HttpResponse {
    FlaskJson(json!({"msg": "Bad username or password"})).with_status(StatusCode::UNAUTHORIZED)
}

async fn protected(token: Jwt) -> FlaskJson<Value> {
    FlaskJson(json!({ "logged_in_as": token.identity() }))
}

/// The routes, for reuse in tests and benchmarks.
fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(common::resource("/login", &["POST"]).route(web::post().to(login)))
        .service(common::resource("/protected", &["GET"]).route(common::get().to(protected)));
}

#[actix_web::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let jwt = JwtManager::new(config()?)?;
    common::serve("actix_quickstart", jwt, routes).await?;
    Ok(())
}
