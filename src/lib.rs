//! # jwt-extended
//!
//! JWT authentication for Rust web services, with everything
//! [Flask-JWT-Extended](https://flask-jwt-extended.readthedocs.io/) gives Flask
//! apps: access and refresh tokens, fresh tokens for sensitive actions, tokens
//! in headers, cookies, the query string or a JSON body, CSRF double-submit
//! protection for cookies, revocation backed by real stores, automatic user
//! loading, custom claims, and error responses that can be changed per error.
//!
//! It is **wire-compatible** with Flask-JWT-Extended 4.7.1: same claim layout,
//! status codes, JSON error bodies, cookie names and attributes. A token made
//! by a Python service with the same secret works here and the other way
//! round, so a Flask API can move to Rust one service at a time.
//!
//! ## Quick start (axum)
//!
//! ```no_run
//! use axum::{Json, Router, routing::{get, post}};
//! use jwt_extended::{JwtConfig, JwtManager, axum::Jwt};
//! use serde_json::{Value, json};
//!
//! async fn login(jwt: axum::extract::State<JwtManager>) -> Json<Value> {
//!     let token = jwt.create_access_token("alice").expect("signing never fails with a valid config");
//!     Json(json!({ "access_token": token }))
//! }
//!
//! async fn protected(token: Jwt) -> Json<Value> {
//!     Json(json!({ "logged_in_as": token.identity() }))
//! }
//!
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! let jwt = JwtManager::new(JwtConfig::new().with_secret_key("super-secret"))?;
//! let app = Router::new()
//!     .route("/login", post(login))
//!     .route("/protected", get(protected))
//!     .with_state(jwt);
//! let listener = tokio::net::TcpListener::bind("127.0.0.1:5000").await?;
//! axum::serve(listener, app).await?;
//! # Ok(()) }
//! ```
//!
//! ## Quick start (actix-web)
//!
//! With the `actix` feature: the manager in `web::Data`, the same
//! extractors (`actix::Jwt`, `Optional<Jwt>` for optional routes).
//!
//! ```no_run
//! # #[cfg(feature = "actix")]
//! # mod app {
//! use actix_web::{App, HttpServer, web};
//! use jwt_extended::{JwtConfig, JwtManager, actix::{FlaskJson, Jwt, JwtRejection, RejectExt}};
//! use serde_json::{Value, json};
//!
//! async fn login(jwt: web::Data<JwtManager>) -> Result<FlaskJson<Value>, JwtRejection> {
//!     let token = jwt.create_access_token("alice").reject(&jwt)?;
//!     Ok(FlaskJson(json!({ "access_token": token })))
//! }
//!
//! async fn protected(token: Jwt) -> FlaskJson<Value> {
//!     FlaskJson(json!({ "logged_in_as": token.identity() }))
//! }
//!
//! pub async fn run() -> Result<(), Box<dyn std::error::Error>> {
//!     let jwt = web::Data::new(JwtManager::new(JwtConfig::new().with_secret_key("super-secret"))?);
//!     HttpServer::new(move || {
//!         App::new()
//!             .app_data(jwt.clone())
//!             .route("/login", web::post().to(login))
//!             .route("/protected", web::get().to(protected))
//!     })
//!     .bind(("127.0.0.1", 5000))?
//!     .run()
//!     .await?;
//!     Ok(())
//! }
//! # }
//! ```
//!
//! ## Layers of the crate
//!
//! - [`config`]: every `JWT_*` option with the reference's default, validated
//!   once when the [`JwtManager`] is built ([`config::ConfigError`]).
//! - [`token`]: creating ([`token::TokenBuilder`]) and decoding
//!   ([`DecodedToken`]) tokens, with the reference's claim layout and error
//!   messages. Built on `jsonwebtoken` for the cryptography.
//! - [`JwtManager::verify_request`]: the framework-free request flow (token
//!   lookup, CSRF, type, freshness, revocation, custom verification, user
//!   lookup) over [`request::RequestParts`].
//! - [`blocklist`]: the revocation trait and stores (memory, Redis, SQL).
//! - [`hooks`]: the loaders of the reference, typed and async.
//! - `axum` (feature `axum`, on by default): extractors, rejections, cookie
//!   helpers and tower layers.
//! - `actix` (feature `actix`): the same for actix-web — extractors
//!   (`Jwt<R>`, `Optional<…>`, `CurrentUser<U, R>`, `Claims<T, R>`), error
//!   responses, cookie helpers and a body-buffering middleware. Requirements
//!   and guards ([`requirement`]) are shared by both frameworks.
//! - [`manual`]: topics in prose (coming from Flask, on axum and on
//!   actix-web; cookies and CSRF; defaults and deviations).
//!
//! ## Features
//!
//! | Feature | Default | What it adds |
//! |---|---|---|
//! | `axum` | yes | extractors, rejections, cookie helpers and tower layers for axum |
//! | `actix` | no | extractors, error responses, cookie helpers and middleware for actix-web |
//! | `aws-lc-rs` | yes | `jsonwebtoken`'s aws-lc-rs crypto backend (ES512 with aws-lc-rs directly) |
//! | `rust-crypto` | no | `jsonwebtoken`'s pure-Rust (RustCrypto) crypto backend (ES512 with `p521`) |
//! | `redis` | no | `RedisBlocklist`, revocation in Redis |
//! | `sqlite` | no | `SqlBlocklist` on SQLite (sqlx) |
//! | `postgres` | no | `SqlBlocklist` on PostgreSQL (sqlx) |
//! | `remote-keys` | no | `issuers::RemoteJwks`: keys of identity providers fetched from a JWKS URL or through OIDC discovery (reqwest, rustls) |
//! | `test-util` | no | `testing::blocklist_contract` and `testing::session_contract`, the contract suites for custom stores |
//!
//! Every feature builds alone. With both crypto features enabled, aws-lc-rs
//! is used; with neither, install a [`jsonwebtoken::crypto::CryptoProvider`]
//! before building the [`JwtManager`], which otherwise refuses with
//! [`ConfigError::NoCryptoProvider`]; ES512, which `jsonwebtoken` lacks, then
//! is not available.
//! The README's feature table is this one; `tests/readme.rs` checks both
//! against Cargo.toml.
//!
//! Algorithms ([`Algorithm`]): HS256/384/512, RS256/384/512, PS256/384/512, ES256, ES384,
//! ES512 (P-521, signed by the crypto backend directly) and EdDSA (Ed25519). The reference's
//! ES256K, Ed448 and its `ES521` alias of ES512 are not available.
#![forbid(unsafe_code)]
#![cfg_attr(test, allow(clippy::unwrap_used, clippy::expect_used))]
#![cfg_attr(docsrs, feature(doc_cfg))]

