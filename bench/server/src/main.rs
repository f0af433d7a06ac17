//! The quickstart's routes on `jwt-extended`, with a revocation store chosen
//! at start-up, so that `bench/http.sh` can measure what the blocklist costs:
//!
//! - `BENCH_BLOCKLIST=none` (default): no blocklist.
//! - `BENCH_BLOCKLIST=memory`: [`MemoryBlocklist`].
//! - `BENCH_BLOCKLIST=redis`: [`RedisBlocklist`] at `$REDIS_URL`.
//! - `BENCH_BLOCKLIST=memory-sessions` / `redis-sessions`: the same stores as
//!   session stores (`session_store`), so every check also looks up the
//!   identity's "log out everywhere" cut-off.
//!
//! Both stores are preloaded with `$BENCH_REVOKED` (default 1000) revoked
//! entries; the tokens `/login` hands out are not among them, so every
//! `/protected` request is a lookup that misses, as for a valid token.
//!
//! Same secret (`JWT_SECRET_KEY`, default `super-secret-dev-key`) and routes
//! as `examples/quickstart.rs`, without its Flask-compatibility wrapper (404
//! and 405 pages, `OPTIONS`): `POST /login` with
//! `{"username": "testuser", "password": "testpass"}`, `GET /protected` with
//! a bearer token. Listens on `127.0.0.1:$PORT` (default 5002).
//!
//! `BENCH_RUNTIME=current_thread` runs it on tokio's single-threaded
//! runtime instead of `#[tokio::main]`'s multi-threaded one.
//!
//! Where the keys come from (`BENCH_KEYS`, BENCHMARKS.md round 6):
//!
//! - `static` (default): the one secret `JWT_SECRET_KEY`, tokens without `kid`.
//! - `static-kid`: the same secret, tokens with the header `"kid": "k5"`
//!   (which a manager without a key set ignores): the same bytes as set10's
//!   tokens, so set10 against it measures the lookup alone.
//! - `set10` (any `setN`): a key set of ten HS256 keys (`k0` … `k9`, secrets
//!   `$JWT_SECRET_KEY-k0` …), `k5` signing: `/login` tokens name it by `kid`,
//!   and `/protected` finds it among the ten. `set1`: one key `k0`, so that
//!   the `kid` in the header and the lookup among ten can be told apart.
//! - `remote`: besides the secret, RS256 tokens of the issuer `$BENCH_ISSUER`
//!   (audience `$BENCH_AUDIENCE`) verified with keys from its JWK Set, found
//!   through OIDC discovery or at `$BENCH_JWKS_URL` ([`RemoteJwks`], default
//!   settings): the counterpart of `bench/authorizer` (jwt-authorizer).

use std::net::SocketAddr;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use jwt_extended::axum::{FlaskJson, Jwt, render_error};
use jwt_extended::blocklist::{MemoryBlocklist, RedisBlocklist, Revocation};
use jwt_extended::issuers::{RemoteJwks, TrustedIssuer};
use jwt_extended::token::{Key, KeySet};
use jwt_extended::{Algorithm, JwtConfig, JwtManager, JwtManagerBuilder};
use serde_json::{Value, json};

async fn login(State(jwt): State<JwtManager>, Json(body): Json<Value>) -> Response {
    let field = |name: &str| body.get(name).and_then(Value::as_str);
    if field("username") != Some("testuser") || field("password") != Some("testpass") {
        return (
            StatusCode::UNAUTHORIZED,
            FlaskJson(json!({"msg": "Bad username or password"})),
        )
            .into_response();
    }
    match jwt.create_access_token("testuser") {
        Ok(token) => FlaskJson(json!({ "access_token": token })).into_response(),
        Err(error) => render_error(&jwt, &error),
    }
}

async fn protected(token: Jwt) -> impl IntoResponse {
    FlaskJson(json!({ "logged_in_as": token.identity() }))
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    // `#[tokio::main]`'s runtime by default; BENCH_RUNTIME=current_thread
    // for the single-threaded one (see BENCHMARKS.md, Redis).
    let runtime = match std::env::var("BENCH_RUNTIME").as_deref() {
        Ok("current_thread") => tokio::runtime::Builder::new_current_thread(),
        Ok("multi_thread") | Err(_) => tokio::runtime::Builder::new_multi_thread(),
        Ok(other) => {
            return Err(
                format!("BENCH_RUNTIME={other}: use multi_thread or current_thread").into(),
            );
        }
    }
    .enable_all()
    .build()?;
    runtime.block_on(serve())
}

