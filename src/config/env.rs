//! Reading a configuration from `(name, value)` pairs: the process
//! environment, a prefixed environment, or any list of Flask option names.
//!
//! Each option's table row in [`options`](super::options) names the parser
//! below that turns its text into the field's value. The parsers accept the
//! forms a Flask config holds: numbers of seconds or `false` for lifetimes,
//! `true`/`false` (or `1`/`0`, `yes`/`no`, `on`/`off`) for switches, and
//! comma-separated or JSON lists.

use std::time::Duration;

use super::{Algorithm, Audience, ConfigError, Expiry, JwtConfig, SameSite, Secret, TokenLocation};

impl JwtConfig {
    /// Reads every `JWT_*` option (and Flask's `SECRET_KEY`) from the process
    /// environment, starting from the defaults.
    ///
    /// Values use the forms a Flask config file would: numbers of seconds or
    /// `false` for lifetimes, `true`/`false` for switches, comma-separated or
    /// JSON lists for `JWT_TOKEN_LOCATION`, `JWT_CSRF_METHODS`,
    /// `JWT_DECODE_ALGORITHMS` and audiences.
    ///
    /// # Errors
    /// A [`ConfigError`] naming the first option whose value cannot be parsed.
    pub fn from_env() -> Result<Self, ConfigError> {
        Self::from_vars(std::env::vars())
    }

    /// Like [`from_env`](Self::from_env) for variables named with a prefix,
    /// as Flask's `app.config.from_prefixed_env(prefix)` reads them:
    /// `from_prefixed_env("FLASK")` reads `FLASK_JWT_SECRET_KEY`,
    /// `FLASK_SECRET_KEY`, …
    ///
    /// # Errors
    /// A [`ConfigError`] naming the first option whose value cannot be parsed.
    pub fn from_prefixed_env(prefix: &str) -> Result<Self, ConfigError> {
        let prefix = format!("{prefix}_");
        Self::from_vars(
            std::env::vars()
                .filter_map(|(k, v)| k.strip_prefix(&prefix).map(|k| (k.to_owned(), v))),
        )
    }

    /// Builds a configuration from `(name, value)` pairs using the Flask
    /// option names; unknown names are ignored.
    ///
    /// ```
    /// use jwt_extended::config::{JwtConfig, TokenLocation, Expiry};
    ///
    /// let config = JwtConfig::from_vars([
    ///     ("JWT_SECRET_KEY", "s3cret"),
    ///     ("JWT_ACCESS_TOKEN_EXPIRES", "false"),
    ///     ("JWT_TOKEN_LOCATION", "headers,cookies"),
    /// ])?;
    /// assert_eq!(config.access_token_expires(), Expiry::Never);
    /// assert_eq!(config.token_location(), [TokenLocation::Headers, TokenLocation::Cookies]);
    /// # Ok::<(), jwt_extended::config::ConfigError>(())
    /// ```
    ///
    /// # Errors
    /// A [`ConfigError`] naming the first option whose value cannot be parsed.
    pub fn from_vars<K, V>(vars: impl IntoIterator<Item = (K, V)>) -> Result<Self, ConfigError>
    where
        K: AsRef<str>,
        V: AsRef<str>,
    {
        let mut config = Self::default();
        for (name, value) in vars {
            config.set(name.as_ref(), value.as_ref())?;
        }
        Ok(config)
    }

    /// Sets one option from its Flask name and a string value (the forms of
    /// [`from_env`](Self::from_env)). Returns `false` for unknown names.
    ///
    /// # Errors
    /// A [`ConfigError`] if the value cannot be parsed for that option.
    pub fn set(&mut self, name: &str, value: &str) -> Result<bool, ConfigError> {
        if name == "SECRET_KEY" {
            self.flask_secret_key = Some(value.into());
            return Ok(true);
        }
        self.set_option(name, value)
    }
}

/// Text options: the value as given.
pub(super) fn text(_option: &'static str, value: &str) -> Result<String, ConfigError> {
    Ok(value.to_owned())
}

/// Optional text: an empty value leaves the option unset.
pub(super) fn maybe_text(
    _option: &'static str,
    value: &str,
) -> Result<Option<String>, ConfigError> {
    Ok(non_empty(value))
}

/// A secret: an empty value leaves it unset.
pub(super) fn secret(_option: &'static str, value: &str) -> Result<Option<Secret>, ConfigError> {
    Ok(non_empty(value).map(Secret::from))
}

fn non_empty(value: &str) -> Option<String> {
    (!value.is_empty()).then(|| value.to_owned())
}

/// A switch: `true`/`1`/`yes`/`on` or `false`/`0`/`no`/`off`, any case.
pub(super) fn flag(option: &'static str, value: &str) -> Result<bool, ConfigError> {
    match value.trim().to_ascii_lowercase().as_str() {
        "true" | "1" | "yes" | "on" => Ok(true),
        "false" | "0" | "no" | "off" => Ok(false),
        _ => Err(ConfigError::invalid(
            option,
            format!("expected true or false, got {value:?}"),
        )),
    }
}

