//! Reading a configuration from `(name, value)` pairs: the process
//! environment, a prefixed environment, or any list of Flask option names.
//!
//! [`EnvOptions`] says how: a prefix, strict mode for unknown `JWT_*` names,
//! names to ignore.
//!
//! Each option's table row in [`options`](super::options) names the parser
//! below that turns its text into the field's value. The parsers accept the
//! forms a Flask config holds: numbers of seconds or `false` for lifetimes,
//! `true`/`false` (or `1`/`0`, `yes`/`no`, `on`/`off`) for switches, and
//! comma-separated or JSON lists.

use std::time::Duration;

use super::options::OPTION_NAMES;
use super::warning::closest_option;
use super::{
    Algorithm, ConfigError, ConfigWarning, Expiry, JwtConfig, OneOrMany, SameSite, Secret,
    TokenLocation,
};

/// How [`JwtConfig`] reads the environment: an optional prefix, what to
/// do with unknown `JWT_*` names, and names to leave alone.
///
/// By default an unknown `JWT_*` name (a typo such as
/// `JWT_ACCES_TOKEN_EXPIRES`) is ignored with a [`ConfigWarning`], which the
/// manager logs when it is built and returns from
/// [`build_with_warnings`](crate::JwtManagerBuilder::build_with_warnings).
/// [`deny_unknown`](Self::deny_unknown) makes it a
/// [`ConfigError::UnknownOption`] instead: the strict mode, for services
/// whose environment holds only their own settings.
///
/// ```
/// use jwt_extended::config::{ConfigError, EnvOptions, JwtConfig};
///
/// let strict = EnvOptions::new().deny_unknown();
/// let error = JwtConfig::new()
///     .merge_vars_with([("JWT_ACCES_TOKEN_EXPIRES", "3600")], &strict)
///     .unwrap_err();
/// assert_eq!(
///     error.to_string(),
///     "JWT_ACCES_TOKEN_EXPIRES: not a known option (did you mean JWT_ACCESS_TOKEN_EXPIRES?)"
/// );
///
/// // Another tool's variable that happens to start with JWT_:
/// let strict = strict.add_ignored("JWT_AUDIT_LOG");
/// assert!(JwtConfig::new().merge_vars_with([("JWT_AUDIT_LOG", "on")], &strict).is_ok());
/// # Ok::<(), ConfigError>(())
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct EnvOptions {
    prefix: Option<String>,
    deny_unknown: bool,
    ignored: Vec<String>,
}

impl EnvOptions {
    /// No prefix, unknown names are warnings, nothing ignored.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// Reads `{prefix}_JWT_SECRET_KEY`, `{prefix}_SECRET_KEY`, … as Flask's
    /// `app.config.from_prefixed_env(prefix)` does; names without the
    /// prefix are skipped.
    #[must_use]
    pub fn with_prefix(mut self, prefix: impl Into<String>) -> Self {
        self.prefix = Some(prefix.into());
        self
    }

    /// Strict mode: an unknown `JWT_*` name is a
    /// [`ConfigError::UnknownOption`] rather than a warning.
    #[must_use]
    pub fn deny_unknown(mut self) -> Self {
        self.deny_unknown = true;
        self
    }

    /// A `JWT_*` name (as found, prefix included) that is not ours and is
    /// neither reported nor read.
    #[must_use]
    pub fn add_ignored(mut self, name: impl Into<String>) -> Self {
        self.ignored.push(name.into());
        self
    }

    /// The option name inside `name`: `name` without the prefix, or `None`
    /// when it lacks the prefix or is ignored.
    fn option_name<'n>(&self, name: &'n str) -> Option<&'n str> {
        if self.ignored.iter().any(|ignored| ignored == name) {
            return None;
        }
        match &self.prefix {
            None => Some(name),
            Some(prefix) => name.strip_prefix(prefix.as_str())?.strip_prefix('_'),
        }
    }

    /// How a user would spell `option` in this environment.
    fn spelled(&self, option: &str) -> String {
        match &self.prefix {
            None => option.to_owned(),
            Some(prefix) => format!("{prefix}_{option}"),
        }
    }
}