async fn serve() -> Result<(), Box<dyn std::error::Error>> {
    let builder = keys_builder()?;
    let kind = std::env::var("BENCH_BLOCKLIST").unwrap_or_else(|_| "none".into());
    let builder = match kind.as_str() {
        "none" => builder,
        "memory" => builder.blocklist(MemoryBlocklist::new()),
        "redis" => builder.blocklist(redis().await?),
        // The same stores as session stores: each check also reads the
        // identity's "log out everywhere" cut-off (issue 15).
        "memory-sessions" => builder.session_store(MemoryBlocklist::new()),
        "redis-sessions" => builder.session_store(redis().await?),
        other => {
            return Err(format!(
                "BENCH_BLOCKLIST={other}: use none, memory, redis, memory-sessions or redis-sessions"
            )
            .into());
        }
    };
    let jwt = builder.build()?;
    if kind != "none" {
        let revoked: usize = std::env::var("BENCH_REVOKED")
            .ok()
            .and_then(|n| n.parse().ok())
            .unwrap_or(1000);
        let exp = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_secs())
            + Duration::from_secs(3600).as_secs();
        let exp = i64::try_from(exp)?;
        for i in 0..revoked {
            jwt.revoke_entry(&Revocation::for_jti(
                format!("bench-revoked-{i}"),
                Some(exp),
            ))
            .await?;
        }
    }
    let app = Router::new()
        .route("/login", post(login))
        .route("/protected", get(protected))
        .with_state(jwt);
    let port = std::env::var("PORT")
        .ok()
        .and_then(|p| p.parse().ok())
        .unwrap_or(5002);
    let listener = tokio::net::TcpListener::bind(SocketAddr::from(([127, 0, 0, 1], port))).await?;
    eprintln!("bench-server (blocklist: {kind}) listening on http://127.0.0.1:{port}");
    axum::serve(listener, app).await?;
    Ok(())
}

/// The Redis store at `REDIS_URL`.
async fn redis() -> Result<RedisBlocklist, Box<dyn std::error::Error>> {
    let url = std::env::var("REDIS_URL").unwrap_or_else(|_| "redis://127.0.0.1:6379/0".into());
    Ok(RedisBlocklist::connect(&url).await?)
}

/// The manager's builder with the keys `BENCH_KEYS` asks for.
fn keys_builder() -> Result<JwtManagerBuilder, Box<dyn std::error::Error>> {
    let secret = std::env::var("JWT_SECRET_KEY").unwrap_or_else(|_| "super-secret-dev-key".into());
    let keys = std::env::var("BENCH_KEYS").unwrap_or_else(|_| "static".into());
    match keys.as_str() {
        "static" => Ok(JwtManager::builder(
            JwtConfig::new().with_secret_key(secret),
        )),
        // The static key, tokens shaped like set10's (`"kid": "k5"` in the
        // header, ignored here): set10 against this isolates the lookup.
        "static-kid" => Ok(
            JwtManager::builder(JwtConfig::new().with_secret_key(secret))
                .additional_headers_loader(|_| json!({"kid": "k5"})),
        ),
        set if set.starts_with("set") => {
            let count: usize = set[3..]
                .parse()
                .map_err(|_| format!("BENCH_KEYS={set}: setN with N a number"))?;
            Ok(JwtManager::builder(JwtConfig::new()).key_set(hmac_set(&secret, count)?))
        }
        "remote" => {
            let issuer = std::env::var("BENCH_ISSUER").map_err(|_| "BENCH_ISSUER is required")?;
            let audience =
                std::env::var("BENCH_AUDIENCE").map_err(|_| "BENCH_AUDIENCE is required")?;
            let remote = match std::env::var("BENCH_JWKS_URL") {
                Ok(url) => RemoteJwks::jwks_url(url),
                Err(_) => RemoteJwks::discover(&issuer),
            }
            .build()?;
            Ok(
                JwtManager::builder(JwtConfig::new().with_secret_key(secret))
                    .trusted_issuer(TrustedIssuer::remote(issuer, remote).audience([audience])),
            )
        }
        other => Err(format!("BENCH_KEYS={other}: use static, static-kid, setN or remote").into()),
    }
}

/// `count` HS256 keys `k0` … with secrets `{secret}-k0` …, the middle one
/// (`k{count / 2}`) signing.
fn hmac_set(secret: &str, count: usize) -> Result<KeySet, Box<dyn std::error::Error>> {
    let mut set = KeySet::new();
    for i in 0..count {
        let key = Key::hmac(format!("k{i}"), Algorithm::HS256, format!("{secret}-k{i}"))?;
        set = if i == count / 2 {
            set.with_signing_key(key)?
        } else {
            set.with_key(key)?
        };
    }
    Ok(set)
}
