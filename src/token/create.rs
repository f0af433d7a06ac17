//! Creating access and refresh tokens.

use std::collections::BTreeMap;
use std::fmt;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::Serialize;
use serde_json::{Map, Value};

use super::issue::{Issuer, SigningKey};
use super::{IdentityClaim, TokenType, keys, now_parts};
use crate::compat::json::{OrderedObject, to_python_json};
use crate::config::{Algorithm, Expiry};
use crate::error::Error;
use crate::messages;

/// Freshness written into the `fresh` claim.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Freshness {
    Flag(bool),
    For(Duration),
    Until(f64),
}

/// Lifetime chosen for one token, overriding the configured one.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Lifetime {
    Configured,
    Expiry(Expiry),
    At(i64),
}

/// Builds one access or refresh token. Get one from
/// [`JwtManager::access_token`](crate::JwtManager::access_token) or
/// [`JwtManager::refresh_token`](crate::JwtManager::refresh_token).
///
/// ```
/// use std::time::Duration;
/// # use jwt_extended::{JwtManager, JwtConfig};
/// # let jwt = JwtManager::new(JwtConfig::new().with_secret_key("secret"))?;
/// let token = jwt
///     .access_token("alice")
///     .fresh(true)
///     .expires_in(Duration::from_secs(600))
///     .additional_claims(serde_json::json!({"role": "admin"}))
///     .additional_headers(serde_json::json!({"kid": "k1"}))
///     .create()?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug)]
#[must_use = "a TokenBuilder does nothing until `.create()` or `.issue()` is called"]
pub struct TokenBuilder<'m> {
    issuer: &'m Issuer,
    token_type: TokenType,
    identity: IdentityClaim,
    fresh: Freshness,
    lifetime: Lifetime,
    claims: Result<Map<String, Value>, Error>,
    headers: Result<Map<String, Value>, Error>,
}

impl<'m> TokenBuilder<'m> {
    pub(crate) fn new(issuer: &'m Issuer, token_type: TokenType, identity: IdentityClaim) -> Self {
        Self {
            issuer,
            token_type,
            identity,
            fresh: Freshness::Flag(false),
            lifetime: Lifetime::Configured,
            claims: Ok(Map::new()),
            headers: Ok(Map::new()),
        }
    }

    /// Marks an access token fresh (`"fresh": true`) or not. Refresh tokens
    /// are never fresh; this is ignored for them.
    pub fn fresh(mut self, fresh: bool) -> Self {
        self.fresh = Freshness::Flag(fresh);
        self
    }

    /// Makes an access token fresh for a while: the `fresh` claim becomes
    /// the float timestamp `now + duration`, like passing a `timedelta` to the
    /// reference.
    pub fn fresh_for(mut self, duration: Duration) -> Self {
        self.fresh = Freshness::For(duration);
        self
    }

    /// Makes an access token fresh until a point in time (a float timestamp
    /// in the `fresh` claim).
    pub fn fresh_until(mut self, until: SystemTime) -> Self {
        self.fresh = Freshness::Until(system_time_f64(until));
        self
    }

    /// Overrides the configured lifetime for this token.
    pub fn expires_in(mut self, duration: Duration) -> Self {
        self.lifetime = Lifetime::Expiry(Expiry::After(duration));
        self
    }

    /// Overrides the configured lifetime with any [`Expiry`].
    pub fn expiry(mut self, expiry: Expiry) -> Self {
        self.lifetime = Lifetime::Expiry(expiry);
        self
    }

    /// Writes no `exp` claim: the token never expires
    /// (`expires_delta=False`).
    pub fn never_expires(mut self) -> Self {
        self.lifetime = Lifetime::Expiry(Expiry::Never);
        self
    }

    /// Sets `exp` to a fixed point in time, which may be in the past (handy
    /// for tests of expired tokens).
    pub fn expires_at(mut self, at: SystemTime) -> Self {
        self.lifetime = Lifetime::At(system_time_f64(at).floor() as i64);
        self
    }

    /// Adds claims (anything that serialises to a JSON object). They are
    /// merged over the additional-claims loader's output and may override
    /// any reserved claim, exactly like the reference's `additional_claims`.
    /// Later calls merge over earlier ones.
    pub fn additional_claims<T: Serialize>(mut self, claims: T) -> Self {
        self.claims = merge_object(self.claims, &claims, "additional claims");
        self
    }

    /// Adds JOSE header fields (anything that serialises to a JSON object),
    /// merged over the additional-headers loader's output. An `alg` here
    /// changes the signing algorithm, a `typ` of `null` removes `typ`.
    pub fn additional_headers<T: Serialize>(mut self, headers: T) -> Self {
        self.headers = merge_object(self.headers, &headers, "additional headers");
        self
    }

