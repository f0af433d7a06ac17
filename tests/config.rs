//! Configuration: the port of the reference's `tests/test_config.py`.
//!
//! The reference reads `app.config` lazily and raises `RuntimeError` when a
//! bad value is used. The port validates once, when the manager is built,
//! into a typed `ConfigError` naming the option (spec §1 and §2.1, Port), so
//! the "invalid option" tests here check `JwtManager::new` and
//! `JwtConfig::from_vars` instead of a request. Tests that change the config
//! mid-way build a second manager.

mod common;

use std::collections::BTreeMap;
use std::time::Duration;

use axum::Router;
use axum::http::StatusCode;
use axum::routing::get;
use common::*;
use jwt_extended::axum::{FlaskJson, Jwt};
use jwt_extended::config::{
    ConfigError, Expiry, JwtConfig, NON_SESSION_COOKIE_MAX_AGE, OPTION_NAMES, OneOrMany, SameSite,
    TokenLocation,
};
use jwt_extended::{Algorithm, JwtManager, JwtManagerBuilder};
use serde_json::{Value, json};

fn key(file: &str) -> String {
    let path = format!("{}/tests/fixtures/keys/{file}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("cannot read {path}: {e}"))
}

fn expiry(e: Expiry) -> Value {
    match e {
        Expiry::After(d) => json!({ "seconds": d.as_secs_f64() }),
        Expiry::Months { months, plus } => json!({ "months": months, "plus": plus.as_secs_f64() }),
        Expiry::Never => json!(false),
        other => json!(format!("{other:?}")),
    }
}

fn text(bytes: &[u8]) -> Value {
    json!(String::from_utf8_lossy(bytes))
}

/// Every option of a config as data, keyed by its Flask name.
fn snapshot(c: &JwtConfig) -> BTreeMap<&'static str, Value> {
    let algorithms: Vec<String> = c
        .decode_algorithms()
        .iter()
        .map(|a| format!("{a:?}"))
        .collect();
    let locations: Vec<&str> = c.token_location().iter().map(|l| l.as_str()).collect();
    BTreeMap::from([
        ("JWT_ACCESS_COOKIE_NAME", json!(c.access_cookie_name())),
        ("JWT_ACCESS_COOKIE_PATH", json!(c.access_cookie_path())),
        (
            "JWT_ACCESS_CSRF_COOKIE_NAME",
            json!(c.access_csrf_cookie_name()),
        ),
        (
            "JWT_ACCESS_CSRF_COOKIE_PATH",
            json!(c.access_csrf_cookie_path()),
        ),
        (
            "JWT_ACCESS_CSRF_FIELD_NAME",
            json!(c.access_csrf_field_name()),
        ),
        (
            "JWT_ACCESS_CSRF_HEADER_NAME",
            json!(c.access_csrf_header_name()),
        ),
        ("JWT_ACCESS_TOKEN_EXPIRES", expiry(c.access_token_expires())),
        ("JWT_ALGORITHM", json!(format!("{:?}", c.algorithm()))),
        ("JWT_COOKIE_CSRF_PROTECT", json!(c.cookie_csrf_protect())),
        ("JWT_COOKIE_DOMAIN", json!(c.cookie_domain())),
        (
            "JWT_COOKIE_SAMESITE",
            json!(c.cookie_samesite().map(SameSite::as_str)),
        ),
        ("JWT_COOKIE_SECURE", json!(c.cookie_secure())),
        ("JWT_CSRF_CHECK_FORM", json!(c.csrf_check_form())),
        ("JWT_CSRF_IN_COOKIES", json!(c.csrf_in_cookies())),
        ("JWT_CSRF_METHODS", json!(c.csrf_methods())),
        ("JWT_DECODE_ALGORITHMS", json!(algorithms)),
        ("JWT_DECODE_AUDIENCE", json!(c.decode_audience())),
        ("JWT_DECODE_ISSUER", json!(c.decode_issuer())),
        ("JWT_DECODE_LEEWAY", json!(c.decode_leeway().as_secs_f64())),
        (
            "JWT_ENCODE_AUDIENCE",
            match c.encode_audience() {
                None => Value::Null,
                Some(OneOrMany::One(one)) => json!(one),
                Some(OneOrMany::Many(many)) => json!(many),
            },
        ),
        ("JWT_ENCODE_ISSUER", json!(c.encode_issuer())),
        ("JWT_ENCODE_NBF", json!(c.encode_nbf())),
        ("JWT_ERROR_MESSAGE_KEY", json!(c.error_message_key())),
        ("JWT_HEADER_NAME", json!(c.header_name())),
        ("JWT_HEADER_TYPE", json!(c.header_type())),
        ("JWT_IDENTITY_CLAIM", json!(c.identity_claim())),
        ("JWT_JSON_KEY", json!(c.json_key())),
        ("JWT_MAX_TOKEN_SIZE", json!(c.max_token_size())),
        (
            "JWT_PRIVATE_KEY",
            json!(c.private_key().map(|k| text(k.expose()))),
        ),
        ("JWT_PUBLIC_KEY", json!(c.public_key())),
        ("JWT_QUERY_STRING_NAME", json!(c.query_string_name())),
        (
            "JWT_QUERY_STRING_VALUE_PREFIX",
            json!(c.query_string_value_prefix()),
        ),
        ("JWT_REFRESH_COOKIE_NAME", json!(c.refresh_cookie_name())),
        ("JWT_REFRESH_COOKIE_PATH", json!(c.refresh_cookie_path())),
        (
            "JWT_REFRESH_CSRF_COOKIE_NAME",
            json!(c.refresh_csrf_cookie_name()),
        ),
        (
            "JWT_REFRESH_CSRF_COOKIE_PATH",
            json!(c.refresh_csrf_cookie_path()),
        ),
        (
            "JWT_REFRESH_CSRF_FIELD_NAME",
            json!(c.refresh_csrf_field_name()),
        ),
        (
            "JWT_REFRESH_CSRF_HEADER_NAME",
            json!(c.refresh_csrf_header_name()),
        ),
        ("JWT_REFRESH_JSON_KEY", json!(c.refresh_json_key())),
        (
            "JWT_REFRESH_TOKEN_EXPIRES",
            expiry(c.refresh_token_expires()),
        ),
        (
            "JWT_SECRET_KEY",
            json!(c.secret_key().map(|k| text(k.expose()))),
        ),
        (
            "JWT_SECRET_KEY_FALLBACKS",
            json!(
                c.secret_key_fallbacks()
                    .iter()
                    .map(|k| text(k.expose()))
                    .collect::<Vec<_>>()
            ),
        ),
        ("JWT_SESSION_COOKIE", json!(c.session_cookie())),
        ("JWT_TOKEN_LOCATION", json!(locations)),
        ("JWT_VERIFY_SUB", json!(c.verify_sub())),
    ])
}

