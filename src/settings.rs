//! The configuration after validation, with everything the request path
//! needs computed once (header names, the decode algorithm list, claim rules).

use http::HeaderName;
use serde_json::Value;

use crate::config::{
    Algorithm, ConfigError, ConfigWarning, Expiry, JwtConfig, OneOrMany, TokenLocation,
};

/// A validated [`JwtConfig`] plus derived values.
#[derive(Debug, Clone)]
pub(crate) struct Settings {
    pub(crate) config: JwtConfig,
    pub(crate) locations: Vec<TokenLocation>,
    pub(crate) header_name: HeaderName,
    pub(crate) access_csrf_header: HeaderName,
    pub(crate) refresh_csrf_header: HeaderName,
    pub(crate) decode_algorithms: Vec<Algorithm>,
    pub(crate) claim_rules: ClaimRules,
    pub(crate) encode_audience: Option<Value>,
}

fn parse_header_name(option: &'static str, value: &str) -> Result<HeaderName, ConfigError> {
    if value.is_empty() {
        return Err(ConfigError::InvalidHeaderName {
            option,
            value: value.to_owned(),
        });
    }
    HeaderName::from_bytes(value.as_bytes()).map_err(|_| ConfigError::InvalidHeaderName {
        option,
        value: value.to_owned(),
    })
}

fn check_expiry(option: &'static str, expiry: Expiry) -> Result<(), ConfigError> {
    let zero = match expiry {
        Expiry::After(d) => d.is_zero(),
        Expiry::Months { months, plus } => months == 0 && plus.is_zero(),
        _ => false,
    };
    if zero {
        return Err(ConfigError::InvalidValue {
            option,
            reason:
                "a zero lifetime is not allowed (for tokens that never expire use Expiry::Never, or \"false\" in the environment)"
                    .into(),
        });
    }
    Ok(())
}

fn check_name(option: &'static str, value: &str) -> Result<(), ConfigError> {
    if value.is_empty() {
        return Err(ConfigError::InvalidValue {
            option,
            reason: "must not be empty".into(),
        });
    }
    Ok(())
}

/// De-duplicates locations, keeping the first occurrence.
pub(crate) fn dedup_locations(
    locations: impl IntoIterator<Item = TokenLocation>,
) -> Result<Vec<TokenLocation>, ConfigError> {
    let mut out: Vec<TokenLocation> = Vec::with_capacity(4);
    for location in locations {
        if !out.contains(&location) {
            out.push(location);
        }
    }
    if out.is_empty() {
        return Err(ConfigError::EmptyTokenLocation);
    }
    Ok(out)
}

impl Settings {
    /// Validates `config` and computes what the request path needs. The
    /// checks run in a fixed order, so the first problem found is the one
    /// reported.
    pub(crate) fn new(config: JwtConfig) -> Result<Self, ConfigError> {
        let locations = dedup_locations(config.token_location().iter().copied())?;
        let [header_name, access_csrf_header, refresh_csrf_header] = header_names(&config)?;
        check_lifetimes(&config)?;
        check_names_not_empty(&config)?;
        check_cookie_names(&config)?;
        check_decode_lists(&config)?;
        check_leeway(&config)?;
        check_max_token_size(&config)?;
        Ok(Self {
            decode_algorithms: config.decode_algorithms(),
            locations,
            header_name,
            access_csrf_header,
            refresh_csrf_header,
            claim_rules: claim_rules(&config),
            encode_audience: encode_audience(&config),
            config,
        })
    }

    /// What the configuration allows but probably did not mean: the
    /// unknown names met in the environment, then the cookie settings.
    pub(crate) fn warnings(&self) -> Vec<ConfigWarning> {
        let mut warnings = self.config.env_warnings().to_vec();
        warnings.extend(cookie_warnings(&self.config, &self.locations));
        warnings
    }
}

/// The header names, parsed: `JWT_HEADER_NAME`, then the access and the
/// refresh CSRF header.
fn header_names(config: &JwtConfig) -> Result<[HeaderName; 3], ConfigError> {
    Ok([
        parse_header_name("JWT_HEADER_NAME", config.header_name())?,
        parse_header_name(
            "JWT_ACCESS_CSRF_HEADER_NAME",
            config.access_csrf_header_name(),
        )?,
        parse_header_name(
            "JWT_REFRESH_CSRF_HEADER_NAME",
            config.refresh_csrf_header_name(),
        )?,
    ])
}

/// Neither token lifetime may be zero.
fn check_lifetimes(config: &JwtConfig) -> Result<(), ConfigError> {
    check_expiry("JWT_ACCESS_TOKEN_EXPIRES", config.access_token_expires())?;
    check_expiry("JWT_REFRESH_TOKEN_EXPIRES", config.refresh_token_expires())
}