    /// Signs the token and returns it encoded.
    ///
    /// Use [`issue`](Self::issue) instead when you also need the token's
    /// `jti`, CSRF value or expiry (to set cookies, or to record the
    /// session): the bytes are the same.
    ///
    /// # Errors
    /// An [`ErrorKind::Encode`](crate::ErrorKind::Encode) error when the
    /// additional claims or headers are not JSON objects, a header is
    /// invalid (non-string `kid`, unsupported `alg`), or the key loader or
    /// signature fails. Never caused by a client.
    pub fn create(self) -> Result<String, Error> {
        self.sign(|_| ()).map(|(token, ())| token)
    }

    /// Signs the token and returns it with what the manager knows about it
    /// without decoding: its `jti`, CSRF value, expiry and type.
    ///
    /// The encoded token is exactly what [`create`](Self::create) would
    /// have made. Pass the result to the cookie helpers
    /// ([`JwtManager::set_access_cookies`](crate::JwtManager::set_access_cookies),
    /// [`set_jwt_cookies`](crate::JwtManager::set_jwt_cookies), …), which
    /// then take the CSRF value from it instead of verifying the token.
    ///
    /// ```
    /// use jwt_extended::{JwtConfig, JwtManager, TokenType};
    ///
    /// let jwt = JwtManager::new(JwtConfig::new().with_secret_key("secret"))?;
    /// let token = jwt.access_token("alice").fresh(true).issue()?;
    /// assert_eq!(token.token_type(), TokenType::Access);
    /// assert!(token.jti().is_some() && token.csrf().is_some());
    /// assert!(token.expires_at().is_some());
    /// let encoded: String = token.into_string();
    /// assert_eq!(encoded.split('.').count(), 3);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    ///
    /// # Errors
    /// As [`create`](Self::create).
    pub fn issue(self) -> Result<IssuedToken, Error> {
        let token_type = self.token_type;
        let (encoded, facts) = self.sign(Facts::read)?;
        Ok(IssuedToken {
            encoded,
            token_type,
            facts,
        })
    }

    /// The creation steps; `read` picks what the caller wants from the
    /// final payload (nothing, for [`create`](Self::create)).
    fn sign<M>(mut self, read: impl FnOnce(&OrderedObject) -> M) -> Result<(String, M), Error> {
        let issuer = self.issuer;
        let identity = std::mem::replace(&mut self.identity, IdentityClaim::raw(Value::Null));
        let mut header_overrides = issuer.loader_headers(identity.as_value(), self.token_type)?;
        header_overrides.extend(std::mem::replace(&mut self.headers, Ok(Map::new()))?);
        let mut claim_overrides = issuer.loader_claims(identity.as_value(), self.token_type)?;
        claim_overrides.extend(std::mem::replace(&mut self.claims, Ok(Map::new()))?);
        let signing = issuer.signing_key(identity.as_value())?;

        let now = Now::read();
        let payload = self.payload(now, identity.into_value(), claim_overrides)?;
        let configured = signing.algorithm().unwrap_or(issuer.rules.algorithm);
        let (header, algorithm) = header(configured, &signing, header_overrides)?;
        let token = encode_and_sign(&header, &payload, algorithm, &signing)?;
        Ok((token, read(&payload)))
    }

    /// The payload in the reference's order: `fresh`, `iat`, `jti`, `type`,
    /// identity, `nbf`, `csrf`, `aud`, `iss`, `exp`, then the additional
    /// claims over them.
    fn payload(
        &self,
        now: Now,
        identity: Value,
        claim_overrides: Map<String, Value>,
    ) -> Result<OrderedObject, Error> {
        let rules = &self.issuer.rules;
        let mut payload = OrderedObject::with_capacity(12);
        payload.insert("fresh", self.fresh_claim(now));
        payload.insert("iat", Value::from(now.secs));
        payload.insert("jti", Value::from(uuid::Uuid::new_v4().to_string()));
        payload.insert("type", Value::from(self.token_type.as_str()));
        payload.insert(rules.identity_claim.as_str(), identity);
        if rules.encode_nbf {
            payload.insert("nbf", Value::from(now.secs));
        }
        if rules.csrf_claim {
            payload.insert("csrf", Value::from(uuid::Uuid::new_v4().to_string()));
        }
        if let Some(aud) = &rules.audience {
            payload.insert("aud", aud.clone());
        }
        if let Some(iss) = &rules.issuer {
            payload.insert("iss", Value::from(iss.as_str()));
        }
        if let Some(exp) = self.exp_claim(now) {
            payload.insert("exp", Value::from(exp));
        }
        for (key, value) in claim_overrides {
            payload.insert(key, value);
        }
        check_payload(&payload, rules)?;
        Ok(payload)
    }

