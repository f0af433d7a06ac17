//! The `browser` example on actix-web: the same single-page app (the same
//! page, routes, cookies and JSON answers), with the [`ImplicitRefresh`]
//! middleware and a [`MemoryBlocklist`] session store.
//!
//! - `POST /api/login` (JSON `{"username": "test", "password": "test"}`)
//!   sets the `HttpOnly` access cookie and its CSRF cookie, which the
//!   page's script reads.
//! - `POST /api/protected` needs the cookie **and** the `X-CSRF-TOKEN`
//!   header (the double submit).
//! - `POST /api/logout` deletes the cookies; `POST /api/logout_all`
//!   revokes every token of the user in every browser, then deletes this
//!   browser's cookies.
//! - Access tokens live `ACCESS_TOKEN_SECONDS` (default 60) and are renewed
//!   when a request comes in with less than `REFRESH_WINDOW_SECONDS`
//!   (default 30) left.
//!
//! Run with:
//!
//! ```sh
//! cargo run --example actix_browser        # then open http://127.0.0.1:5000/
//! PORT=8080 ACCESS_TOKEN_SECONDS=20 REFRESH_WINDOW_SECONDS=15 cargo run --example actix_browser
//! ```
//!
//! The cookies are not `Secure` by default (plain HTTP on localhost); set
//! `COOKIE_SECURE=1` behind HTTPS.
//!
//! [`ImplicitRefresh`]: jwt_extended::actix::ImplicitRefresh
//! [`MemoryBlocklist`]: jwt_extended::blocklist::MemoryBlocklist

#[path = "actix_common/mod.rs"]
mod common;

use std::time::Duration;

use actix_web::http::StatusCode;
use actix_web::http::header;
use actix_web::web::{self, Bytes};
use actix_web::{HttpRequest, HttpResponse};
use jwt_extended::actix::{FlaskJson, Jwt, JwtCookiesExt, JwtRejection, RejectExt, render_error};
use jwt_extended::blocklist::MemoryBlocklist;
use jwt_extended::config::{SameSite, TokenLocation};
use jwt_extended::{JwtConfig, JwtManager};
use serde_json::{Value, json};

fn env_seconds(name: &str, default: u64) -> Duration {
    Duration::from_secs(
        std::env::var(name)
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(default),
    )
}

async fn page() -> HttpResponse {
    HttpResponse::Ok()
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .content_type("text/html; charset=utf-8")
        .body(include_str!("browser.html"))
}

/// `username` and `password` from the JSON body, or the answer to send.
#[allow(clippy::result_large_err)]
fn credentials(request: &HttpRequest, body: &Bytes) -> Result<(String, String), HttpResponse> {
    let json = common::request_json(request, body)?;
    let field = |name: &str| json.get(name).and_then(Value::as_str).map(str::to_owned);
    let (Some(username), Some(password)) = (field("username"), field("password")) else {
        return Err(FlaskJson(json!({"msg": "username and password required"}))
            .with_status(StatusCode::BAD_REQUEST));
    };
    if username != "test" || password != "test" {
        return Err(FlaskJson(json!({"msg": "Bad username or password"}))
            .with_status(StatusCode::UNAUTHORIZED));
    }
    Ok((username, password))
}

async fn login(jwt: web::Data<JwtManager>, request: HttpRequest, body: Bytes) -> HttpResponse {
    let username = match credentials(&request, &body) {
        Ok((username, _)) => username,
        Err(response) => return response,
    };
    let agent = request
        .headers()
        .get(header::USER_AGENT)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    // A session per login: "sign out everywhere" ends them all.
    let pair = jwt
        .token_pair(username.as_str())
        .metadata(json!({"user_agent": agent}))
        .create()
        .await;
    let cookies = match pair {
        Ok(pair) => jwt.set_access_cookies(pair.access_token.as_str()).await,
        Err(error) => Err(error),
    };
    match cookies {
        Ok(cookies) => {
            let mut response =
                FlaskJson(json!({"msg": "login successful", "user": username})).into_response();
            response.jwt_cookies(&cookies);
            response
        }
        Err(error) => render_error(&jwt, &error),
    }
}

/// A state-changing call: the cookie alone is not enough, the CSRF header
/// must match the token's `csrf` claim.
async fn protected(token: Jwt) -> FlaskJson<Value> {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or_default();
    FlaskJson(json!({
        "user": token.identity(),
        "jti": token.jti(),
        "expires_in": token.expires_at().map(|exp| exp - now),
    }))
}

async fn logout(jwt: web::Data<JwtManager>) -> HttpResponse {
    let mut response = FlaskJson(json!({"msg": "logout successful"})).into_response();
    response.jwt_cookies(&jwt.unset_jwt_cookies());
    response
}

/// Sign out everywhere: every token of the user is refused from now on,
/// whatever browser holds it. Needs a valid token and its CSRF header.
async fn logout_all(jwt: web::Data<JwtManager>, token: Jwt) -> Result<HttpResponse, JwtRejection> {
    jwt.revoke_all_tokens_of(token.identity())
        .await
        .reject(&jwt)?;
    let mut response = FlaskJson(json!({"msg": "signed out everywhere"})).into_response();
    response.jwt_cookies(&jwt.unset_jwt_cookies());
    Ok(response)
}

fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(common::resource("/", &["GET"]).route(common::get().to(page)))
        .service(common::resource("/api/login", &["POST"]).route(web::post().to(login)))
        .service(common::resource("/api/protected", &["POST"]).route(web::post().to(protected)))
        .service(common::resource("/api/logout", &["POST"]).route(web::post().to(logout)))
        .service(common::resource("/api/logout_all", &["POST"]).route(web::post().to(logout_all)));
}

#[actix_web::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let lifetime = env_seconds("ACCESS_TOKEN_SECONDS", 60);
    let window = env_seconds("REFRESH_WINDOW_SECONDS", 30);
    let secure = std::env::var("COOKIE_SECURE").is_ok_and(|v| v == "1" || v == "true");
    let config = JwtConfig::new()
        .with_secret_key(
            std::env::var("JWT_SECRET_KEY").unwrap_or_else(|_| "super-secret".to_owned()),
        )
        .with_token_location([TokenLocation::Cookies])
        .with_access_token_expires(lifetime)
        .with_cookie_secure(secure)
        // As in `browser`: Lax keeps the cookies off cross-site subrequests,
        // next to the CSRF header.
        .with_cookie_samesite(SameSite::Lax);
    let jwt = JwtManager::builder(config)
        .session_store(MemoryBlocklist::new())
        .build()?;
    common::serve_with_refresh("actix_browser", jwt, routes, window).await?;
    Ok(())
}
