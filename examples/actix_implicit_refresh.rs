//! Port of Flask-JWT-Extended's `examples/implicit_refresh.py` to actix-web:
//! access cookies renewed by the [`ImplicitRefresh`] middleware when less
//! than 30 minutes are left. The same contract as the axum example
//! `implicit_refresh`.
//!
//! [`ImplicitRefresh`]: jwt_extended::actix::ImplicitRefresh

#[path = "actix_common/mod.rs"]
mod common;

use std::time::Duration;

use actix_web::{HttpResponse, web};
use jwt_extended::actix::{FlaskJson, Jwt, JwtCookiesExt, render_error};
use jwt_extended::config::TokenLocation;
use jwt_extended::{JwtConfig, JwtManager};
use serde_json::{Value, json};

/// Renew when less than this is left.
const REFRESH_WINDOW: Duration = Duration::from_secs(30 * 60);

async fn login(jwt: web::Data<JwtManager>) -> HttpResponse {
    let cookies = match jwt.create_access_token("example_user") {
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

async fn logout(jwt: web::Data<JwtManager>) -> HttpResponse {
    let mut response = FlaskJson(json!({"msg": "logout successful"})).into_response();
    response.jwt_cookies(&jwt.unset_jwt_cookies());
    response
}

async fn protected(_token: Jwt) -> FlaskJson<Value> {
    FlaskJson(json!({"foo": "bar"}))
}

fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(common::resource("/login", &["POST"]).route(web::post().to(login)))
        .service(common::resource("/logout", &["POST"]).route(web::post().to(logout)))
        .service(common::resource("/protected", &["GET"]).route(common::get().to(protected)));
}

#[actix_web::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let jwt = JwtManager::new(
        JwtConfig::new()
            .with_secret_key("super-secret")
            .with_token_location([TokenLocation::Cookies])
            .with_cookie_secure(false)
            .with_access_token_expires(Duration::from_secs(3600)),
    )?;
    // Like the reference recipe: same identity, custom claims not copied.
    common::serve_with_refresh("actix_implicit_refresh", jwt, routes, REFRESH_WINDOW).await?;
    Ok(())
}