    /// `fresh`: never for refresh tokens; a flag, or a float timestamp.
    fn fresh_claim(&self, now: Now) -> Value {
        match (self.token_type, self.fresh) {
            (TokenType::Refresh, _) => Value::Bool(false),
            (_, Freshness::Flag(flag)) => Value::Bool(flag),
            (_, Freshness::For(d)) => {
                let micros = now.total_micros + d.as_micros() as i128;
                float_value(micros as f64 / 1e6)
            }
            (_, Freshness::Until(ts)) => float_value(ts),
        }
    }

    /// `exp` in whole seconds, or `None` for a token that never expires.
    fn exp_claim(&self, now: Now) -> Option<i64> {
        let rules = &self.issuer.rules;
        let expiry = match self.lifetime {
            Lifetime::At(at) => return Some(at),
            Lifetime::Expiry(expiry) => expiry,
            Lifetime::Configured => match self.token_type {
                TokenType::Access => rules.access_expires,
                TokenType::Refresh => rules.refresh_expires,
            },
        };
        expiry_timestamp(expiry, now.total_micros)
    }
}

/// A token the manager has just created, with what it knows about it
/// without decoding: made by [`TokenBuilder::issue`].
///
/// It is a credential: `Debug` hides the encoded token and the CSRF value;
/// `Display`, [`as_str`](Self::as_str), `AsRef<str>` and `Serialize` (a JSON
/// string) give the encoded token, so it can go straight into a JSON body.
///
/// ```
/// use jwt_extended::{JwtConfig, JwtManager};
///
/// let jwt = JwtManager::new(JwtConfig::new().with_secret_key("secret"))?;
/// let token = jwt.refresh_token("alice").issue()?;
/// let body = serde_json::json!({ "refresh_token": token });
/// assert_eq!(body["refresh_token"], token.as_str());
/// assert!(!format!("{token:?}").contains(token.as_str()));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, PartialEq, Eq)]
pub struct IssuedToken {
    encoded: String,
    token_type: TokenType,
    facts: Facts,
}

/// The claims of a new token the cookie helpers and callers need, read
/// from the final payload (after the additional claims).
#[derive(Clone, PartialEq, Eq)]
struct Facts {
    jti: Option<String>,
    csrf: Option<String>,
    expires_at: Option<i64>,
}

impl Facts {
    fn read(payload: &OrderedObject) -> Self {
        let string = |name: &str| payload.get(name).and_then(Value::as_str).map(str::to_owned);
        Self {
            jti: string("jti"),
            csrf: string("csrf"),
            expires_at: payload
                .get("exp")
                .and_then(crate::compat::python::python_int)
                .map(|exp| exp as i64),
        }
    }
}

impl IssuedToken {
    /// The encoded token (`header.payload.signature`).
    ///
    /// ```
    /// # let jwt = jwt_extended::JwtManager::new(jwt_extended::JwtConfig::new().with_secret_key("k"))?;
    /// let token = jwt.access_token("alice").issue()?;
    /// assert_eq!(token.as_str().split('.').count(), 3);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.encoded
    }

    /// The encoded token, owned.
    ///
    /// ```
    /// # let jwt = jwt_extended::JwtManager::new(jwt_extended::JwtConfig::new().with_secret_key("k"))?;
    /// let token: String = jwt.access_token("alice").issue()?.into_string();
    /// # assert!(!token.is_empty());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[must_use]
    pub fn into_string(self) -> String {
        self.encoded
    }

    /// The kind of token the builder made. (Additional claims may write
    /// another `type` claim; this is still the kind that was asked for.)
    ///
    /// ```
    /// # let jwt = jwt_extended::JwtManager::new(jwt_extended::JwtConfig::new().with_secret_key("k"))?;
    /// use jwt_extended::TokenType;
    ///
    /// assert_eq!(jwt.refresh_token("alice").issue()?.token_type(), TokenType::Refresh);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[must_use]
    pub fn token_type(&self) -> TokenType {
        self.token_type
    }

    /// The `jti` claim: a fresh UUID, unless the additional claims
    /// replaced it (with a string; otherwise `None`).
    ///
    /// ```
    /// # let jwt = jwt_extended::JwtManager::new(jwt_extended::JwtConfig::new().with_secret_key("k"))?;
    /// let token = jwt.access_token("alice").issue()?;
    /// assert_eq!(token.jti().map(str::len), Some(36));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[must_use]
    pub fn jti(&self) -> Option<&str> {
        self.facts.jti.as_deref()
    }

    /// The `csrf` claim: present when `JWT_COOKIE_CSRF_PROTECT` is on (the
    /// default) and a string. It is the value of the CSRF cookie.
    ///
    /// ```
    /// # let jwt = jwt_extended::JwtManager::new(jwt_extended::JwtConfig::new().with_secret_key("k"))?;
    /// let token = jwt.access_token("alice").issue()?;
    /// assert!(token.csrf().is_some());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[must_use]
    pub fn csrf(&self) -> Option<&str> {
        self.facts.csrf.as_deref()
    }

    /// The `exp` claim as Unix seconds; `None` for a token that never
    /// expires.
    ///
    /// ```
    /// # let jwt = jwt_extended::JwtManager::new(jwt_extended::JwtConfig::new().with_secret_key("k"))?;
    /// assert_eq!(jwt.access_token("alice").never_expires().issue()?.expires_at(), None);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[must_use]
    pub fn expires_at(&self) -> Option<i64> {
        self.facts.expires_at
    }
}

