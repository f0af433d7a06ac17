//! Port of Flask-JWT-Extended's `examples/blocklist_database.py` to actix-web
//! (see the axum example `blocklist_database`, whose contract it keeps:
//! `POST /login`, `DELETE /logout` revokes the request's access token,
//! `GET /protected`).

#[path = "actix_common/mod.rs"]
mod common;

use std::time::Duration;

use actix_web::{HttpResponse, web};
use jwt_extended::actix::{FlaskJson, Jwt, render_error};
use jwt_extended::blocklist::SqlBlocklist;
use jwt_extended::blocklist::sqlx::sqlite::SqlitePoolOptions;
use jwt_extended::{JwtConfig, JwtManager};
use serde_json::{Value, json};

const ACCESS_EXPIRES: Duration = Duration::from_secs(3600);

async fn login(jwt: web::Data<JwtManager>) -> HttpResponse {
    match jwt.create_access_token("example_user") {
        Ok(token) => FlaskJson(json!({ "access_token": token })).into_response(),
        Err(error) => render_error(&jwt, &error),
    }
}

/// Revokes the access token of the request.
async fn logout(jwt: web::Data<JwtManager>, token: Jwt) -> HttpResponse {
    match jwt.revoke(&token).await {
        Ok(()) => FlaskJson(json!({"msg": "JWT revoked"})).into_response(),
        Err(error) => render_error(&jwt, &error),
    }
}

/// A revoked access token no longer gets here.
async fn protected(_token: Jwt) -> FlaskJson<Value> {
    FlaskJson(json!({"hello": "world"}))
}

fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(common::resource("/login", &["POST"]).route(web::post().to(login)))
        .service(common::resource("/logout", &["DELETE"]).route(web::delete().to(logout)))
        .service(common::resource("/protected", &["GET"]).route(common::get().to(protected)));
}

#[actix_web::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    // An in-memory SQLite database lives as long as its connection: keep
    // exactly one, open for good.
    let pool = SqlitePoolOptions::new()
        .max_connections(1)
        .min_connections(1)
        .idle_timeout(None)
        .max_lifetime(None)
        .connect("sqlite::memory:")
        .await?;
    let blocklist = SqlBlocklist::new(pool);
    blocklist.migrate().await?;
    let jwt = JwtManager::builder(
        JwtConfig::new()
            .with_secret_key("super-secret") // Change this!
            .with_access_token_expires(ACCESS_EXPIRES),
    )
    .blocklist(blocklist)
    .build()?;
    common::serve("actix_blocklist_database", jwt, routes).await?;
    Ok(())
}
