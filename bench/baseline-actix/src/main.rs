//! The actix-web benchmark baseline: the quickstart's two routes written by
//! hand with actix-web and `jsonwebtoken`, the way an application would
//! without `jwt-extended` — the counterpart of `bench/baseline` (axum),
//! with exactly its checks and answers. `bench/http.sh` and
//! `bench/icount-http.sh` load it beside our `actix_quickstart` example.
//!
//! - `POST /login` with JSON `{"username": "testuser", "password": "testpass"}`
//!   answers `{"access_token": <token>}` (HS256, the reference's claims);
//! - `GET /protected` with `Authorization: Bearer <token>` answers
//!   `{"logged_in_as": <sub>}`: signature, `exp` and `nbf` (no leeway), `sub`
//!   required, access tokens only.
//!
//! Secret from `JWT_SECRET_KEY` (default `super-secret-dev-key`). Listens on
//! `127.0.0.1:$PORT` (default 5003).

use std::future::{Ready, ready};
use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use actix_web::dev::Payload;
use actix_web::http::StatusCode;
use actix_web::http::header::AUTHORIZATION;
use actix_web::{App, FromRequest, HttpRequest, HttpResponse, HttpServer, ResponseError, web};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};
use serde_json::json;

const ACCESS_LIFETIME_SECS: u64 = 15 * 60;

/// The reference's access-token claims.
#[derive(Serialize, Deserialize)]
struct Claims {
    fresh: bool,
    iat: u64,
    jti: String,
    #[serde(rename = "type")]
    token_type: String,
    sub: String,
    nbf: u64,
    csrf: String,
    exp: u64,
}

/// Keys and validation, built once.
struct Keys {
    encoding: EncodingKey,
    decoding: DecodingKey,
    validation: Validation,
}

/// A refusal: status and message, as `{"msg": …}`.
#[derive(Debug)]
struct Refusal(StatusCode, String);

impl std::fmt::Display for Refusal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.1)
    }
}

impl ResponseError for Refusal {
    fn status_code(&self) -> StatusCode {
        self.0
    }

    fn error_response(&self) -> HttpResponse {
        HttpResponse::build(self.0).json(json!({ "msg": self.1 }))
    }
}

/// A verified access token from the `Authorization` header.
struct Auth(Claims);

impl FromRequest for Auth {
    type Error = Refusal;
    type Future = Ready<Result<Self, Refusal>>;

    fn from_request(request: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready(verify(request))
    }
}

fn verify(request: &HttpRequest) -> Result<Auth, Refusal> {
    let keys = request
        .app_data::<web::Data<Arc<Keys>>>()
        .ok_or_else(|| Refusal(StatusCode::INTERNAL_SERVER_ERROR, "no keys".into()))?;
    let token = request
        .headers()
        .get(AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .ok_or_else(|| {
            Refusal(
                StatusCode::UNAUTHORIZED,
                "Missing Authorization Header".into(),
            )
        })?;
    let data = jsonwebtoken::decode::<Claims>(token, &keys.decoding, &keys.validation)
        .map_err(|e| Refusal(StatusCode::UNPROCESSABLE_ENTITY, e.to_string()))?;
    if data.claims.token_type != "access" {
        return Err(Refusal(
            StatusCode::UNPROCESSABLE_ENTITY,
            "Only non-refresh tokens are allowed".into(),
        ));
    }
    Ok(Auth(data.claims))
}

#[derive(Deserialize)]
struct Login {
    username: Option<String>,
    password: Option<String>,
}

async fn login(keys: web::Data<Arc<Keys>>, body: web::Json<Login>) -> HttpResponse {
    if body.username.as_deref() != Some("testuser") || body.password.as_deref() != Some("testpass")
    {
        return Refusal(StatusCode::UNAUTHORIZED, "Bad username or password".into())
            .error_response();
    }
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    let claims = Claims {
        fresh: false,
        iat: now,
        jti: uuid::Uuid::new_v4().to_string(),
        token_type: "access".into(),
        sub: "testuser".into(),
        nbf: now,
        csrf: uuid::Uuid::new_v4().to_string(),
        exp: now + ACCESS_LIFETIME_SECS,
    };
    match jsonwebtoken::encode(&Header::new(Algorithm::HS256), &claims, &keys.encoding) {
        Ok(token) => HttpResponse::Ok().json(json!({ "access_token": token })),
        Err(e) => Refusal(StatusCode::INTERNAL_SERVER_ERROR, e.to_string()).error_response(),
    }
}

async fn protected(Auth(claims): Auth) -> HttpResponse {
    HttpResponse::Ok().json(json!({ "logged_in_as": claims.sub }))
}

#[actix_web::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let secret = std::env::var("JWT_SECRET_KEY").unwrap_or_else(|_| "super-secret-dev-key".into());
    let mut validation = Validation::new(Algorithm::HS256);
    validation.leeway = 0;
    validation.validate_nbf = true;
    validation.set_required_spec_claims(&["sub"]);
    let keys = web::Data::new(Arc::new(Keys {
        encoding: EncodingKey::from_secret(secret.as_bytes())?,
        decoding: DecodingKey::from_secret(secret.as_bytes())?,
        validation,
    }));
    let port: u16 = std::env::var("PORT")
        .ok()
        .and_then(|p| p.parse().ok())
        .unwrap_or(5003);
    eprintln!("baseline-actix listening on http://127.0.0.1:{port}");
    HttpServer::new(move || {
        App::new()
            .app_data(keys.clone())
            .route("/login", web::post().to(login))
            .route("/protected", web::get().to(protected))
    })
    .bind(("127.0.0.1", port))?
    .run()
    .await?;
    Ok(())
}