impl fmt::Debug for IssuedToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("IssuedToken")
            .field("encoded", &"[redacted]")
            .field("token_type", &self.token_type)
            .field("jti", &self.facts.jti)
            .field("csrf", &self.facts.csrf.as_ref().map(|_| "[redacted]"))
            .field("expires_at", &self.facts.expires_at)
            .finish()
    }
}

impl fmt::Display for IssuedToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.encoded)
    }
}

impl AsRef<str> for IssuedToken {
    fn as_ref(&self) -> &str {
        &self.encoded
    }
}

impl From<IssuedToken> for String {
    fn from(token: IssuedToken) -> Self {
        token.encoded
    }
}

impl Serialize for IssuedToken {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.encoded)
    }
}

/// The creation time, read once per token.
#[derive(Debug, Clone, Copy)]
struct Now {
    secs: i64,
    total_micros: i128,
}

impl Now {
    fn read() -> Self {
        let (secs, micros) = now_parts();
        Self {
            secs,
            total_micros: i128::from(secs) * 1_000_000 + i128::from(micros),
        }
    }
}

/// The checks PyJWT makes on the claims it is asked to encode.
fn check_payload(payload: &OrderedObject, rules: &super::issue::IssueRules) -> Result<(), Error> {
    super::identity::warn_if_unverifiable(
        &rules.identity_claim,
        rules.verify_sub,
        payload.get("sub"),
    );
    if payload.get("iss").is_some_and(|iss| !iss.is_string()) {
        return Err(Error::encode("Issuer (iss) must be a string."));
    }
    Ok(())
}

/// The JOSE header: `typ` and the key's `kid`, the overrides over them, then
/// `alg` (an `alg` override picks the algorithm); keys sorted. Returns the
/// algorithm to sign with.
fn header(
    configured: Algorithm,
    signing: &SigningKey,
    overrides: Map<String, Value>,
) -> Result<(BTreeMap<String, Value>, Algorithm), Error> {
    let mut header = BTreeMap::new();
    header.insert("typ".to_owned(), Value::from("JWT"));
    if let Some(kid) = signing.kid() {
        header.insert("kid".to_owned(), Value::from(kid));
    }
    header.extend(overrides);
    let algorithm = match header.get("alg") {
        Some(alg) if !crate::compat::python::is_falsy(alg) => alg
            .as_str()
            .and_then(keys::parse_algorithm)
            .ok_or_else(|| Error::encode("Algorithm not supported"))?,
        _ => configured,
    };
    header.insert(
        "alg".to_owned(),
        Value::from(keys::algorithm_name(algorithm)),
    );
    if header
        .get("typ")
        .is_some_and(crate::compat::python::is_falsy)
    {
        header.remove("typ");
    }
    if header.get("kid").is_some_and(|kid| !kid.is_string()) {
        return Err(Error::encode(messages::KID_NOT_A_STRING));
    }
    Ok((header, algorithm))
}