/// A switch that remembers it was set (see the `explicit_flag` kind).
pub(super) fn explicit_flag(
    option: &'static str,
    value: &str,
) -> Result<Option<bool>, ConfigError> {
    flag(option, value).map(Some)
}

/// A comma-separated list, or a JSON list of strings (Flask's
/// `from_prefixed_env` parses values as JSON).
pub(super) fn list(option: &'static str, value: &str) -> Result<Vec<String>, ConfigError> {
    let trimmed = value.trim();
    if trimmed.starts_with('[') {
        return serde_json::from_str::<Vec<String>>(trimmed).map_err(|e| {
            ConfigError::invalid(option, format!("expected a JSON list of strings: {e}"))
        });
    }
    if trimmed.starts_with('"')
        && let Ok(single) = serde_json::from_str::<String>(trimmed)
    {
        return Ok(vec![single]);
    }
    Ok(trimmed
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .collect())
}

/// A list of token locations (`headers`, `cookies`, `query_string`, `json`).
pub(super) fn locations(
    option: &'static str,
    value: &str,
) -> Result<Vec<TokenLocation>, ConfigError> {
    list(option, value)?.iter().map(|l| l.parse()).collect()
}

/// An audience or issuer: empty is unset, a list (JSON or with commas) is
/// many, anything else one (a JSON string is unquoted).
pub(super) fn audience(option: &'static str, value: &str) -> Result<Option<Audience>, ConfigError> {
    let trimmed = value.trim();
    if trimmed.is_empty() {
        return Ok(None);
    }
    if trimmed.starts_with('[') || trimmed.contains(',') {
        let list = list(option, trimmed)?;
        return Ok((!list.is_empty()).then_some(Audience::Many(list)));
    }
    Ok(Some(Audience::One(
        serde_json::from_str::<String>(trimmed).unwrap_or_else(|_| trimmed.to_owned()),
    )))
}

/// Accepted audiences or issuers: [`audience`], as a list.
pub(super) fn audiences(
    option: &'static str,
    value: &str,
) -> Result<Option<Vec<String>>, ConfigError> {
    Ok(audience(option, value)?.map(|a| a.as_slice().to_vec()))
}

/// One algorithm name (surrounding spaces ignored).
pub(super) fn algorithm(option: &'static str, value: &str) -> Result<Algorithm, ConfigError> {
    algorithm_name(option, value.trim())
}

/// A list of algorithm names.
pub(super) fn algorithms(option: &'static str, value: &str) -> Result<Vec<Algorithm>, ConfigError> {
    list(option, value)?
        .iter()
        .map(|a| algorithm_name(option, a))
        .collect()
}

fn algorithm_name(option: &'static str, value: &str) -> Result<Algorithm, ConfigError> {
    Algorithm::from_name(value).ok_or_else(|| ConfigError::UnsupportedAlgorithm {
        option,
        value: value.to_owned(),
    })
}

/// The `SameSite` attribute, any case; empty leaves it unset.
pub(super) fn samesite(option: &'static str, value: &str) -> Result<Option<SameSite>, ConfigError> {
    match value.trim().to_ascii_lowercase().as_str() {
        "" => Ok(None),
        "strict" => Ok(Some(SameSite::Strict)),
        "lax" => Ok(Some(SameSite::Lax)),
        "none" => Ok(Some(SameSite::None)),
        _ => Err(ConfigError::invalid(
            option,
            format!("expected Strict, Lax or None, got {value:?}"),
        )),
    }
}

/// A non-negative number of seconds, fractions allowed.
pub(super) fn seconds(option: &'static str, value: &str) -> Result<Duration, ConfigError> {
    let secs: f64 = value.trim().parse().map_err(|_| {
        ConfigError::invalid(
            option,
            format!("expected a number of seconds, got {value:?}"),
        )
    })?;
    Duration::try_from_secs_f64(secs).map_err(|_| {
        ConfigError::invalid(
            option,
            format!("expected a non-negative number of seconds, got {value:?}"),
        )
    })
}

/// A token lifetime: a whole number of seconds, or `false` for never.
pub(super) fn expiry(option: &'static str, value: &str) -> Result<Expiry, ConfigError> {
    let trimmed = value.trim();
    if trimmed.eq_ignore_ascii_case("false") {
        return Ok(Expiry::Never);
    }
    match trimmed.parse::<u64>() {
        Ok(secs) => Ok(Expiry::After(Duration::from_secs(secs))),
        Err(_) => Err(ConfigError::invalid(
            option,
            format!(
                "must be able to add {option} to datetime.datetime: expected a whole number of seconds or false, got {value:?}"
            ),
        )),
    }
}