impl JwtConfig {
    /// Reads every `JWT_*` option (and Flask's `SECRET_KEY`) from the process
    /// environment, starting from the defaults.
    ///
    /// Values use the forms a Flask config file would: whole seconds or
    /// `false` for lifetimes, `true`/`false` for switches, comma-separated or
    /// JSON lists for `JWT_TOKEN_LOCATION`, `JWT_CSRF_METHODS`,
    /// `JWT_DECODE_ALGORITHMS` and audiences. An unknown `JWT_*` name is a
    /// [`ConfigWarning`] (see [`EnvOptions`]); [`from_env_strict`](Self::from_env_strict)
    /// refuses it. To keep settings made in code unless the environment
    /// sets them, use [`merge_env`](Self::merge_env).
    ///
    /// # Errors
    /// A [`ConfigError`] naming the first option whose value cannot be parsed.
    pub fn from_env() -> Result<Self, ConfigError> {
        Self::new().merge_env()
    }

    /// [`from_env`](Self::from_env) in strict mode: an unknown `JWT_*` name
    /// is a [`ConfigError::UnknownOption`], with the closest option name as
    /// a suggestion.
    ///
    /// # Errors
    /// A [`ConfigError`] for the first unknown name or unparsable value.
    pub fn from_env_strict() -> Result<Self, ConfigError> {
        Self::new().merge_env_with(&EnvOptions::new().deny_unknown())
    }

    /// Like [`from_env`](Self::from_env) for variables named with a prefix,
    /// as Flask's `app.config.from_prefixed_env(prefix)` reads them:
    /// `from_prefixed_env("FLASK")` reads `FLASK_JWT_SECRET_KEY`,
    /// `FLASK_SECRET_KEY`, …
    ///
    /// # Errors
    /// A [`ConfigError`] naming the first option whose value cannot be parsed.
    pub fn from_prefixed_env(prefix: &str) -> Result<Self, ConfigError> {
        Self::new().merge_env_with(&EnvOptions::new().with_prefix(prefix))
    }