/// `base64url(header) . base64url(payload) . base64url(signature)`, the
/// JSON written like Python's `json.dumps`.
fn encode_and_sign(
    header: &BTreeMap<String, Value>,
    payload: &OrderedObject,
    algorithm: Algorithm,
    signing: &SigningKey,
) -> Result<String, Error> {
    let header_json = to_python_json(header)
        .map_err(|e| Error::encode(format!("header is not serializable: {e}")))?;
    let payload_json = to_python_json(payload)
        .map_err(|e| Error::encode(format!("claims are not serializable: {e}")))?;
    let mut token = String::with_capacity((header_json.len() + payload_json.len()) * 4 / 3 + 100);
    URL_SAFE_NO_PAD.encode_string(&header_json, &mut token);
    token.push('.');
    URL_SAFE_NO_PAD.encode_string(&payload_json, &mut token);
    let signature =
        keys::sign_cached(algorithm, signing.shared_key(), token.as_bytes()).map_err(|e| {
            Error::encode(format!(
                "cannot sign with {}: {e}",
                keys::algorithm_name(algorithm)
            ))
        })?;
    token.push('.');
    URL_SAFE_NO_PAD.encode_string(signature, &mut token);
    Ok(token)
}

fn merge_object<T: Serialize + ?Sized>(
    current: Result<Map<String, Value>, Error>,
    extra: &T,
    what: &str,
) -> Result<Map<String, Value>, Error> {
    let mut current = current?;
    match serde_json::to_value(extra) {
        Ok(Value::Object(map)) => {
            current.extend(map);
            Ok(current)
        }
        Ok(Value::Null) => Ok(current),
        Ok(other) => Err(Error::encode(format!(
            "{what} must serialize to a JSON object, not {other}"
        ))),
        Err(e) => Err(Error::encode(format!("{what} are not serializable: {e}")).with_source(e)),
    }
}

fn float_value(f: f64) -> Value {
    serde_json::Number::from_f64(f).map_or(Value::Null, Value::Number)
}

fn system_time_f64(t: SystemTime) -> f64 {
    match t.duration_since(UNIX_EPOCH) {
        Ok(d) => d.as_secs_f64(),
        Err(e) => -e.duration().as_secs_f64(),
    }
}

/// `exp` for a lifetime, in whole seconds (Python truncates `now + delta`).
fn expiry_timestamp(expiry: Expiry, now_micros: i128) -> Option<i64> {
    let end_micros = match expiry {
        Expiry::Never => return None,
        Expiry::After(d) => now_micros + d.as_micros() as i128,
        Expiry::Months { months, plus } => {
            let secs = now_micros.div_euclid(1_000_000);
            let micros = now_micros.rem_euclid(1_000_000);
            let shifted = add_months(i64::try_from(secs).unwrap_or(i64::MAX), months);
            i128::from(shifted) * 1_000_000 + micros + plus.as_micros() as i128
        }
    };
    i64::try_from(end_micros.div_euclid(1_000_000)).ok()
}

/// Adds calendar months to a Unix timestamp (UTC), clamping the day to the
/// target month's length, like `dateutil.relativedelta(months=n)`.
pub(crate) fn add_months(unix_secs: i64, months: u32) -> i64 {
    let days = unix_secs.div_euclid(86_400);
    let time_of_day = unix_secs.rem_euclid(86_400);
    let (y, m, d) = civil_from_days(days);
    let total = i64::from(m) - 1 + i64::from(months);
    let year = y + total.div_euclid(12);
    let month = (total.rem_euclid(12) + 1) as u32;
    let day = d.min(days_in_month(year, month));
    days_from_civil(year, month, day) * 86_400 + time_of_day
}

fn days_in_month(year: i64, month: u32) -> u32 {
    match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        _ if (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 => 29,
        _ => 28,
    }
}

// Howard Hinnant's civil-date algorithms.
fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (if m <= 2 { y + 1 } else { y }, m, d)
}

fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y.rem_euclid(400);
    let m = i64::from(m);
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + i64::from(d) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn months_clamp_like_relativedelta() {
        // 2024-01-31 00:00:00 UTC + 1 month = 2024-02-29
        let jan31 = days_from_civil(2024, 1, 31) * 86_400;
        assert_eq!(add_months(jan31, 1), days_from_civil(2024, 2, 29) * 86_400);
        // 2023-12-15 12:00 + 2 months = 2024-02-15 12:00
        let t = days_from_civil(2023, 12, 15) * 86_400 + 43_200;
        assert_eq!(
            add_months(t, 2),
            days_from_civil(2024, 2, 15) * 86_400 + 43_200
        );
        assert_eq!(civil_from_days(0), (1970, 1, 1));
    }

    #[test]
    fn expiry_truncates_the_sum() {
        // now = 100.7 s, +0.5 s -> 101.2 -> 101
        assert_eq!(
            expiry_timestamp(Expiry::After(Duration::from_millis(500)), 100_700_000),
            Some(101)
        );
        assert_eq!(expiry_timestamp(Expiry::Never, 0), None);
    }
}