pub mod blocklist;
mod compat;
pub mod config;
pub mod cookies;
pub use request::csrf;
pub mod error;
pub mod hooks;
pub mod issuers;
mod manager;
pub mod manual;
pub mod messages;
pub mod request;
pub mod requirement;
#[cfg(any(feature = "axum", feature = "actix"))]
mod responses;
mod runtime;
mod secure;
mod settings;
pub mod token;

#[cfg(feature = "test-util")]
#[cfg_attr(docsrs, doc(cfg(feature = "test-util")))]
pub mod testing;

#[cfg(feature = "axum")]
#[cfg_attr(docsrs, doc(cfg(feature = "axum")))]
pub mod axum;

#[cfg(feature = "actix")]
#[cfg_attr(docsrs, doc(cfg(feature = "actix")))]
pub mod actix;

// What nearly every app names sits at the root; the modules hold the rest.
pub use config::{
    Algorithm, ConfigError, ConfigWarning, Expiry, JwtConfig, SameSite, TokenLocation,
};
pub use cookies::{CookieOptions, CookieSet, CookieToken, SetCookie};
pub use error::{Error, ErrorCategory, ErrorKind};
pub use hooks::{DecodeKeyLoader, TokenVerifier, UserLoader};
pub use manager::{
    DEFAULT_BLOCKLIST_TIMEOUT, DecodeOptions, JwtManager, JwtManagerBuilder, TokenPairBuilder,
    Verified, VerifyOptions,
};
pub use token::{
    DecodedToken, Identity, IdentityClaim, IssuedToken, KeySet, SigningKey, TokenBuilder,
    TokenPair, TokenType,
};

/// The `jsonwebtoken` crate, for its key types (`EncodingKey`,
/// `DecodingKey`) used by the key loaders.
pub use jsonwebtoken;

/// The README's code blocks are compiled as doc tests, so they cannot rot.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;
