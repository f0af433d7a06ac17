//! Port of Flask-JWT-Extended's `examples/jwt_locations.py` to actix-web:
//! tokens from headers, cookies (with CSRF), the JSON body and the query
//! string. The same contract as the axum example `jwt_locations`.

#[path = "actix_common/mod.rs"]
mod common;

use actix_web::{HttpResponse, web};
use jwt_extended::actix::{FlaskJson, Jwt, JwtCookiesExt, Requirement, render_error};
use jwt_extended::config::TokenLocation;
use jwt_extended::{JwtConfig, JwtManager, VerifyOptions};
use serde_json::{Value, json};

fn new_token(jwt: &JwtManager) -> Result<String, jwt_extended::Error> {
    jwt.create_access_token("example_user")
}

async fn login_without_cookies(jwt: web::Data<JwtManager>) -> HttpResponse {
    match new_token(&jwt) {
        Ok(token) => FlaskJson(json!({ "access_token": token })).into_response(),
        Err(error) => render_error(&jwt, &error),
    }
}

async fn login_with_cookies(jwt: web::Data<JwtManager>) -> HttpResponse {
    let cookies = match new_token(&jwt) {
        Ok(token) => jwt.set_access_cookies(&token).await,
        Err(error) => Err(error),
    };
    match cookies {
        Ok(cookies) => {
            let mut response = FlaskJson(json!({"msg": "login successful"})).into_response();
            response.jwt_cookies(&cookies);
            response
        }
        Err(error) => render_error(&jwt, &error),
    }
}

async fn logout_with_cookies(jwt: web::Data<JwtManager>) -> HttpResponse {
    let mut response = FlaskJson(json!({"msg": "logout successful"})).into_response();
    response.jwt_cookies(&jwt.unset_jwt_cookies());
    response
}

/// Any of the configured locations (`@jwt_required()`).
async fn protected(_token: Jwt) -> FlaskJson<Value> {
    FlaskJson(json!({"foo": "bar"}))
}

/// `@jwt_required(locations=["headers"])`.
struct HeadersOnly;

impl Requirement for HeadersOnly {
    const OPTIONS: VerifyOptions = VerifyOptions::new().locations(&[TokenLocation::Headers]);
}

async fn only_headers(_token: Jwt<HeadersOnly>) -> FlaskJson<Value> {
    FlaskJson(json!({"foo": "baz"}))
}

fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(
        common::resource("/login_without_cookies", &["POST"])
            .route(web::post().to(login_without_cookies)),
    )
    .service(
        common::resource("/login_with_cookies", &["POST"])
            .route(web::post().to(login_with_cookies)),
    )
    .service(
        common::resource("/logout_with_cookies", &["POST"])
            .route(web::post().to(logout_with_cookies)),
    )
    .service(
        common::resource("/protected", &["GET", "POST"])
            .route(common::get().to(protected))
            .route(web::post().to(protected)),
    )
    .service(common::resource("/only_headers", &["GET"]).route(common::get().to(only_headers)));
}

#[actix_web::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let jwt = JwtManager::new(
        JwtConfig::new()
            .with_secret_key("super-secret")
            .with_token_location([
                TokenLocation::Headers,
                TokenLocation::Cookies,
                TokenLocation::Json,
                TokenLocation::QueryString,
            ])
            // Only for this example: in production, serve over HTTPS and
            // set this to true.
            .with_cookie_secure(false),
    )?;
    // The middleware lets the extractors read a JSON body (bounded).
    common::serve_with_middleware("actix_jwt_locations", jwt, routes).await?;
    Ok(())
}