/// The four cookie names, with their options.
fn cookie_names(config: &JwtConfig) -> [(&'static str, &str); 4] {
    [
        ("JWT_ACCESS_COOKIE_NAME", config.access_cookie_name()),
        ("JWT_REFRESH_COOKIE_NAME", config.refresh_cookie_name()),
        (
            "JWT_ACCESS_CSRF_COOKIE_NAME",
            config.access_csrf_cookie_name(),
        ),
        (
            "JWT_REFRESH_CSRF_COOKIE_NAME",
            config.refresh_csrf_cookie_name(),
        ),
    ]
}

/// Cookie names, lookup keys and the identity claim must not be empty.
fn check_names_not_empty(config: &JwtConfig) -> Result<(), ConfigError> {
    let others = [
        ("JWT_QUERY_STRING_NAME", config.query_string_name()),
        ("JWT_JSON_KEY", config.json_key()),
        ("JWT_REFRESH_JSON_KEY", config.refresh_json_key()),
        ("JWT_IDENTITY_CLAIM", config.identity_claim()),
    ];
    for (option, value) in cookie_names(config).into_iter().chain(others) {
        check_name(option, value)?;
    }
    Ok(())
}

/// Cookie names must be valid cookie-name tokens: no spaces, control
/// characters or separators that would break the `Set-Cookie` header.
fn check_cookie_names(config: &JwtConfig) -> Result<(), ConfigError> {
    for (option, value) in cookie_names(config) {
        if value
            .bytes()
            .any(|b| b <= b' ' || b"=;,\"\\\x7f".contains(&b))
        {
            return Err(ConfigError::InvalidValue {
                option,
                reason: format!("{value:?} is not a valid cookie name"),
            });
        }
    }
    Ok(())
}

/// An empty audience or issuer list would refuse every token.
fn check_decode_lists(config: &JwtConfig) -> Result<(), ConfigError> {
    for (option, list) in [
        ("JWT_DECODE_AUDIENCE", config.decode_audience()),
        ("JWT_DECODE_ISSUER", config.decode_issuer()),
    ] {
        if list.is_some_and(<[String]>::is_empty) {
            return Err(ConfigError::InvalidValue {
                option,
                reason: "an empty list would reject every token; leave it unset to skip the check"
                    .into(),
            });
        }
    }
    Ok(())
}

/// The leeway is compared as seconds in floating point: it must be finite.
fn check_leeway(config: &JwtConfig) -> Result<(), ConfigError> {
    if config.decode_leeway().as_secs_f64().is_finite() {
        return Ok(());
    }
    Err(ConfigError::InvalidValue {
        option: "JWT_DECODE_LEEWAY",
        reason: "must be a finite number of seconds".into(),
    })
}

/// A zero `JWT_MAX_TOKEN_SIZE` would refuse every token.
fn check_max_token_size(config: &JwtConfig) -> Result<(), ConfigError> {
    if config.max_token_size() > 0 {
        return Ok(());
    }
    Err(ConfigError::InvalidValue {
        option: "JWT_MAX_TOKEN_SIZE",
        reason: "zero would reject every token".into(),
    })
}

/// The cookie settings browsers would reject, or that leak cookies over
/// plain HTTP.
fn cookie_warnings(config: &JwtConfig, locations: &[TokenLocation]) -> Vec<ConfigWarning> {
    let mut warnings = Vec::new();
    if config.cookie_samesite() == Some(crate::config::SameSite::None) && !config.cookie_secure() {
        warnings.push(ConfigWarning::SameSiteNoneWithoutSecure);
    }
    if locations.contains(&TokenLocation::Cookies)
        && !config.cookie_secure()
        && !config.cookie_secure_is_explicit()
    {
        warnings.push(ConfigWarning::CookiesWithoutSecure);
    }
    warnings
}

/// The claim checks' parameters.
fn claim_rules(config: &JwtConfig) -> ClaimRules {
    ClaimRules {
        leeway: config.decode_leeway().as_secs_f64(),
        audience: config.decode_audience().map(<[String]>::to_vec),
        issuer: config.decode_issuer().map(<[String]>::to_vec),
        verify_sub: config.verify_sub(),
        identity_claim: config.identity_claim().to_owned(),
    }
}

/// `JWT_ENCODE_AUDIENCE` as the JSON value written into new tokens; an
/// empty string or list writes no `aud`.
fn encode_audience(config: &JwtConfig) -> Option<Value> {
    match config.encode_audience() {
        Some(OneOrMany::One(one)) if !one.is_empty() => Some(Value::from(one.as_str())),
        Some(OneOrMany::Many(many)) if !many.is_empty() => Some(Value::from(many.clone())),
        _ => None,
    }
}

/// The parameters of the claim checks (`token::claims`), from the decode
/// options of the configuration.
#[derive(Debug, Clone)]
pub(crate) struct ClaimRules {
    pub(crate) leeway: f64,
    pub(crate) audience: Option<Vec<String>>,
    pub(crate) issuer: Option<Vec<String>>,
    pub(crate) verify_sub: bool,
    pub(crate) identity_claim: String,
}