/// The defaults table of spec §2, as data.
fn reference_defaults() -> BTreeMap<&'static str, Value> {
    BTreeMap::from([
        ("JWT_ACCESS_COOKIE_NAME", json!("access_token_cookie")),
        ("JWT_ACCESS_COOKIE_PATH", json!("/")),
        ("JWT_ACCESS_CSRF_COOKIE_NAME", json!("csrf_access_token")),
        ("JWT_ACCESS_CSRF_COOKIE_PATH", json!("/")),
        ("JWT_ACCESS_CSRF_FIELD_NAME", json!("csrf_token")),
        ("JWT_ACCESS_CSRF_HEADER_NAME", json!("X-CSRF-TOKEN")),
        ("JWT_ACCESS_TOKEN_EXPIRES", json!({"seconds": 900.0})),
        ("JWT_ALGORITHM", json!("HS256")),
        ("JWT_COOKIE_CSRF_PROTECT", json!(true)),
        ("JWT_COOKIE_DOMAIN", Value::Null),
        ("JWT_COOKIE_SAMESITE", Value::Null),
        ("JWT_COOKIE_SECURE", json!(false)),
        ("JWT_CSRF_CHECK_FORM", json!(false)),
        ("JWT_CSRF_IN_COOKIES", json!(true)),
        (
            "JWT_CSRF_METHODS",
            json!(["POST", "PUT", "PATCH", "DELETE"]),
        ),
        // Unset means `[JWT_ALGORITHM]`.
        ("JWT_DECODE_ALGORITHMS", json!(["HS256"])),
        ("JWT_DECODE_AUDIENCE", Value::Null),
        ("JWT_DECODE_ISSUER", Value::Null),
        ("JWT_DECODE_LEEWAY", json!(0.0)),
        ("JWT_ENCODE_AUDIENCE", Value::Null),
        ("JWT_ENCODE_ISSUER", Value::Null),
        ("JWT_ENCODE_NBF", json!(true)),
        ("JWT_ERROR_MESSAGE_KEY", json!("msg")),
        ("JWT_HEADER_NAME", json!("Authorization")),
        ("JWT_HEADER_TYPE", json!("Bearer")),
        ("JWT_IDENTITY_CLAIM", json!("sub")),
        ("JWT_JSON_KEY", json!("access_token")),
        // Our addition: 16 KiB.
        ("JWT_MAX_TOKEN_SIZE", json!(16_384)),
        ("JWT_PRIVATE_KEY", Value::Null),
        ("JWT_PUBLIC_KEY", Value::Null),
        ("JWT_QUERY_STRING_NAME", json!("jwt")),
        ("JWT_QUERY_STRING_VALUE_PREFIX", json!("")),
        ("JWT_REFRESH_COOKIE_NAME", json!("refresh_token_cookie")),
        ("JWT_REFRESH_COOKIE_PATH", json!("/")),
        ("JWT_REFRESH_CSRF_COOKIE_NAME", json!("csrf_refresh_token")),
        ("JWT_REFRESH_CSRF_COOKIE_PATH", json!("/")),
        ("JWT_REFRESH_CSRF_FIELD_NAME", json!("csrf_token")),
        ("JWT_REFRESH_CSRF_HEADER_NAME", json!("X-CSRF-TOKEN")),
        ("JWT_REFRESH_JSON_KEY", json!("refresh_token")),
        ("JWT_REFRESH_TOKEN_EXPIRES", json!({"seconds": 2_592_000.0})),
        ("JWT_SECRET_KEY", Value::Null),
        // Our addition (Flask's SECRET_KEY_FALLBACKS): none by default.
        ("JWT_SECRET_KEY_FALLBACKS", json!([])),
        ("JWT_SESSION_COOKIE", json!(true)),
        ("JWT_TOKEN_LOCATION", json!(["headers"])),
        ("JWT_VERIFY_SUB", json!(true)),
    ])
}

#[track_caller]
fn config_error(result: Result<JwtManager, ConfigError>) -> ConfigError {
    match result {
        Ok(manager) => panic!("expected a ConfigError, got {manager:?}"),
        Err(e) => e,
    }
}

#[track_caller]
fn vars_error(vars: &[(&str, &str)]) -> ConfigError {
    match JwtConfig::from_vars(vars.iter().copied()) {
        Ok(config) => panic!("expected a ConfigError for {vars:?}, got {config:?}"),
        Err(e) => e,
    }
}

fn vars(vars: &[(&str, &str)]) -> JwtConfig {
    JwtConfig::from_vars(vars.iter().copied()).unwrap_or_else(|e| panic!("{vars:?}: {e}"))
}

fn build(builder: JwtManagerBuilder) -> Result<JwtManager, ConfigError> {
    builder.build()
}

#[test]
fn default_configs() {
    let config = JwtConfig::new();
    let snapshot = snapshot(&config);
    let names: Vec<&str> = snapshot.keys().copied().collect();
    let mut all = OPTION_NAMES.to_vec();
    all.sort_unstable();
    assert_eq!(names, all, "the snapshot covers exactly the 45 options");
    // The reference's 43 and our JWT_MAX_TOKEN_SIZE and JWT_SECRET_KEY_FALLBACKS.
    assert_eq!(names.len(), 45);
    assert_eq!(snapshot, reference_defaults());
    // Derived values of the reference's `config` object.
    assert_eq!(config.cookie_max_age(), None);
    assert_eq!(JwtConfig::default().header_name(), "Authorization");
    // `is_asymmetric` is false: a secret is enough to build a manager.
    let manager = JwtManager::new(config.with_secret_key(SECRET)).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(manager.token_locations(), [TokenLocation::Headers]);
}

