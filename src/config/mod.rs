//! Configuration: every `JWT_*` option of Flask-JWT-Extended, with its default.
//!
//! [`JwtConfig`] is a plain builder. Nothing is checked while you set values;
//! everything is validated once, when the [`JwtManager`](crate::JwtManager) is
//! built, into a [`ConfigError`] that names the offending option. A running
//! server therefore never fails because of its configuration.
//!
//! ```
//! use std::time::Duration;
//! use jwt_extended::config::{JwtConfig, TokenLocation};
//!
//! let config = JwtConfig::new()
//!     .with_secret_key("super-secret")
//!     .with_access_token_expires(Duration::from_secs(3600))
//!     .with_token_location([TokenLocation::Headers, TokenLocation::Cookies]);
//! assert_eq!(config.header_name(), "Authorization");
//! ```
//!
//! ## From the environment
//!
//! A Flask team can carry its settings over unchanged with
//! [`JwtConfig::from_env`] (reads `JWT_SECRET_KEY`, `JWT_TOKEN_LOCATION`, …) or
//! [`JwtConfig::from_prefixed_env`] (reads `FLASK_JWT_SECRET_KEY`, …, like
//! Flask's `app.config.from_prefixed_env()`). To layer the environment over
//! defaults chosen in code, start from them and call
//! [`merge_env`](JwtConfig::merge_env): what the environment sets wins.
//!
//! ```no_run
//! use std::time::Duration;
//! use jwt_extended::JwtConfig;
//!
//! let config = JwtConfig::new()
//!     .with_access_token_expires(Duration::from_secs(3600))
//!     .merge_env()?;
//! # Ok::<(), jwt_extended::config::ConfigError>(())
//! ```
//!
//! Mistakes are caught, not ignored:
//!
//! - a value that does not parse is a [`ConfigError`] naming the variable
//!   and the expected form, e.g. `JWT_ACCESS_TOKEN_EXPIRES: expected whole
//!   seconds or "false", got "1h"`;
//! - an unknown `JWT_*` name (`JWT_ACCES_TOKEN_EXPIRES`) is a
//!   [`ConfigWarning::UnknownOption`] with the closest option as a "did you
//!   mean" suggestion: logged when the manager is built and returned by
//!   [`build_with_warnings`](crate::JwtManagerBuilder::build_with_warnings);
//!   in strict mode ([`JwtConfig::from_env_strict`],
//!   [`EnvOptions::deny_unknown`]) it is a [`ConfigError::UnknownOption`].
//!
//! ```
//! use jwt_extended::config::{ConfigError, JwtConfig};
//!
//! let error = JwtConfig::from_vars([("JWT_ACCESS_TOKEN_EXPIRES", "1h")]).unwrap_err();
//! assert_eq!(
//!     error.to_string(),
//!     r#"JWT_ACCESS_TOKEN_EXPIRES: expected whole seconds or "false", got "1h""#
//! );
//! # let _: ConfigError = error;
//! ```
//!
//! [`OPTION_NAMES`] lists the 45 option names the environment readers know
//! (the reference's 43 and our additions `JWT_MAX_TOKEN_SIZE` and
//! `JWT_SECRET_KEY_FALLBACKS`).
//! Algorithms are the crate's own [`Algorithm`] enum (also at the crate
//! root), which converts to and from `jsonwebtoken`'s.

// Split by role: `algorithm` is the Algorithm type, `options` declares every option once (the struct, its
// defaults, setters, getters, environment names and parsers, OPTION_NAMES),
// `types` holds the value types, `error` the ConfigError, `warning` the
// ConfigWarning (and the "did you mean" suggestion), and `env` the
// environment readers (EnvOptions) and value parsers.
mod algorithm;
mod env;
mod error;
mod options;
mod types;
mod warning;

