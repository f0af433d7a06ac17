//! The benchmark baseline: the quickstart's two routes written by hand with
//! axum and `jsonwebtoken`, the way an application would without
//! `jwt-extended`. `bench/http.sh` loads it beside our `quickstart` example.
//!
//! - `POST /login` with JSON `{"username": "testuser", "password": "testpass"}`
//!   answers `{"access_token": <token>}`: HS256, the reference's claims
//!   (`fresh`, `iat`, `jti`, `type`, `sub`, `nbf`, `csrf`, `exp` 15 minutes on).
//! - `GET /protected` with `Authorization: Bearer <token>` answers
//!   `{"logged_in_as": <sub>}`: signature, `exp` and `nbf` (no leeway), `sub`
//!   required, access tokens only.
//!
//! Secret from `JWT_SECRET_KEY` (default `super-secret-dev-key`, as the
//! quickstart), so each server accepts the other's tokens. Listens on
//! `127.0.0.1:$PORT` (default 5001).
//!
//! ```sh
//! cargo run --release -p baseline
//! ```

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use axum::extract::{FromRequestParts, State};
use axum::http::StatusCode;
use axum::http::header::AUTHORIZATION;
use axum::http::request::Parts;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
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

type AppState = Arc<Keys>;

fn error(status: StatusCode, msg: &str) -> Response {
    (status, Json(json!({ "msg": msg }))).into_response()
}

/// A verified access token from the `Authorization` header.
struct Auth(Claims);

impl FromRequestParts<AppState> for Auth {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, keys: &AppState) -> Result<Self, Response> {
        let token = parts
            .headers
            .get(AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .ok_or_else(|| error(StatusCode::UNAUTHORIZED, "Missing Authorization Header"))?;
        let data = jsonwebtoken::decode::<Claims>(token, &keys.decoding, &keys.validation)
            .map_err(|e| error(StatusCode::UNPROCESSABLE_ENTITY, &e.to_string()))?;
        if data.claims.token_type != "access" {
            return Err(error(
                StatusCode::UNPROCESSABLE_ENTITY,
                "Only non-refresh tokens are allowed",
            ));
        }
        Ok(Self(data.claims))
    }
}

#[derive(Deserialize)]
struct Login {
    username: Option<String>,
    password: Option<String>,
}

async fn login(State(keys): State<AppState>, Json(body): Json<Login>) -> Response {
    if body.username.as_deref() != Some("testuser") || body.password.as_deref() != Some("testpass")
    {
        return error(StatusCode::UNAUTHORIZED, "Bad username or password");
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
        Ok(token) => Json(json!({ "access_token": token })).into_response(),
        Err(e) => error(StatusCode::INTERNAL_SERVER_ERROR, &e.to_string()),
    }
}

async fn protected(Auth(claims): Auth) -> Json<serde_json::Value> {
    Json(json!({ "logged_in_as": claims.sub }))
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let secret = std::env::var("JWT_SECRET_KEY").unwrap_or_else(|_| "super-secret-dev-key".into());
    let mut validation = Validation::new(Algorithm::HS256);
    validation.leeway = 0;
    validation.validate_nbf = true;
    validation.set_required_spec_claims(&["sub"]);
    let keys = Arc::new(Keys {
        encoding: EncodingKey::from_secret(secret.as_bytes())?,
        decoding: DecodingKey::from_secret(secret.as_bytes())?,
        validation,
    });
    let app = Router::new()
        .route("/login", post(login))
        .route("/protected", get(protected))
        .with_state(keys);
    let port = std::env::var("PORT")
        .ok()
        .and_then(|p| p.parse().ok())
        .unwrap_or(5001);
    let listener = tokio::net::TcpListener::bind(SocketAddr::from(([127, 0, 0, 1], port))).await?;
    eprintln!("baseline listening on http://127.0.0.1:{port}");
    axum::serve(listener, app).await?;
    Ok(())
}
