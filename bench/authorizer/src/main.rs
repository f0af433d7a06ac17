//! `GET /protected` on jwt-authorizer, the comparison server of
//! `bench/jwks.sh` (BENCHMARKS.md, round 6).
//!
//! The same check as `bench/server` with `BENCH_KEYS=remote`: an RS256
//! bearer token whose key comes from the provider's JWK Set (found through
//! OIDC discovery at `$BENCH_ISSUER`, or at `$BENCH_JWKS_URL` when set),
//! signature, `exp` and `nbf` without leeway, `iss` = `$BENCH_ISSUER`,
//! `aud` containing `$BENCH_AUDIENCE`. It answers the same bytes as ours:
//! `{"logged_in_as":<sub>}` and a newline, `Content-Type: application/json`.
//! Refresh: jwt-authorizer's default ([`Refresh::default`]: refetch on an
//! unknown `kid`, at most once per 600 s after a successful load).
//!
//! Listens on `127.0.0.1:$PORT`. Outside the cargo workspace (its own
//! `Cargo.lock`): `cargo build --release --manifest-path bench/authorizer/Cargo.toml`.

use std::net::SocketAddr;

use axum::http::header;
use axum::response::IntoResponse;
use axum::routing::get;
use axum::Router;
use jwt_authorizer::{Authorizer, IntoLayer, JwtAuthorizer, JwtClaims, Refresh, Validation};
use serde::Deserialize;

/// The one claim the route reads.
#[derive(Debug, Clone, Deserialize)]
struct User {
    sub: String,
}

async fn protected(JwtClaims(user): JwtClaims<User>) -> impl IntoResponse {
    let mut body =
        serde_json::to_vec(&serde_json::json!({ "logged_in_as": user.sub })).unwrap_or_default();
    body.push(b'\n');
    ([(header::CONTENT_TYPE, "application/json")], body)
}

fn env(name: &str) -> Result<String, String> {
    std::env::var(name).map_err(|_| format!("${name} is required"))
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let issuer = env("BENCH_ISSUER")?;
    let audience = env("BENCH_AUDIENCE")?;
    let validation = Validation::new()
        .iss(&[issuer.as_str()])
        .aud(&[audience.as_str()])
        .nbf(true)
        .leeway(0)
        .algs(vec![jsonwebtoken::Algorithm::RS256]);
    let builder = match std::env::var("BENCH_JWKS_URL") {
        Ok(url) => JwtAuthorizer::<User>::from_jwks_url(&url),
        Err(_) => JwtAuthorizer::<User>::from_oidc(&issuer),
    };
    let auth: Authorizer<User> = builder
        .validation(validation)
        .refresh(Refresh::default())
        .build()
        .await?;
    let app = Router::new()
        .route("/protected", get(protected))
        .layer(auth.into_layer());
    let port: u16 = env("PORT")?.parse()?;
    let listener = tokio::net::TcpListener::bind(SocketAddr::from(([127, 0, 0, 1], port))).await?;
    eprintln!("bench-authorizer (jwt-authorizer 0.15) listening on http://127.0.0.1:{port}");
    axum::serve(listener, app).await?;
    Ok(())
}