pub use algorithm::Algorithm;
pub use env::EnvOptions;
pub use error::ConfigError;
pub use options::{DEFAULT_MAX_TOKEN_SIZE, JwtConfig, NON_SESSION_COOKIE_MAX_AGE, OPTION_NAMES};
#[allow(deprecated)]
pub use types::Audience;
pub use types::{Expiry, OneOrMany, SameSite, Secret, TokenLocation};
pub use warning::ConfigWarning;

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn defaults_match_the_reference() {
        let c = JwtConfig::new();
        assert_eq!(c.token_location(), [TokenLocation::Headers]);
        assert_eq!(c.access_cookie_name(), "access_token_cookie");
        assert_eq!(c.csrf_methods(), ["POST", "PUT", "PATCH", "DELETE"]);
        assert_eq!(
            c.access_token_expires(),
            Expiry::After(Duration::from_secs(900))
        );
        assert_eq!(
            c.refresh_token_expires(),
            Expiry::After(Duration::from_secs(2_592_000))
        );
        assert_eq!(c.decode_algorithms(), vec![Algorithm::HS256]);
        assert_eq!(c.cookie_max_age(), None);
        assert_eq!(c.error_message_key(), "msg");
        assert!(c.verify_sub());
    }

    #[test]
    fn env_values_parse() {
        let c = JwtConfig::from_vars([
            ("JWT_ACCESS_TOKEN_EXPIRES", "60"),
            ("JWT_REFRESH_TOKEN_EXPIRES", "False"),
            ("JWT_TOKEN_LOCATION", r#"["cookies", "json"]"#),
            ("JWT_CSRF_METHODS", "GET"),
            ("JWT_COOKIE_SAMESITE", "strict"),
            ("JWT_DECODE_ALGORITHMS", "HS512"),
            ("JWT_ALGORITHM", "RS256"),
            ("JWT_SESSION_COOKIE", "false"),
            ("UNRELATED", "x"),
        ])
        .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            c.access_token_expires(),
            Expiry::After(Duration::from_secs(60))
        );
        assert_eq!(c.refresh_token_expires(), Expiry::Never);
        assert_eq!(
            c.token_location(),
            [TokenLocation::Cookies, TokenLocation::Json]
        );
        assert_eq!(c.csrf_methods(), ["GET"]);
        assert_eq!(c.cookie_samesite(), Some(SameSite::Strict));
        assert_eq!(
            c.decode_algorithms(),
            vec![Algorithm::HS512, Algorithm::RS256]
        );
        assert_eq!(c.cookie_max_age(), Some(31_540_000));
    }

    #[test]
    fn env_errors_name_the_option() {
        let err = JwtConfig::from_vars([("JWT_ACCESS_TOKEN_EXPIRES", "banana")]).unwrap_err();
        assert_eq!(err.option(), "JWT_ACCESS_TOKEN_EXPIRES");
        let err = JwtConfig::from_vars([("JWT_TOKEN_LOCATION", "banana")]).unwrap_err();
        assert_eq!(err.option(), "JWT_TOKEN_LOCATION");
        let err = JwtConfig::from_vars([("JWT_ALGORITHM", "ES256K")]).unwrap_err();
        assert_eq!(err.option(), "JWT_ALGORITHM");
        let err = JwtConfig::from_vars([("JWT_COOKIE_SECURE", "maybe")]).unwrap_err();
        assert_eq!(err.option(), "JWT_COOKIE_SECURE");
    }

    #[test]
    fn secrets_are_redacted() {
        let c = JwtConfig::new()
            .with_secret_key("hunter2-very-secret")
            .with_private_key("-----BEGIN PRIVATE KEY-----");
        let debug = format!("{c:?}");
        assert!(!debug.contains("hunter2"));
        assert!(!debug.contains("BEGIN"));
    }

    #[test]
    fn flask_secret_key_is_the_fallback() {
        let c = JwtConfig::new().with_flask_secret_key("flask");
        assert_eq!(c.secret_key().map(Secret::expose), Some(&b"flask"[..]));
        let c = c.with_secret_key("jwt");
        assert_eq!(c.secret_key().map(Secret::expose), Some(&b"jwt"[..]));
    }

    #[test]
    fn option_names_are_sorted_and_unique() {
        // The reference's 43 and our JWT_MAX_TOKEN_SIZE and
        // JWT_SECRET_KEY_FALLBACKS.
        assert_eq!(OPTION_NAMES.len(), 45);
        assert!(OPTION_NAMES.windows(2).all(|w| w[0] < w[1]));
        assert!(OPTION_NAMES.iter().all(|n| n.starts_with("JWT_")));
    }

    #[test]
    fn option_names_are_all_settable() {
        for &name in OPTION_NAMES {
            let mut c = JwtConfig::new();
            let sample = match name {
                "JWT_ACCESS_TOKEN_EXPIRES"
                | "JWT_REFRESH_TOKEN_EXPIRES"
                | "JWT_DECODE_LEEWAY"
                | "JWT_MAX_TOKEN_SIZE" => "5",
                "JWT_ALGORITHM" | "JWT_DECODE_ALGORITHMS" => "HS384",
                "JWT_TOKEN_LOCATION" => "json",
                "JWT_COOKIE_SAMESITE" => "Lax",
                n if n.ends_with("_PROTECT")
                    || n.ends_with("_SECURE")
                    || n.ends_with("_FORM")
                    || n.ends_with("_IN_COOKIES")
                    || n.ends_with("_NBF")
                    || n.ends_with("_SESSION_COOKIE")
                    || n.ends_with("_VERIFY_SUB") =>
                {
                    "false"
                }
                _ => "x",
            };
            assert_eq!(c.set(name, sample), Ok(true), "{name}");
        }
    }
}