    /// Builds a configuration from `(name, value)` pairs using the Flask
    /// option names, starting from the defaults. Names that do not start
    /// with `JWT_` (other than `SECRET_KEY`) are skipped; unknown `JWT_*`
    /// names are [`ConfigWarning::UnknownOption`]s, reported when the manager
    /// is built. Handy in tests: no process environment involved.
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
        Self::new().merge_vars(vars)
    }

    /// Layers the process environment over this configuration: options the
    /// environment sets win, the others keep the values set in code.
    ///
    /// ```no_run
    /// use std::time::Duration;
    /// use jwt_extended::JwtConfig;
    ///
    /// // One hour unless JWT_ACCESS_TOKEN_EXPIRES says otherwise.
    /// let config = JwtConfig::new()
    ///     .with_access_token_expires(Duration::from_secs(3600))
    ///     .merge_env()?;
    /// # Ok::<(), jwt_extended::config::ConfigError>(())
    /// ```
    ///
    /// # Errors
    /// A [`ConfigError`] naming the first option whose value cannot be parsed.
    pub fn merge_env(self) -> Result<Self, ConfigError> {
        self.merge_env_with(&EnvOptions::new())
    }

    /// [`merge_env`](Self::merge_env) with a prefix, strict mode or ignored
    /// names ([`EnvOptions`]).
    ///
    /// ```no_run
    /// use jwt_extended::config::{EnvOptions, JwtConfig};
    ///
    /// let config = JwtConfig::new()
    ///     .merge_env_with(&EnvOptions::new().with_prefix("MYAPP").deny_unknown())?;
    /// # Ok::<(), jwt_extended::config::ConfigError>(())
    /// ```
    ///
    /// # Errors
    /// A [`ConfigError`] for the first unparsable value (or, in strict mode,
    /// unknown name). A variable that is not valid UTF-8 is skipped, unless
    /// it names an option: then it is an error.
    pub fn merge_env_with(self, options: &EnvOptions) -> Result<Self, ConfigError> {
        let mut config = self;
        for (name, value) in std::env::vars_os() {
            let Some(name) = name.to_str() else {
                continue;
            };
            match value.into_string() {
                Ok(value) => config.merge_var(name, &value, options)?,
                Err(_) => config.merge_var_not_utf8(name, options)?,
            }
        }
        Ok(config)
    }

    /// Layers `(name, value)` pairs over this configuration, like
    /// [`merge_env`](Self::merge_env) does with the environment.
    ///
    /// ```
    /// use std::time::Duration;
    /// use jwt_extended::config::{Expiry, JwtConfig};
    ///
    /// let config = JwtConfig::new()
    ///     .with_access_token_expires(Duration::from_secs(3600))
    ///     .with_header_type("JWT")
    ///     .merge_vars([("JWT_HEADER_TYPE", "Token")])?;
    /// assert_eq!(config.access_token_expires(), Expiry::After(Duration::from_secs(3600)));
    /// assert_eq!(config.header_type(), "Token");
    /// # Ok::<(), jwt_extended::config::ConfigError>(())
    /// ```
    ///
    /// # Errors
    /// A [`ConfigError`] naming the first option whose value cannot be parsed.
    pub fn merge_vars<K, V>(
        self,
        vars: impl IntoIterator<Item = (K, V)>,
    ) -> Result<Self, ConfigError>
    where
        K: AsRef<str>,
        V: AsRef<str>,
    {
        self.merge_vars_with(vars, &EnvOptions::new())
    }

    /// [`merge_vars`](Self::merge_vars) with a prefix, strict mode or
    /// ignored names ([`EnvOptions`]).
    ///
    /// # Errors
    /// A [`ConfigError`] for the first unparsable value (or, in strict mode,
    /// unknown name).
    pub fn merge_vars_with<K, V>(
        self,
        vars: impl IntoIterator<Item = (K, V)>,
        options: &EnvOptions,
    ) -> Result<Self, ConfigError>
    where
        K: AsRef<str>,
        V: AsRef<str>,
    {
        let mut config = self;
        for (name, value) in vars {
            config.merge_var(name.as_ref(), value.as_ref(), options)?;
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

    /// Reads one variable: sets the option it names, reports an unknown
    /// `JWT_*` name, skips anything else.
    fn merge_var(
        &mut self,
        name: &str,
        value: &str,
        options: &EnvOptions,
    ) -> Result<(), ConfigError> {
        let Some(option) = options.option_name(name) else {
            return Ok(());
        };
        if self.set(option, value)? || !looks_like_option(option) {
            return Ok(());
        }
        self.unknown_option(name, option, options)
    }

    /// A variable whose value is not UTF-8: an error if it names an option.
    fn merge_var_not_utf8(&mut self, name: &str, options: &EnvOptions) -> Result<(), ConfigError> {
        let Some(option) = options.option_name(name) else {
            return Ok(());
        };
        match known_option(option) {
            Some(option) => Err(ConfigError::invalid(option, "the value is not valid UTF-8")),
            None if looks_like_option(option) => self.unknown_option(name, option, options),
            None => Ok(()),
        }
    }

    /// An unknown `JWT_*` name: an error in strict mode, else a warning
    /// kept for the manager's builder.
    fn unknown_option(
        &mut self,
        name: &str,
        option: &str,
        options: &EnvOptions,
    ) -> Result<(), ConfigError> {
        let name = name.to_owned();
        let suggestion = closest_option(option).map(|known| options.spelled(known));
        if options.deny_unknown {
            return Err(ConfigError::UnknownOption { name, suggestion });
        }
        self.env_warnings
            .push(ConfigWarning::UnknownOption { name, suggestion });
        Ok(())
    }
}

/// Whether a name is meant for this crate: `JWT_…` in any case.
fn looks_like_option(name: &str) -> bool {
    name.get(..4)
        .is_some_and(|start| start.eq_ignore_ascii_case("JWT_"))
}

/// The static spelling of a known option name (or `SECRET_KEY`).
fn known_option(name: &str) -> Option<&'static str> {
    OPTION_NAMES
        .iter()
        .chain(&["SECRET_KEY"])
        .find(|known| **known == name)
        .copied()
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

/// A list of secrets, read like [`list`]: a JSON list of strings, or
/// comma-separated values (then a secret cannot contain a comma).
pub(super) fn secrets(option: &'static str, value: &str) -> Result<Vec<Secret>, ConfigError> {
    list(option, value).map(|values| values.into_iter().map(Secret::from).collect())
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
            format!("expected true or false (or 1/0, yes/no, on/off), got {value:?}"),
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
pub(super) fn audience(
    option: &'static str,
    value: &str,
) -> Result<Option<OneOrMany>, ConfigError> {
    let trimmed = value.trim();
    if trimmed.is_empty() {
        return Ok(None);
    }
    if trimmed.starts_with('[') || trimmed.contains(',') {
        let list = list(option, trimmed)?;
        return Ok((!list.is_empty()).then_some(OneOrMany::Many(list)));
    }
    Ok(Some(OneOrMany::One(
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

/// A size: a whole number of bytes.
pub(super) fn size(option: &'static str, value: &str) -> Result<usize, ConfigError> {
    value.trim().parse().map_err(|_| {
        ConfigError::invalid(
            option,
            format!("expected a whole number of bytes, got {value:?}"),
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
            format!("expected whole seconds or \"false\", got {value:?}"),
        )),
    }
}