/// Every option set through its Flask name (what a Flask config carries
/// over), with the values of the reference's `test_override_configs`.
fn overridden_vars() -> Vec<(&'static str, &'static str)> {
    vec![
        (
            "JWT_TOKEN_LOCATION",
            r#"["cookies", "query_string", "json"]"#,
        ),
        ("JWT_HEADER_NAME", "TestHeader"),
        ("JWT_HEADER_TYPE", "TestType"),
        ("JWT_JSON_KEY", "TestKey"),
        ("JWT_REFRESH_JSON_KEY", "TestRefreshKey"),
        ("JWT_DECODE_ISSUER", "TestDecodeIssuer"),
        ("JWT_ENCODE_ISSUER", "TestEncodeIssuer"),
        ("JWT_QUERY_STRING_NAME", "banana"),
        ("JWT_QUERY_STRING_VALUE_PREFIX", "kiwi"),
        ("JWT_ACCESS_COOKIE_NAME", "new_access_cookie"),
        ("JWT_REFRESH_COOKIE_NAME", "new_refresh_cookie"),
        ("JWT_ACCESS_COOKIE_PATH", "/access/path"),
        ("JWT_REFRESH_COOKIE_PATH", "/refresh/path"),
        ("JWT_COOKIE_SECURE", "true"),
        ("JWT_COOKIE_DOMAIN", ".example.com"),
        ("JWT_SESSION_COOKIE", "false"),
        ("JWT_COOKIE_SAMESITE", "Strict"),
        ("JWT_COOKIE_CSRF_PROTECT", "true"),
        ("JWT_CSRF_METHODS", r#"["GET"]"#),
        ("JWT_CSRF_IN_COOKIES", "false"),
        ("JWT_ACCESS_CSRF_COOKIE_NAME", "access_csrf_cookie"),
        ("JWT_REFRESH_CSRF_COOKIE_NAME", "refresh_csrf_cookie"),
        ("JWT_ACCESS_CSRF_COOKIE_PATH", "/csrf/access/path"),
        ("JWT_REFRESH_CSRF_COOKIE_PATH", "/csrf/refresh/path"),
        ("JWT_ACCESS_CSRF_HEADER_NAME", "X-ACCESS-CSRF"),
        ("JWT_REFRESH_CSRF_HEADER_NAME", "X-REFRESH-CSRF"),
        ("JWT_ACCESS_TOKEN_EXPIRES", "300"),
        ("JWT_REFRESH_TOKEN_EXPIRES", "432000"),
        ("JWT_ALGORITHM", "HS512"),
        ("JWT_DECODE_ALGORITHMS", r#"["HS512", "HS256"]"#),
        ("JWT_IDENTITY_CLAIM", "foo"),
        ("JWT_ERROR_MESSAGE_KEY", "message"),
        // The options the reference test leaves alone, too.
        ("JWT_ACCESS_CSRF_FIELD_NAME", "access_field"),
        ("JWT_REFRESH_CSRF_FIELD_NAME", "refresh_field"),
        ("JWT_CSRF_CHECK_FORM", "true"),
        ("JWT_DECODE_AUDIENCE", "aud1,aud2"),
        ("JWT_DECODE_LEEWAY", "5"),
        ("JWT_ENCODE_AUDIENCE", "aud1"),
        ("JWT_ENCODE_NBF", "false"),
        ("JWT_SECRET_KEY", "s3cret"),
        // Our addition: a JSON list, so secrets may hold commas.
        ("JWT_SECRET_KEY_FALLBACKS", r#"["old,2", "old-1"]"#),
        // Our addition: a whole number of bytes.
        ("JWT_MAX_TOKEN_SIZE", "32768"),
        ("JWT_VERIFY_SUB", "false"),
    ]
}

#[test]
fn override_configs() {
    let config = vars(&overridden_vars());
    let mut expected = reference_defaults();
    for (name, value) in [
        (
            "JWT_TOKEN_LOCATION",
            json!(["cookies", "query_string", "json"]),
        ),
        ("JWT_HEADER_NAME", json!("TestHeader")),
        ("JWT_HEADER_TYPE", json!("TestType")),
        ("JWT_JSON_KEY", json!("TestKey")),
        ("JWT_REFRESH_JSON_KEY", json!("TestRefreshKey")),
        ("JWT_DECODE_ISSUER", json!(["TestDecodeIssuer"])),
        ("JWT_ENCODE_ISSUER", json!("TestEncodeIssuer")),
        ("JWT_QUERY_STRING_NAME", json!("banana")),
        ("JWT_QUERY_STRING_VALUE_PREFIX", json!("kiwi")),
        ("JWT_ACCESS_COOKIE_NAME", json!("new_access_cookie")),
        ("JWT_REFRESH_COOKIE_NAME", json!("new_refresh_cookie")),
        ("JWT_ACCESS_COOKIE_PATH", json!("/access/path")),
        ("JWT_REFRESH_COOKIE_PATH", json!("/refresh/path")),
        ("JWT_COOKIE_SECURE", json!(true)),
        ("JWT_COOKIE_DOMAIN", json!(".example.com")),
        ("JWT_SESSION_COOKIE", json!(false)),
        ("JWT_COOKIE_SAMESITE", json!("Strict")),
        ("JWT_COOKIE_CSRF_PROTECT", json!(true)),
        ("JWT_CSRF_METHODS", json!(["GET"])),
        ("JWT_CSRF_IN_COOKIES", json!(false)),
        ("JWT_ACCESS_CSRF_COOKIE_NAME", json!("access_csrf_cookie")),
        ("JWT_REFRESH_CSRF_COOKIE_NAME", json!("refresh_csrf_cookie")),
        ("JWT_ACCESS_CSRF_COOKIE_PATH", json!("/csrf/access/path")),
        ("JWT_REFRESH_CSRF_COOKIE_PATH", json!("/csrf/refresh/path")),
        ("JWT_ACCESS_CSRF_HEADER_NAME", json!("X-ACCESS-CSRF")),
        ("JWT_REFRESH_CSRF_HEADER_NAME", json!("X-REFRESH-CSRF")),
        ("JWT_ACCESS_TOKEN_EXPIRES", json!({"seconds": 300.0})),
        ("JWT_REFRESH_TOKEN_EXPIRES", json!({"seconds": 432_000.0})),
        ("JWT_ALGORITHM", json!("HS512")),
        ("JWT_DECODE_ALGORITHMS", json!(["HS512", "HS256"])),
        ("JWT_IDENTITY_CLAIM", json!("foo")),
        ("JWT_ERROR_MESSAGE_KEY", json!("message")),
        ("JWT_ACCESS_CSRF_FIELD_NAME", json!("access_field")),
        ("JWT_REFRESH_CSRF_FIELD_NAME", json!("refresh_field")),
        ("JWT_CSRF_CHECK_FORM", json!(true)),
        ("JWT_DECODE_AUDIENCE", json!(["aud1", "aud2"])),
        ("JWT_DECODE_LEEWAY", json!(5.0)),
        ("JWT_ENCODE_AUDIENCE", json!("aud1")),
        ("JWT_ENCODE_NBF", json!(false)),
        ("JWT_SECRET_KEY", json!("s3cret")),
        ("JWT_SECRET_KEY_FALLBACKS", json!(["old,2", "old-1"])),
        ("JWT_MAX_TOKEN_SIZE", json!(32_768)),
        ("JWT_VERIFY_SUB", json!(false)),
    ] {
        assert!(expected.insert(name, value).is_some(), "{name}");
    }
    let actual = snapshot(&config);
    let differing: Vec<&str> = actual
        .iter()
        .filter(|(name, value)| expected.get(*name) != Some(*value))
        .map(|(name, _)| *name)
        .collect();
    assert!(
        differing.is_empty(),
        "differing options: {differing:?}\n{actual:#?}"
    );
    // Everything but the keys differs from the defaults.
    let unchanged: Vec<&str> = actual
        .iter()
        .filter(|(name, value)| reference_defaults().get(*name) == Some(*value))
        .map(|(name, _)| *name)
        .collect();
    assert_eq!(
        unchanged,
        [
            "JWT_COOKIE_CSRF_PROTECT",
            "JWT_PRIVATE_KEY",
            "JWT_PUBLIC_KEY"
        ]
    );
    assert_eq!(config.cookie_max_age(), Some(NON_SESSION_COOKIE_MAX_AGE));
    assert_eq!(NON_SESSION_COOKIE_MAX_AGE, 31_540_000);

    // The same through the builder methods.
    let built = JwtConfig::new()
        .with_token_location([
            TokenLocation::Cookies,
            TokenLocation::QueryString,
            TokenLocation::Json,
        ])
        .with_header_name("TestHeader")
        .with_header_type("TestType")
        .with_json_key("TestKey")
        .with_refresh_json_key("TestRefreshKey")
        .with_decode_issuer("TestDecodeIssuer")
        .with_encode_issuer("TestEncodeIssuer")
        .with_query_string_name("banana")
        .with_query_string_value_prefix("kiwi")
        .with_access_cookie_name("new_access_cookie")
        .with_refresh_cookie_name("new_refresh_cookie")
        .with_access_cookie_path("/access/path")
        .with_refresh_cookie_path("/refresh/path")
        .with_cookie_secure(true)
        .with_cookie_domain(".example.com")
        .with_session_cookie(false)
        .with_cookie_samesite(SameSite::Strict)
        .with_cookie_csrf_protect(true)
        .with_csrf_methods(["GET"])
        .with_csrf_in_cookies(false)
        .with_access_csrf_cookie_name("access_csrf_cookie")
        .with_refresh_csrf_cookie_name("refresh_csrf_cookie")
        .with_access_csrf_cookie_path("/csrf/access/path")
        .with_refresh_csrf_cookie_path("/csrf/refresh/path")
        .with_access_csrf_header_name("X-ACCESS-CSRF")
        .with_refresh_csrf_header_name("X-REFRESH-CSRF")
        .with_access_token_expires(Duration::from_secs(300))
        .with_refresh_token_expires(Duration::from_secs(432_000))
        .with_algorithm(Algorithm::HS512)
        .with_decode_algorithms([Algorithm::HS512, Algorithm::HS256])
        .with_identity_claim("foo")
        .with_error_message_key("message")
        .with_access_csrf_field_name("access_field")
        .with_refresh_csrf_field_name("refresh_field")
        .with_csrf_check_form(true)
        .with_decode_audience(vec!["aud1", "aud2"])
        .with_decode_leeway(Duration::from_secs(5))
        .with_encode_audience("aud1")
        .with_encode_nbf(false)
        .with_secret_key("s3cret")
        .with_secret_key_fallbacks(["old,2", "old-1"])
        .with_max_token_size(32 * 1024)
        .with_verify_sub(false);
    assert_eq!(snapshot(&built), expected);
    JwtManager::new(built).unwrap_or_else(|e| panic!("the overridden config is valid: {e}"));
}

/// `relativedelta(minutes=5)` / `relativedelta(days=5)` in the reference;
/// calendar months are the port's `Expiry::Months`.
#[test]
fn calendar_expiry() {
    let config = JwtConfig::new()
        .with_secret_key(SECRET)
        .with_access_token_expires(Expiry::Months {
            months: 1,
            plus: Duration::ZERO,
        })
        .with_refresh_token_expires(Expiry::Months {
            months: 0,
            plus: Duration::from_secs(5 * 86_400),
        });
    let manager = JwtManager::new(config).unwrap_or_else(|e| panic!("{e}"));
    let token = manager
        .create_access_token("username")
        .unwrap_or_else(|e| panic!("{e}"));
    let claims = payload(&token);
    let lifetime = claims["exp"].as_i64().unwrap_or(0) - claims["iat"].as_i64().unwrap_or(0);
    assert!(
        (28 * 86_400..=31 * 86_400).contains(&lifetime),
        "one calendar month, got {lifetime} s"
    );
    let refresh = manager
        .create_refresh_token("username")
        .unwrap_or_else(|e| panic!("{e}"));
    let claims = payload(&refresh);
    assert_eq!(
        claims["exp"].as_i64().unwrap_or(0) - claims["iat"].as_i64().unwrap_or(0),
        5 * 86_400
    );
}

#[test]
fn tokens_never_expire() {
    for value in ["false", "False", "FALSE"] {
        let config = vars(&[
            ("JWT_ACCESS_TOKEN_EXPIRES", value),
            ("JWT_REFRESH_TOKEN_EXPIRES", value),
        ]);
        assert_eq!(config.access_token_expires(), Expiry::Never);
        assert_eq!(config.refresh_token_expires(), Expiry::Never);
    }
    let manager = manager_with(
        JwtConfig::new()
            .with_access_token_expires(Expiry::Never)
            .with_refresh_token_expires(Expiry::Never),
    );
    for token in [
        manager.create_access_token("username"),
        manager.create_refresh_token("username"),
    ] {
        let token = token.unwrap_or_else(|e| panic!("{e}"));
        assert!(payload(&token).get("exp").is_none());
    }
}

#[test]
fn tokens_with_int_values() {
    let config = vars(&[
        ("JWT_ACCESS_TOKEN_EXPIRES", "300"),
        ("JWT_REFRESH_TOKEN_EXPIRES", "432000"),
    ]);
    assert_eq!(
        config.access_token_expires(),
        Expiry::After(Duration::from_secs(300))
    );
    assert_eq!(
        config.refresh_token_expires(),
        Expiry::After(Duration::from_secs(5 * 86_400))
    );
}

async fn protected(_: Jwt) -> FlaskJson<Value> {
    FlaskJson(json!({"foo": "bar"}))
}

fn app_for(manager: JwtManager) -> Router {
    Router::new()
        .route("/protected", get(protected))
        .with_state(manager)
}

/// No secret is an error; Flask's `SECRET_KEY` is the fallback;
/// `JWT_SECRET_KEY` wins when both are set.
#[tokio::test]
async fn symmetric_secret_key() {
    let error = config_error(JwtManager::new(JwtConfig::new()));
    assert_eq!(error, ConfigError::MissingSecret("HS256".into()));
    assert_eq!(
        error.to_string(),
        "JWT_SECRET_KEY or flask SECRET_KEY must be set when using symmetric algorithm \"HS256\""
    );
    assert_eq!(error.option(), "JWT_SECRET_KEY");
    let hs384 = config_error(JwtManager::new(
        JwtConfig::new().with_algorithm(Algorithm::HS384),
    ));
    assert_eq!(
        hs384.to_string(),
        "JWT_SECRET_KEY or flask SECRET_KEY must be set when using symmetric algorithm \"HS384\""
    );
    // An empty secret counts as none (Python falsiness).
    config_error(JwtManager::new(JwtConfig::new().with_secret_key("")));

    let flask_only = JwtManager::new(JwtConfig::new().with_flask_secret_key("foobar"))
        .unwrap_or_else(|e| panic!("{e}"));
    let token = flask_only
        .create_access_token("username")
        .unwrap_or_else(|e| panic!("{e}"));
    let by_secret = app_for(manager_with(JwtConfig::new().with_secret_key("foobar")));
    assert_eq!(
        http_get_bearer(&by_secret, "/protected", &token)
            .await
            .status,
        StatusCode::OK
    );

    let both = JwtManager::new(
        JwtConfig::new()
            .with_flask_secret_key("foobar")
            .with_secret_key("foobarbaz"),
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let token = both
        .create_access_token("username")
        .unwrap_or_else(|e| panic!("{e}"));
    let by_jwt_secret = app_for(manager_with(JwtConfig::new().with_secret_key("foobarbaz")));
    assert_eq!(
        http_get_bearer(&by_jwt_secret, "/protected", &token)
            .await
            .status,
        StatusCode::OK
    );
    http_get_bearer(&by_secret, "/protected", &token)
        .await
        .assert_error(422, "Signature verification failed");

    // `SECRET_KEY` is also a recognised variable name.
    let from_flask_var = vars(&[("SECRET_KEY", "foobar")]);
    assert_eq!(
        from_flask_var.secret_key().map(|s| s.expose().to_vec()),
        Some(b"foobar".to_vec())
    );
}

/// Asymmetric algorithms need keys, never the secrets.
#[test]
fn default_with_asymmetric_secret_key() {
    let rs256 = || JwtConfig::new().with_algorithm(Algorithm::RS256);
    let error = config_error(JwtManager::new(rs256()));
    assert_eq!(error, ConfigError::MissingPrivateKey("RS256".into()));
    assert_eq!(
        error.to_string(),
        "JWT_PRIVATE_KEY must be set to use asymmetric cryptography algorithm \"RS256\""
    );
    // Neither secret stands in for the keys.
    for config in [
        rs256().with_flask_secret_key("foobar"),
        rs256()
            .with_flask_secret_key("foobar")
            .with_secret_key("foobarbaz"),
    ] {
        assert_eq!(
            config_error(JwtManager::new(config)),
            ConfigError::MissingPrivateKey("RS256".into())
        );
    }
    // Private key without the public one.
    let error = config_error(JwtManager::new(
        rs256().with_private_key(key("rsa2048_pkcs1_private.pem")),
    ));
    assert_eq!(error, ConfigError::MissingPublicKey("RS256".into()));
    assert_eq!(
        error.to_string(),
        "JWT_PUBLIC_KEY must be set to use asymmetric cryptography algorithm \"RS256\""
    );
    // A verify-only manager needs only the public key.
    build(
        JwtManager::builder(rs256().with_public_key(key("rsa2048_pkcs1_public.pem"))).verify_only(),
    )
    .unwrap_or_else(|e| panic!("{e}"));
    // The reference accepts any string until it is used ("foo2"/"bar2");
    // the port parses keys at build time.
    let garbage = config_error(JwtManager::new(
        rs256().with_public_key("foo2").with_private_key("bar2"),
    ));
    assert_eq!(garbage.option(), "JWT_PRIVATE_KEY");
    assert!(
        matches!(garbage, ConfigError::InvalidKey { .. }),
        "{garbage:?}"
    );
    let garbage_public = config_error(
        JwtManager::builder(rs256().with_public_key("foo2"))
            .verify_only()
            .build(),
    );
    assert_eq!(garbage_public.option(), "JWT_PUBLIC_KEY");
    // Real keys work.
    JwtManager::new(
        rs256()
            .with_public_key(key("rsa2048_pkcs1_public.pem"))
            .with_private_key(key("rsa2048_pkcs1_private.pem")),
    )
    .unwrap_or_else(|e| panic!("{e}"));
}

#[test]
fn keys_that_do_not_fit() {
    // A public key that does not belong to the private key.
    let mismatched = config_error(JwtManager::new(
        JwtConfig::new()
            .with_algorithm(Algorithm::RS256)
            .with_private_key(key("rsa2048_private.pem"))
            .with_public_key(key("rsa2048_other_public.pem")),
    ));
    assert_eq!(mismatched.option(), "JWT_PUBLIC_KEY");
    // A P-384 key for ES256.
    let wrong_curve = config_error(JwtManager::new(
        JwtConfig::new()
            .with_algorithm(Algorithm::ES256)
            .with_private_key(key("ec384_private.pem"))
            .with_public_key(key("ec384_public.pem")),
    ));
    assert_eq!(wrong_curve.option(), "JWT_PRIVATE_KEY");
    // An RSA key for EdDSA.
    let wrong_family = config_error(JwtManager::new(
        JwtConfig::new()
            .with_algorithm(Algorithm::EdDSA)
            .with_private_key(key("rsa2048_private.pem"))
            .with_public_key(key("rsa2048_public.pem")),
    ));
    assert_eq!(wrong_family.option(), "JWT_PRIVATE_KEY");
}

/// PyJWT refuses PEM and SSH keys as HMAC secrets (the reference 500s per
/// request); the port refuses them when the manager is built.
#[test]
fn pem_used_as_hmac_secret() {
    for secret in [
        key("rsa2048_public.pem"),
        key("rsa2048_pkcs1_public.pem"),
        key("ec256_private.pem"),
        "ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABAQ user@host".to_owned(),
    ] {
        let error = config_error(JwtManager::new(JwtConfig::new().with_secret_key(secret)));
        assert_eq!(error.option(), "JWT_SECRET_KEY");
        assert!(matches!(error, ConfigError::InvalidKey { .. }), "{error:?}");
    }
    let flask = config_error(JwtManager::new(
        JwtConfig::new().with_flask_secret_key(key("rsa2048_public.pem")),
    ));
    assert!(matches!(flask, ConfigError::InvalidKey { .. }), "{flask:?}");
}

#[test]
fn invalid_config_options() {
    // Empty location list.
    let empty = config_error(JwtManager::new(
        JwtConfig::new()
            .with_secret_key(SECRET)
            .with_token_location([]),
    ));
    assert_eq!(empty, ConfigError::EmptyTokenLocation);
    assert_eq!(
        empty.to_string(),
        "JWT_TOKEN_LOCATION must contain at least one of \"headers\", \"cookies\", \"query_string\", or \"json\""
    );
    for value in ["", "[]", " , "] {
        let config = vars(&[("JWT_SECRET_KEY", SECRET), ("JWT_TOKEN_LOCATION", value)]);
        assert_eq!(
            config_error(JwtManager::new(config)),
            ConfigError::EmptyTokenLocation,
            "{value:?}"
        );
    }
    // Unknown locations ("banana", a dict's keys, numbers).
    for value in [
        "banana",
        r#"["headers", "cookies", "banana"]"#,
        "location",
        "1",
        "Headers",
    ] {
        let error = vars_error(&[("JWT_TOKEN_LOCATION", value)]);
        assert_eq!(error.option(), "JWT_TOKEN_LOCATION", "{value:?}");
        assert!(
            error.to_string().starts_with(
                "JWT_TOKEN_LOCATION can only contain \"headers\", \"cookies\", \"query_string\", or \"json\""
            ),
            "{error}"
        );
    }
    // An empty header name (the reference fails per request).
    let header = config_error(JwtManager::new(
        JwtConfig::new()
            .with_secret_key(SECRET)
            .with_header_name(""),
    ));
    assert_eq!(header.option(), "JWT_HEADER_NAME");
    assert!(matches!(header, ConfigError::InvalidHeaderName { .. }));
    for option in [
        "JWT_ACCESS_CSRF_HEADER_NAME",
        "JWT_REFRESH_CSRF_HEADER_NAME",
    ] {
        let config = vars(&[("JWT_SECRET_KEY", SECRET), (option, "bad header")]);
        assert_eq!(config_error(JwtManager::new(config)).option(), option);
    }
    // Lifetimes that are not a whole number of seconds or false (the
    // reference rejects the same values, in Python's words). The message
    // names the variable and the form it takes.
    for option in ["JWT_ACCESS_TOKEN_EXPIRES", "JWT_REFRESH_TOKEN_EXPIRES"] {
        for value in ["banana", "true", "True", "1.5", "-5", "", "1h"] {
            let error = vars_error(&[(option, value)]);
            assert_eq!(error.option(), option, "{value:?}");
            assert_eq!(
                error.to_string(),
                format!("{option}: expected whole seconds or \"false\", got {value:?}")
            );
        }
    }
}

/// A zero lifetime means "never expires" in the reference (Python falsiness);
/// the port refuses it (spec §3.4, Port).
#[test]
fn zero_lifetimes_are_refused() {
    let zero_access = config_error(JwtManager::new(
        JwtConfig::new()
            .with_secret_key(SECRET)
            .with_access_token_expires(Duration::ZERO),
    ));
    assert_eq!(zero_access.option(), "JWT_ACCESS_TOKEN_EXPIRES");
    let zero_refresh = config_error(JwtManager::new(
        JwtConfig::new()
            .with_secret_key(SECRET)
            .with_refresh_token_expires(Expiry::Months {
                months: 0,
                plus: Duration::ZERO,
            }),
    ));
    assert_eq!(zero_refresh.option(), "JWT_REFRESH_TOKEN_EXPIRES");
    let from_vars = vars(&[
        ("JWT_SECRET_KEY", SECRET),
        ("JWT_ACCESS_TOKEN_EXPIRES", "0"),
    ]);
    assert_eq!(
        config_error(JwtManager::new(from_vars)).option(),
        "JWT_ACCESS_TOKEN_EXPIRES"
    );
}

#[test]
fn other_values_checked_at_build_time() {
    for (option, value) in [
        ("JWT_ACCESS_COOKIE_NAME", ""),
        ("JWT_ACCESS_COOKIE_NAME", "bad;name"),
        ("JWT_REFRESH_CSRF_COOKIE_NAME", "with space"),
        ("JWT_QUERY_STRING_NAME", ""),
        ("JWT_JSON_KEY", ""),
        ("JWT_REFRESH_JSON_KEY", ""),
        ("JWT_IDENTITY_CLAIM", ""),
        ("JWT_MAX_TOKEN_SIZE", "0"),
    ] {
        let mut config = JwtConfig::new().with_secret_key(SECRET);
        assert_eq!(config.set(option, value), Ok(true));
        let error = config_error(JwtManager::new(config));
        assert_eq!(error.option(), option, "{option}={value:?}");
    }
    let no_audience = config_error(JwtManager::new(
        JwtConfig::new()
            .with_secret_key(SECRET)
            .with_decode_audience(Vec::<String>::new()),
    ));
    assert_eq!(no_audience.option(), "JWT_DECODE_AUDIENCE");
    // Algorithms this crate cannot use are refused by name.
    for value in ["ES521", "ES256K", "none", "XYZ"] {
        let error = vars_error(&[("JWT_ALGORITHM", value)]);
        assert_eq!(
            error,
            ConfigError::UnsupportedAlgorithm {
                option: "JWT_ALGORITHM",
                value: value.to_owned()
            }
        );
        let error = vars_error(&[("JWT_DECODE_ALGORITHMS", value)]);
        assert_eq!(error.option(), "JWT_DECODE_ALGORITHMS");
    }
    for (option, value) in [
        ("JWT_COOKIE_SECURE", "maybe"),
        ("JWT_COOKIE_SAMESITE", "sometimes"),
        ("JWT_DECODE_LEEWAY", "soon"),
        ("JWT_DECODE_LEEWAY", "-1"),
        ("JWT_CSRF_METHODS", "[1]"),
        ("JWT_MAX_TOKEN_SIZE", "16k"),
        ("JWT_MAX_TOKEN_SIZE", "-1"),
        ("JWT_MAX_TOKEN_SIZE", ""),
    ] {
        assert_eq!(vars_error(&[(option, value)]).option(), option, "{value:?}");
    }
}

/// Every location, alone or several, as a single name, a comma list or a
/// JSON list (the reference accepts str, tuple, list, set and frozenset).
#[test]
fn jwt_token_locations_config() {
    use TokenLocation::*;
    let all = [Headers, Cookies, QueryString, Json];
    for location in all {
        let config = vars(&[("JWT_TOKEN_LOCATION", location.as_str())]);
        assert_eq!(config.token_location(), [location]);
        let json_list = format!("[\"{}\"]", location.as_str());
        assert_eq!(
            vars(&[("JWT_TOKEN_LOCATION", &json_list)]).token_location(),
            [location]
        );
        let quoted = format!("\"{}\"", location.as_str());
        assert_eq!(
            vars(&[("JWT_TOKEN_LOCATION", &quoted)]).token_location(),
            [location]
        );
    }
    for i in 1..=all.len() {
        let names: Vec<&str> = all[..i].iter().map(|l| l.as_str()).collect();
        let comma = names.join(",");
        assert_eq!(
            vars(&[("JWT_TOKEN_LOCATION", &comma)]).token_location(),
            &all[..i]
        );
        let spaced = names.join(", ");
        assert_eq!(
            vars(&[("JWT_TOKEN_LOCATION", &spaced)]).token_location(),
            &all[..i]
        );
        let json_list = serde_json::to_string(&names).unwrap_or_default();
        assert_eq!(
            vars(&[("JWT_TOKEN_LOCATION", &json_list)]).token_location(),
            &all[..i]
        );
    }
    // Order is kept; duplicates are dropped when the manager is built.
    let manager = manager_with(JwtConfig::new().with_token_location([Cookies, Headers, Cookies]));
    assert_eq!(manager.token_locations(), [Cookies, Headers]);
}

#[test]
fn csrf_protect_config() {
    assert!(vars(&[("JWT_COOKIE_CSRF_PROTECT", "true")]).cookie_csrf_protect());
    assert!(!vars(&[("JWT_COOKIE_CSRF_PROTECT", "false")]).cookie_csrf_protect());
    assert!(
        !JwtConfig::new()
            .with_cookie_csrf_protect(false)
            .cookie_csrf_protect()
    );
    // Tokens follow the switch.
    let on = manager();
    let off = manager_with(JwtConfig::new().with_cookie_csrf_protect(false));
    let with_csrf = on
        .create_access_token("u")
        .unwrap_or_else(|e| panic!("{e}"));
    let without = off
        .create_access_token("u")
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(payload(&with_csrf)["csrf"].is_string());
    assert!(payload(&without).get("csrf").is_none());
}

#[test]
fn missing_algorithm_in_decode_algorithms() {
    let config = JwtConfig::new()
        .with_algorithm(Algorithm::RS256)
        .with_decode_algorithms([Algorithm::HS512]);
    assert_eq!(
        config.decode_algorithms(),
        [Algorithm::HS512, Algorithm::RS256]
    );
    let from_vars = vars(&[
        ("JWT_ALGORITHM", "RS256"),
        ("JWT_DECODE_ALGORITHMS", "HS512"),
    ]);
    assert_eq!(
        from_vars.decode_algorithms(),
        [Algorithm::HS512, Algorithm::RS256]
    );
}

/// `from_vars` reads the forms a Flask config or environment holds.
#[test]
fn from_vars_parsing() {
    // Booleans in several spellings.
    for (value, expected) in [
        ("true", true),
        ("True", true),
        ("1", true),
        ("yes", true),
        ("on", true),
        ("false", false),
        ("False", false),
        ("0", false),
        ("no", false),
        ("off", false),
    ] {
        assert_eq!(
            vars(&[("JWT_COOKIE_SECURE", value)]).cookie_secure(),
            expected,
            "{value:?}"
        );
    }
    // SameSite, case-insensitive; empty means unset.
    assert_eq!(
        vars(&[("JWT_COOKIE_SAMESITE", "lax")]).cookie_samesite(),
        Some(SameSite::Lax)
    );
    assert_eq!(
        vars(&[("JWT_COOKIE_SAMESITE", "None")]).cookie_samesite(),
        Some(SameSite::None)
    );
    assert_eq!(vars(&[("JWT_COOKIE_SAMESITE", "")]).cookie_samesite(), None);
    // Lists: comma-separated or JSON.
    assert_eq!(
        vars(&[("JWT_CSRF_METHODS", "POST, DELETE")]).csrf_methods(),
        ["POST", "DELETE"]
    );
    assert_eq!(
        vars(&[("JWT_CSRF_METHODS", r#"["PUT"]"#)]).csrf_methods(),
        ["PUT"]
    );
    // Audiences: one string, a comma list or a JSON list.
    let one = vars(&[("JWT_ENCODE_AUDIENCE", "api")]);
    assert_eq!(one.encode_audience(), Some(&OneOrMany::One("api".into())));
    let many = vars(&[("JWT_ENCODE_AUDIENCE", r#"["a", "b"]"#)]);
    assert_eq!(
        many.encode_audience(),
        Some(&OneOrMany::Many(vec!["a".into(), "b".into()]))
    );
    assert_eq!(
        vars(&[("JWT_DECODE_ISSUER", "me, you")]).decode_issuer(),
        Some(&["me".to_owned(), "you".to_owned()][..])
    );
    assert_eq!(vars(&[("JWT_DECODE_AUDIENCE", "")]).decode_audience(), None);
    // Leeway in seconds, fractions allowed.
    assert_eq!(
        vars(&[("JWT_DECODE_LEEWAY", "1.5")]).decode_leeway(),
        Duration::from_millis(1500)
    );
    // Empty secrets and domains mean unset.
    let empty = vars(&[("JWT_SECRET_KEY", ""), ("JWT_COOKIE_DOMAIN", "")]);
    assert!(empty.secret_key().is_none() && empty.cookie_domain().is_none());
    // Unknown names change nothing (from_vars keeps a warning for unknown
    // JWT_* names, see tests/env_config.rs) and set reports them.
    let ignored = vars(&[("UNRELATED", "x"), ("JWT_NOT_AN_OPTION", "y")]);
    assert_eq!(snapshot(&ignored), reference_defaults());
    let mut config = JwtConfig::new();
    assert_eq!(config.set("JWT_NOT_AN_OPTION", "y"), Ok(false));
    assert_eq!(config.set("JWT_HEADER_TYPE", "JWT"), Ok(true));
    assert_eq!(config.header_type(), "JWT");
    // Keys by content.
    let pem = key("rsa2048_public.pem");
    assert_eq!(
        vars(&[("JWT_PUBLIC_KEY", &pem)]).public_key(),
        Some(pem.as_str())
    );
}

/// The overridden configuration at work on a route: no headers, a query
/// parameter with a prefix, the combined message under the custom key.
#[tokio::test]
async fn overridden_config_in_a_request() {
    let manager = JwtManager::new(vars(&overridden_vars())).unwrap_or_else(|e| panic!("{e}"));
    let token = manager
        .create_access_token("username")
        .unwrap_or_else(|e| panic!("{e}"));
    let claims = payload(&token);
    assert_eq!(claims["foo"], "username");
    assert_eq!(claims["iss"], "TestEncodeIssuer");
    assert_eq!(claims["aud"], "aud1");
    assert!(claims.get("nbf").is_none());
    assert_eq!(
        claims["exp"].as_i64().unwrap_or(0) - claims["iat"].as_i64().unwrap_or(0),
        300
    );
    assert_eq!(header(&token)["alg"], "HS512");

    let app = app_for(manager);
    let response = http_get(
        &app,
        "/protected",
        &[("TestHeader", &format!("TestType {token}"))],
    )
    .await;
    assert_eq!(response.status, StatusCode::UNAUTHORIZED);
    assert_eq!(
        response.json(),
        json!({"message": "Missing JWT in cookies, query_string or json (Missing cookie \"new_access_cookie\"; Missing 'banana' query paramater; Invalid content-type. Must be application/json.)"})
    );
    // The token was made for another issuer than the app expects.
    let response = http_get(&app, &format!("/protected?banana=kiwi{token}"), &[]).await;
    assert_eq!(
        (response.status, response.json()),
        (
            StatusCode::UNPROCESSABLE_ENTITY,
            json!({"message": "Invalid issuer"})
        )
    );
    let response = http_get(&app, &format!("/protected?banana={token}"), &[]).await;
    assert_eq!(
        response.json(),
        json!({"message": "Invalid value for query parameter 'banana'. Expected the value to start with 'kiwi'"})
    );
}

/// Secrets never show up in `Debug` output.
#[test]
fn secrets_are_redacted() {
    let private = key("rsa2048_private.pem");
    let config = JwtConfig::new()
        .with_secret_key("hunter2-secret")
        .with_flask_secret_key("flask-secret-value")
        .with_private_key(private.clone());
    let debug = format!("{config:?}");
    assert!(!debug.contains("hunter2") && !debug.contains("flask-secret-value"));
    assert!(!debug.contains(private.lines().nth(1).unwrap_or("MII")));
    let manager = manager_with(JwtConfig::new().with_secret_key("hunter2-secret"));
    assert!(!format!("{manager:?}").contains("hunter2"));
}
