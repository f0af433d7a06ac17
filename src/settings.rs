//! The configuration after validation, with everything the request path
//! needs computed once (header names, the decode algorithm list, claim rules).

use http::HeaderName;
use jsonwebtoken::Algorithm;
use serde_json::Value;

use crate::config::{Audience, ConfigError, Expiry, JwtConfig, TokenLocation};

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
                "a zero lifetime is not allowed (use Expiry::Never for tokens that never expire)"
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
    pub(crate) fn new(config: JwtConfig) -> Result<Self, ConfigError> {
        let locations = dedup_locations(config.token_location().iter().copied())?;
        let header_name = parse_header_name("JWT_HEADER_NAME", config.header_name())?;
        let access_csrf_header = parse_header_name(
            "JWT_ACCESS_CSRF_HEADER_NAME",
            config.access_csrf_header_name(),
        )?;
        let refresh_csrf_header = parse_header_name(
            "JWT_REFRESH_CSRF_HEADER_NAME",
            config.refresh_csrf_header_name(),
        )?;
        check_expiry("JWT_ACCESS_TOKEN_EXPIRES", config.access_token_expires())?;
        check_expiry("JWT_REFRESH_TOKEN_EXPIRES", config.refresh_token_expires())?;
        for (option, value) in [
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
            ("JWT_QUERY_STRING_NAME", config.query_string_name()),
            ("JWT_JSON_KEY", config.json_key()),
            ("JWT_REFRESH_JSON_KEY", config.refresh_json_key()),
            ("JWT_IDENTITY_CLAIM", config.identity_claim()),
        ] {
            check_name(option, value)?;
        }
        for (option, value) in [
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
        ] {
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
        if let Some(aud) = config.decode_audience()
            && aud.is_empty()
        {
            return Err(ConfigError::InvalidValue {
                option: "JWT_DECODE_AUDIENCE",
                reason: "an empty list would reject every token; leave it unset to skip the check"
                    .into(),
            });
        }
        if let Some(iss) = config.decode_issuer()
            && iss.is_empty()
        {
            return Err(ConfigError::InvalidValue {
                option: "JWT_DECODE_ISSUER",
                reason: "an empty list would reject every token; leave it unset to skip the check"
                    .into(),
            });
        }
        if !config.decode_leeway().as_secs_f64().is_finite() {
            return Err(ConfigError::InvalidValue {
                option: "JWT_DECODE_LEEWAY",
                reason: "must be a finite number of seconds".into(),
            });
        }
        let encode_audience = match config.encode_audience() {
            Some(Audience::One(one)) if !one.is_empty() => Some(Value::from(one.as_str())),
            Some(Audience::Many(many)) if !many.is_empty() => Some(Value::from(many.clone())),
            _ => None,
        };
        let claim_rules = ClaimRules {
            leeway: config.decode_leeway().as_secs_f64(),
            audience: config.decode_audience().map(<[String]>::to_vec),
            issuer: config.decode_issuer().map(<[String]>::to_vec),
            verify_sub: config.verify_sub(),
            identity_claim: config.identity_claim().to_owned(),
        };
        if config.cookie_samesite() == Some(crate::config::SameSite::None)
            && !config.cookie_secure()
        {
            tracing::warn!(
                "JWT_COOKIE_SAMESITE is None but JWT_COOKIE_SECURE is off: browsers reject such cookies"
            );
        }
        if locations.contains(&TokenLocation::Cookies)
            && !config.cookie_secure()
            && !config.cookie_secure_explicit
        {
            tracing::warn!(
                "tokens are read from cookies but JWT_COOKIE_SECURE is off, so browsers also send them over plain HTTP: \
                 use .with_cookie_secure(true) in production, or set it to false explicitly \
                 (.with_cookie_secure(false) or JWT_COOKIE_SECURE=false) to acknowledge local development over http://"
            );
        }
        Ok(Self {
            decode_algorithms: config.decode_algorithms(),
            locations,
            header_name,
            access_csrf_header,
            refresh_csrf_header,
            claim_rules,
            encode_audience,
            config,
        })
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
