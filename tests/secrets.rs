//! Secrets hygiene: keys, secrets, store passwords and tokens never show up in
//! `Debug` output, error messages or logs; the start-up warning for cookies
//! sent without `Secure`.

mod common;

use axum::Router;
use axum::body::Body;
use axum::http::Method;
use axum::routing::get;
use common::*;
use jwt_extended::Algorithm;
use jwt_extended::axum::{FlaskJson, Jwt, JwtLayer};
use jwt_extended::blocklist::{
    Blocklist, BlocklistError, RedisBlocklist, Revocation, RevocationKeys, SqlBlocklist, SqlPool,
};
use jwt_extended::config::{Secret, TokenLocation};
use jwt_extended::hooks::SigningKey;
use jwt_extended::{JwtConfig, JwtManager};
use serde_json::{Value, json};

const CANARY: &str = "canary-secret-7f3a9c1e5b";
const PASSWORD: &str = "canary-password-91d2e4";

fn key(name: &str) -> String {
    let path = format!("{}/tests/fixtures/keys/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("cannot read {path}: {e}"))
}

/// The base64 lines of a PEM private key: none may appear anywhere.
fn pem_body_lines(pem: &str) -> Vec<String> {
    pem.lines()
        .filter(|l| !l.starts_with("-----") && l.len() >= 16)
        .map(str::to_owned)
        .collect()
}

#[track_caller]
fn assert_hidden(text: &str, secrets: &[String], what: &str) {
    for secret in secrets {
        assert!(
            !text.contains(secret.as_str()),
            "{what} shows a secret ({secret}): {text}"
        );
    }
}

fn rs256_config(private: &str) -> JwtConfig {
    JwtConfig::new()
        .with_algorithm(Algorithm::RS256)
        .with_private_key(private)
        .with_public_key(key("rsa2048_public.pem"))
}

#[tokio::test]
async fn debug_output_and_errors_never_show_secrets() {
    let private = key("rsa2048_private.pem");
    let mut secrets = pem_body_lines(&private);
    secrets.push(CANARY.to_owned());
    secrets.push(PASSWORD.to_owned());

    // Configuration and manager, symmetric and asymmetric.
    let hs_config = JwtConfig::new()
        .with_secret_key(CANARY)
        .with_flask_secret_key(CANARY);
    let env_config = JwtConfig::from_vars([("JWT_SECRET_KEY", CANARY), ("SECRET_KEY", CANARY)])
        .unwrap_or_else(|e| panic!("{e}"));
    let hs = JwtManager::new(hs_config.clone()).unwrap_or_else(|e| panic!("{e}"));
    let rs = JwtManager::new(rs256_config(&private)).unwrap_or_else(|e| panic!("{e}"));
    let signing = SigningKey::from_secret(CANARY).unwrap_or_else(|e| panic!("{e}"));
    let mut shown = vec![
        ("JwtConfig", format!("{hs_config:?}")),
        ("JwtConfig from_vars", format!("{env_config:?}")),
        ("JwtConfig RS256", format!("{:?}", rs256_config(&private))),
        ("Secret", format!("{:?}", Secret::from(CANARY))),
        ("secret_key()", format!("{:?}", hs.config().secret_key())),
        ("JwtManager HS256", format!("{hs:?}")),
        ("JwtManager RS256", format!("{rs:?}")),
        (
            "JwtManagerBuilder",
            format!("{:?}", JwtManager::builder(hs_config.clone())),
        ),
        ("SigningKey", format!("{signing:?}")),
        ("JwtLayer", format!("{:?}", JwtLayer::new(rs.clone()))),
    ];

    // Configuration errors about secret material must not echo it.
    let pem_as_secret = JwtManager::new(JwtConfig::new().with_secret_key(private.as_str()))
        .err()
        .unwrap_or_else(|| panic!("a PEM key was accepted as an HMAC secret"));
    shown.push((
        "ConfigError (PEM as HMAC secret)",
        format!("{pem_as_secret} {pem_as_secret:?}"),
    ));
    let garbage = format!("-----BEGIN PRIVATE KEY-----\n{CANARY}\n-----END PRIVATE KEY-----\n");
    let bad_private = JwtManager::new(rs256_config(&garbage))
        .err()
        .unwrap_or_else(|| panic!("a garbage private key was accepted"));
    shown.push((
        "ConfigError (bad private key)",
        format!("{bad_private} {bad_private:?}"),
    ));
    let wrong_pair = JwtManager::new(
        JwtConfig::new()
            .with_algorithm(Algorithm::RS256)
            .with_private_key(private.as_str())
            .with_public_key(key("rsa2048_other_public.pem")),
    )
    .err()
    .unwrap_or_else(|| panic!("a mismatched key pair was accepted"));
    shown.push((
        "ConfigError (key pair)",
        format!("{wrong_pair} {wrong_pair:?}"),
    ));

    // Token errors.
    let token = rs
        .create_access_token("alice")
        .unwrap_or_else(|e| panic!("{e}"));
    let decode_error = hs
        .decode_token(&token)
        .await
        .err()
        .unwrap_or_else(|| panic!("an RS256 token was accepted by an HS256 manager"));
    shown.push(("Error", format!("{decode_error} {decode_error:?}")));

    // Store connection strings with passwords.
    let redis = RedisBlocklist::connect(&format!("redis://:{PASSWORD}@127.0.0.1:1/0"))
        .await
        .err()
        .unwrap_or_else(|| panic!("connected to port 1"));
    shown.push(("BlocklistError (Redis)", format!("{redis} {redis:?}")));
    let bad_url = RedisBlocklist::connect(&format!("redis://:{PASSWORD}@[::1/0"))
        .await
        .err()
        .unwrap_or_else(|| panic!("a broken URL was accepted"));
    shown.push((
        "BlocklistError (Redis URL)",
        format!("{bad_url} {bad_url:?}"),
    ));
    let pool = jwt_extended::blocklist::sqlx::postgres::PgPoolOptions::new()
        .connect_lazy(&format!("postgres://app:{PASSWORD}@127.0.0.1:1/db"))
        .unwrap_or_else(|e| panic!("{e}"));
    shown.push((
        "SqlBlocklist",
        format!("{:?}", SqlBlocklist::new(pool.clone())),
    ));
    shown.push(("SqlPool", format!("{:?}", SqlPool::from(pool))));

    for (what, text) in &shown {
        assert_hidden(text, &secrets, what);
    }
}

// ---------------------------------------------------------------- logs

/// A store that is always down, so that the 503 path logs its error.
struct DownStore;

impl Blocklist for DownStore {
    async fn is_revoked(&self, _keys: RevocationKeys<'_>) -> Result<bool, BlocklistError> {
        Err(BlocklistError::new("connection refused"))
    }

    async fn revoke(&self, _revocation: &Revocation) -> Result<(), BlocklistError> {
        Err(BlocklistError::new("connection refused"))
    }
}

async fn protected(token: Jwt) -> FlaskJson<Value> {
    FlaskJson(json!({ "logged_in_as": token.identity() }))
}

#[tokio::test]
async fn logs_never_show_secrets_or_tokens() {
    let (captured, _guard) = capture(tracing::Level::TRACE);
    let config = JwtConfig::new()
        .with_secret_key(CANARY)
        .with_token_location([TokenLocation::Headers, TokenLocation::Cookies]);
    let jwt = JwtManager::new(config.clone()).unwrap_or_else(|e| panic!("{e}"));
    let down = JwtManager::builder(config)
        .blocklist(DownStore)
        .build()
        .unwrap_or_else(|e| panic!("{e}"));
    let router = |jwt: JwtManager| {
        Router::new()
            .route("/protected", get(protected).post(protected))
            .layer(JwtLayer::new(jwt.clone()))
            .with_state(jwt)
    };
    let (app, app_down) = (router(jwt.clone()), router(down));

    let token = jwt
        .create_access_token("alice")
        .unwrap_or_else(|e| panic!("{e}"));
    let csrf = jwt
        .decode_csrf_token(&token)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let cookies = jwt
        .set_access_cookies(&token)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let expired = jwt
        .access_token("alice")
        .expires_in(std::time::Duration::from_secs(0))
        .create();
    let forged = format!("{}x", &token[..token.len() - 1]);

    assert_eq!(
        http_get_bearer(&app, "/protected", &token).await.status,
        200
    );
    assert_eq!(
        http_get_bearer(&app, "/protected", &forged).await.status,
        422
    );
    if let Ok(expired) = &expired {
        assert_eq!(
            http_get_bearer(&app, "/protected", expired).await.status,
            401
        );
    }
    let cookie = format!("access_token_cookie={token}");
    for csrf_header in [None, Some("wrong"), Some(csrf.as_str())] {
        let mut builder = request(Method::POST, "/protected").header("cookie", &cookie);
        if let Some(value) = csrf_header {
            builder = builder.header("x-csrf-token", value);
        }
        send(&app, builder.body(Body::empty()).unwrap_or_default()).await;
    }
    let unavailable = http_get_bearer(&app_down, "/protected", &token).await;
    assert_eq!(unavailable.status, 503);

    let logs = captured.text();
    assert!(
        logs.contains("blocklist unavailable"),
        "the capture missed the 503 log: {logs}"
    );
    let mut secrets = vec![CANARY.to_owned(), token.clone(), csrf.clone()];
    secrets.extend(token.rsplit('.').next().map(str::to_owned));
    secrets.extend(cookies.header_values());
    if let Ok(expired) = expired {
        secrets.push(expired);
    }
    assert_hidden(&logs, &secrets, "the logs");
    // Set-Cookie values are tokens: their Debug output hides them too.
    assert_hidden(
        &format!("{cookies:?}"),
        &[token.clone(), csrf],
        "CookieSet Debug",
    );
}

// ---------------------------------------------------------------- cookie warning

fn warnings_for(config: JwtConfig) -> String {
    let (captured, _guard) = capture(tracing::Level::TRACE);
    let _jwt = JwtManager::new(config.with_secret_key(SECRET)).unwrap_or_else(|e| panic!("{e}"));
    captured
        .text()
        .lines()
        .filter(|l| l.contains("WARN") && l.contains("JWT_COOKIE_SECURE"))
        .map(str::to_owned)
        .collect()
}

#[test]
fn warns_at_start_up_when_cookies_lack_secure() {
    let cookies =
        || JwtConfig::new().with_token_location([TokenLocation::Headers, TokenLocation::Cookies]);
    let warning = warnings_for(cookies());
    assert!(
        warning.contains("with_cookie_secure(true)"),
        "no warning for cookies without Secure: {warning:?}"
    );
    // The reference's default, unchanged, over the environment too.
    let from_env =
        JwtConfig::from_vars([("JWT_TOKEN_LOCATION", "cookies")]).unwrap_or_else(|e| panic!("{e}"));
    assert!(!warnings_for(from_env).is_empty());
    // Secure on, cookies not used, or an explicit acknowledgement: silent.
    assert_eq!(warnings_for(cookies().with_cookie_secure(true)), "");
    assert_eq!(warnings_for(JwtConfig::new()), "");
    assert_eq!(warnings_for(cookies().with_cookie_secure(false)), "");
    let acknowledged = JwtConfig::from_vars([
        ("JWT_TOKEN_LOCATION", "cookies"),
        ("JWT_COOKIE_SECURE", "false"),
    ])
    .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(warnings_for(acknowledged), "");
    // Acknowledging does not change the cookies: still no Secure.
    assert!(!cookies().with_cookie_secure(false).cookie_secure());
}

#[test]
fn secrets_compare_by_value() {
    assert_eq!(Secret::from("same"), Secret::from("same"));
    assert_ne!(Secret::from("same"), Secret::from("sama"));
    assert_ne!(Secret::from("same"), Secret::from("same-longer"));
}

// ---------------------------------------------------------------- HMAC key length

/// The start-up warnings about `JWT_SECRET_KEY` for a secret and algorithm.
fn key_length_warnings(secret: &str, algorithm: Algorithm) -> String {
    let (captured, _guard) = capture(tracing::Level::TRACE);
    let config = JwtConfig::new()
        .with_secret_key(secret)
        .with_algorithm(algorithm);
    let _jwt = JwtManager::new(config).unwrap_or_else(|e| panic!("{e}"));
    captured
        .text()
        .lines()
        .filter(|l| l.contains("WARN") && l.contains("JWT_SECRET_KEY"))
        .map(str::to_owned)
        .collect()
}

#[test]
fn short_hmac_secrets_are_warned_about_at_start_up() {
    // RFC 7518 section 3.2, as PyJWT's InsecureKeyLengthWarning: at least as
    // many bytes as the hash's output.
    let warning = key_length_warnings("super-secret", Algorithm::HS256);
    assert!(
        warning.contains("12 bytes long") && warning.contains("32 bytes"),
        "{warning:?}"
    );
    // The warning never shows the secret itself.
    assert!(!warning.contains("super-secret"), "{warning:?}");
    assert_eq!(key_length_warnings(&"k".repeat(32), Algorithm::HS256), "");
    assert!(key_length_warnings(&"k".repeat(32), Algorithm::HS384).contains("48 bytes"));
    assert!(key_length_warnings(&"k".repeat(63), Algorithm::HS512).contains("64 bytes"));
    assert_eq!(key_length_warnings(&"k".repeat(64), Algorithm::HS512), "");
}

#[tokio::test]
async fn short_hmac_secrets_can_be_refused_and_still_work_by_default() {
    let short = || JwtConfig::new().with_secret_key("super-secret");
    let error = JwtManager::builder(short())
        .enforce_minimum_key_length()
        .build()
        .err()
        .unwrap_or_else(|| panic!("a 12-byte HS256 secret was accepted"));
    assert_eq!(error.option(), "JWT_SECRET_KEY");
    let message = error.to_string();
    assert!(
        message.contains("12 bytes") && message.contains("32 bytes"),
        "{message}"
    );
    assert!(!message.contains("super-secret"), "{message}");

    let hs512 = JwtConfig::new()
        .with_secret_key("k".repeat(48))
        .with_algorithm(Algorithm::HS512);
    assert!(
        JwtManager::builder(hs512)
            .enforce_minimum_key_length()
            .build()
            .is_err()
    );
    let long = JwtConfig::new().with_secret_key("k".repeat(32));
    assert!(
        JwtManager::builder(long)
            .enforce_minimum_key_length()
            .build()
            .is_ok()
    );

    // Without enforcement a short secret signs and verifies, as in the
    // reference (a Python service with the same secret interoperates).
    let jwt = JwtManager::new(short()).unwrap_or_else(|e| panic!("{e}"));
    let token = jwt
        .create_access_token("alice")
        .unwrap_or_else(|e| panic!("{e}"));
    let decoded = jwt
        .decode_token(&token)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(decoded.identity_str(), Some("alice"));
}
