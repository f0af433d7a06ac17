//! Decoding tokens and the request flow (the reference's
//! `verify_jwt_in_request`): locate, decode, type, freshness, revocation,
//! custom verification, user lookup.

use std::fmt;
use std::sync::Arc;

use http::Method;
use serde_json::{Map, Value};

use super::JwtManager;
use crate::compat::python::python_str;
use crate::config::{Algorithm, TokenLocation};
use crate::error::{Error, ErrorKind};
use crate::hooks::AnyUser;
use crate::issuers::Route;
use crate::messages;
use crate::request::{self, RequestParts};
use crate::settings::ClaimRules;
use crate::token::claims::{self, ClaimSource, Expiration};
use crate::token::jws;
use crate::token::scan::Claim;
use crate::token::{DecodedToken, now_f64};

/// The arguments of the reference's `jwt_required(...)` /
/// `verify_jwt_in_request(...)` for one route.
///
/// Constant-constructible, so route requirements cost nothing per request:
///
/// ```
/// use jwt_extended::{VerifyOptions, config::TokenLocation};
///
/// const ADMIN: VerifyOptions = VerifyOptions::new()
///     .fresh(true)
///     .locations(&[TokenLocation::Headers]);
/// assert!(ADMIN.is_fresh());
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct VerifyOptions {
    optional: bool,
    fresh: bool,
    refresh: bool,
    locations: Option<&'static [TokenLocation]>,
    verify_type: bool,
    skip_revocation_check: bool,
    check_csrf: bool,
}

impl Default for VerifyOptions {
    fn default() -> Self {
        Self::new()
    }
}

impl VerifyOptions {
    /// A required access token from the configured locations (the
    /// reference's `jwt_required()`).
    #[must_use]
    pub const fn new() -> Self {
        Self {
            optional: false,
            fresh: false,
            refresh: false,
            locations: None,
            verify_type: true,
            skip_revocation_check: false,
            check_csrf: true,
        }
    }

    /// `optional=`: no token at all is fine (an invalid one is not).
    #[must_use]
    pub const fn optional(mut self, optional: bool) -> Self {
        self.optional = optional;
        self
    }

    /// `fresh=`: require a fresh token.
    #[must_use]
    pub const fn fresh(mut self, fresh: bool) -> Self {
        self.fresh = fresh;
        self
    }

    /// `refresh=`: require a refresh token (and read refresh cookie/JSON names).
    #[must_use]
    pub const fn refresh(mut self, refresh: bool) -> Self {
        self.refresh = refresh;
        self
    }

    /// `locations=`: look only here, in this order. An empty slice means
    /// the configured locations, like the reference.
    #[must_use]
    pub const fn locations(mut self, locations: &'static [TokenLocation]) -> Self {
        self.locations = Some(locations);
        self
    }

    /// `verify_type=`: when `false`, accept access and refresh tokens alike.
    #[must_use]
    pub const fn verify_type(mut self, verify_type: bool) -> Self {
        self.verify_type = verify_type;
        self
    }

    /// `skip_revocation_check=`: do not consult the blocklist.
    #[must_use]
    pub const fn skip_revocation_check(mut self, skip: bool) -> Self {
        self.skip_revocation_check = skip;
        self
    }

    /// Whether a token from a cookie needs its CSRF value (default `true`,
    /// as always in the reference). Turn it off only for a token that a
    /// request carries *besides* one whose CSRF value is checked — the
    /// refresh cookie at logout, next to the access token — so that the
    /// two checks do not fight over the one `X-CSRF-TOKEN` header.
    #[must_use]
    pub const fn csrf(mut self, check: bool) -> Self {
        self.check_csrf = check;
        self
    }

    /// Whether a cookie token's CSRF value is checked.
    #[must_use]
    pub const fn is_csrf_checked(&self) -> bool {
        self.check_csrf
    }

    /// Whether no token is acceptable.
    #[must_use]
    pub const fn is_optional(&self) -> bool {
        self.optional
    }

    /// Whether a fresh token is required.
    #[must_use]
    pub const fn is_fresh(&self) -> bool {
        self.fresh
    }

    /// Whether a refresh token is required.
    #[must_use]
    pub const fn is_refresh(&self) -> bool {
        self.refresh
    }
}

/// The outcome of a successful request verification.
#[derive(Clone)]
pub struct Verified {
    token: DecodedToken,
    location: TokenLocation,
    encoded: Arc<str>,
    user: Option<AnyUser>,
}

impl fmt::Debug for Verified {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Verified")
            .field("token", &self.token)
            .field("location", &self.location)
            .field("user", &self.user.is_some())
            .finish_non_exhaustive()
    }
}

impl Verified {
    /// The outcome for `token`, found at `location` as `encoded`.
    fn new(
        token: DecodedToken,
        location: TokenLocation,
        encoded: &[u8],
        user: Option<AnyUser>,
    ) -> Self {
        // A token that decoded is base64url and dots, so this is always
        // UTF-8; `from_utf8` checks ASCII in bulk, `from_utf8_lossy` byte
        // by byte.
        let encoded: Arc<str> = match std::str::from_utf8(encoded) {
            Ok(text) => Arc::from(text),
            Err(_) => Arc::from(String::from_utf8_lossy(encoded).as_ref()),
        };
        Self {
            token,
            location,
            encoded,
            user,
        }
    }

    /// The verified token.
    #[must_use]
    pub fn token(&self) -> &DecodedToken {
        &self.token
    }

    /// Where the token was found (`get_jwt_request_location()`).
    #[must_use]
    pub fn location(&self) -> TokenLocation {
        self.location
    }

    /// The encoded token as it arrived.
    #[must_use]
    pub fn encoded(&self) -> &str {
        &self.encoded
    }

    /// The user loaded by the user loader, if one is registered and of type `U`.
    #[must_use]
    pub fn user<U: Send + Sync + 'static>(&self) -> Option<&U> {
        self.user.as_ref().and_then(|u| u.downcast_ref::<U>())
    }
}

/// Options for [`JwtManager::decode_token_with`] (the reference's
/// `decode_token(token, csrf_value, allow_expired)`), built like
/// [`VerifyOptions`]: `const` setters over the defaults.
///
/// ```
/// use jwt_extended::DecodeOptions;
///
/// const LOGOUT: DecodeOptions<'static> = DecodeOptions::new().allow_expired(true);
/// assert!(LOGOUT.is_allow_expired());
/// assert_eq!(DecodeOptions::new().csrf_value("c5f1").csrf(), Some("c5f1"));
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct DecodeOptions<'a> {
    csrf_value: Option<&'a str>,
    allow_expired: bool,
}

impl<'a> DecodeOptions<'a> {
    /// Full verification, no CSRF value (what [`JwtManager::decode_token`] does).
    #[must_use]
    pub const fn new() -> Self {
        Self {
            csrf_value: None,
            allow_expired: false,
        }
    }

    /// `csrf_value=`: a CSRF value to compare with the token's `csrf` claim.
    #[must_use]
    pub const fn csrf_value(mut self, value: &'a str) -> Self {
        self.csrf_value = Some(value);
        self
    }

    /// `allow_expired=`: skip the expiry check (everything else is still
    /// verified).
    #[must_use]
    pub const fn allow_expired(mut self, allow: bool) -> Self {
        self.allow_expired = allow;
        self
    }

    /// The CSRF value to compare, if any.
    #[must_use]
    pub const fn csrf(&self) -> Option<&'a str> {
        self.csrf_value
    }

    /// Whether expired tokens are accepted.
    #[must_use]
    pub const fn is_allow_expired(&self) -> bool {
        self.allow_expired
    }
}

impl JwtManager {
    /// Fully verifies a token (signature and claims, identity claim present)
    /// and returns it with the reference's defaults filled in, like
    /// `decode_token(token)`. Type, freshness and revocation are *not*
    /// checked: those belong to the request flow.
    ///
    /// # Errors
    /// Every decoding error of the reference, e.g. `Signature verification
    /// failed` or [`ErrorKind::ExpiredToken`] (carrying the header and claims).
    /// A token longer than `JWT_MAX_TOKEN_SIZE` is refused first, without
    /// decoding, with [`ErrorKind::TokenTooLarge`] and status 413: a call
    /// has no header to blame, so it answers as for a token in a body.
    pub async fn decode_token(&self, token: &str) -> Result<DecodedToken, Error> {
        self.decode_bytes_bounded(token.as_bytes(), None, false)
            .await
    }

    /// [`decode_token`](Self::decode_token) with a CSRF value to check and/or
    /// expiry checking turned off (`decode_token(token, csrf_value,
    /// allow_expired)`).
    ///
    /// # Errors
    /// As [`decode_token`](Self::decode_token), plus the CSRF errors.
    pub async fn decode_token_with(
        &self,
        token: &str,
        options: DecodeOptions<'_>,
    ) -> Result<DecodedToken, Error> {
        self.decode_bytes_bounded(
            token.as_bytes(),
            options.csrf_value.map(str::as_bytes),
            options.allow_expired,
        )
        .await
    }

    /// The JOSE header of a token without verifying anything
    /// (`get_unverified_jwt_headers`). Structural errors are reported as in
    /// [`decode_token`](Self::decode_token).
    ///
    /// # Errors
    /// Malformed-token errors (`Not enough segments`, …), and
    /// [`ErrorKind::TokenTooLarge`] (413) as in
    /// [`decode_token`](Self::decode_token).
    pub fn unverified_header(&self, token: &str) -> Result<Map<String, Value>, Error> {
        request::check_content_size(&self.inner.settings, token.as_bytes())?;
        jws::unverified_header(token.as_bytes())
    }

    /// Decodes a token (full verification) and returns its `jti` (the
    /// reference's `get_jti`).
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let jwt = jwt_extended::JwtManager::new(jwt_extended::JwtConfig::new().with_secret_key("k"))?;
    /// let issued = jwt.access_token("alice").issue()?;
    /// assert_eq!(jwt.decode_jti(issued.as_str()).await?.as_deref(), issued.jti());
    /// # Ok(()) }
    /// ```
    ///
    /// # Errors
    /// As [`decode_token`](Self::decode_token).
    pub async fn decode_jti(&self, token: &str) -> Result<Option<String>, Error> {
        Ok(self.decode_token(token).await?.jti().map(str::to_owned))
    }

    /// Renamed to [`decode_jti`](Self::decode_jti): it decodes the token.
    ///
    /// # Errors
    /// As [`decode_token`](Self::decode_token).
    #[deprecated(
        since = "0.2.0",
        note = "renamed to `decode_jti` (it decodes the token)"
    )]
    pub async fn jti(&self, token: &str) -> Result<Option<String>, Error> {
        self.decode_jti(token).await
    }

    /// Renamed to [`decode_csrf_token`](Self::decode_csrf_token): it decodes
    /// the token.
    ///
    /// # Errors
    /// As [`decode_csrf_token`](Self::decode_csrf_token).
    #[deprecated(
        since = "0.2.0",
        note = "renamed to `decode_csrf_token` (it decodes the token)"
    )]
    pub async fn csrf_token(&self, token: &str) -> Result<String, Error> {
        self.decode_csrf_token(token).await
    }

    /// The `csrf` claim of a token, after full verification
    /// (`get_csrf_token`), for apps that hand the CSRF value to the client
    /// themselves (`JWT_CSRF_IN_COOKIES = false`).
    ///
    /// # Errors
    /// As [`decode_token`](Self::decode_token), and `Missing claim: csrf` if
    /// the token has none.
    pub async fn decode_csrf_token(&self, token: &str) -> Result<String, Error> {
        let decoded = self.decode_token(token).await?;
        decoded
            .csrf()
            .map(str::to_owned)
            .ok_or_else(|| Error::new(ErrorKind::MissingClaim, messages::MISSING_CSRF_CLAIM))
    }

    /// [`decode_bytes`](Self::decode_bytes) for the public calls: a token
    /// over `JWT_MAX_TOKEN_SIZE` is refused first (413). The request path
    /// checked the size where it found the token.
    async fn decode_bytes_bounded(
        &self,
        token: &[u8],
        csrf_value: Option<&[u8]>,
        allow_expired: bool,
    ) -> Result<DecodedToken, Error> {
        request::check_content_size(&self.inner.settings, token)?;
        self.decode_bytes(token, csrf_value, allow_expired).await
    }

    pub(crate) async fn decode_bytes(
        &self,
        token: &[u8],
        csrf_value: Option<&[u8]>,
        allow_expired: bool,
    ) -> Result<DecodedToken, Error> {
        let inner = &*self.inner;
        let rules = &inner.settings.claim_rules;
        let unverified = jws::parse_unverified_with(token, &rules.identity_claim)?;
        if let Some(route) = self.route_of(&unverified) {
            let algorithm = unverified.algorithm(&route.algorithms)?;
            let keys = route.keys(unverified.kid(), algorithm).await?;
            verify_with_any(&unverified, algorithm, &keys)?;
            return self.finish_decode(unverified, &route.rules, None, csrf_value, allow_expired);
        }
        let Some(loader) = &inner.hooks.decode_key else {
            return self.verify_own(unverified, csrf_value, allow_expired);
        };
        // The loader reads the whole header and claims: build them now and
        // keep them for the token.
        let header = unverified.json.header_map();
        let claims = unverified.json.claims_map();
        let key = loader.decode_key(&header, &claims).await?;
        let algorithm = unverified.algorithm(&inner.settings.decode_algorithms)?;
        unverified.verify_signature(algorithm, &key)?;
        self.finish_decode(
            unverified,
            rules,
            Some((header, claims)),
            csrf_value,
            allow_expired,
        )
    }

    /// The end of [`decode_bytes`](Self::decode_bytes) for a token that
    /// is not another issuer's, in a manager without a decode-key loader:
    /// verified with the manager's own keys, then its claims checked.
    fn verify_own(
        &self,
        unverified: jws::Unverified<'_>,
        csrf_value: Option<&[u8]>,
        allow_expired: bool,
    ) -> Result<DecodedToken, Error> {
        let settings = &self.inner.settings;
        let algorithm = unverified.algorithm(&settings.decode_algorithms)?;
        self.verify_with_own_keys(&unverified, algorithm)?;
        self.finish_decode(
            unverified,
            &settings.claim_rules,
            None,
            csrf_value,
            allow_expired,
        )
    }

    /// [`decode_bytes`](Self::decode_bytes) for a manager with neither
    /// other trusted issuers nor a decode-key loader (the caller checked):
    /// the token is verified with the manager's own keys.
    #[cfg_attr(not(feature = "actix"), allow(dead_code))]
    fn decode_own(
        &self,
        token: &[u8],
        csrf_value: Option<&[u8]>,
        allow_expired: bool,
    ) -> Result<DecodedToken, Error> {
        let identity_claim = &self.inner.settings.claim_rules.identity_claim;
        let unverified = jws::parse_unverified_with(token, identity_claim)?;
        self.verify_own(unverified, csrf_value, allow_expired)
    }

    /// The trusted issuer a token names in `iss`, if any.
    fn route_of(&self, unverified: &jws::Unverified<'_>) -> Option<&Route> {
        let issuers = &self.inner.issuers;
        if issuers.is_empty() {
            return None;
        }
        let iss = unverified.claims.claim(Claim::Iss)?.as_str()?;
        issuers.route(iss)
    }

    /// The claim checks after the signature: `rules`, expiry (unless
    /// `allow_expired`), CSRF; the token with the reference's defaults.
    fn finish_decode(
        &self,
        unverified: jws::Unverified<'_>,
        rules: &ClaimRules,
        maps: Option<(Map<String, Value>, Map<String, Value>)>,
        csrf_value: Option<&[u8]>,
        allow_expired: bool,
    ) -> Result<DecodedToken, Error> {
        let inner = &*self.inner;
        let jws::Unverified {
            mut claims, json, ..
        } = unverified;
        let expiration = claims::validate_claims(&mut claims, rules, now_f64(), csrf_value)?;
        let maps = maps.map(|(header, mut full)| {
            claims::fill_defaults(&mut full);
            (header, full)
        });
        if expiration == Expiration::Expired && !allow_expired {
            let (header, full) =
                maps.unwrap_or_else(|| (json.header_map(), json.claims_with_defaults()));
            return Err(Error::new(ErrorKind::ExpiredToken, messages::TOKEN_EXPIRED)
                .with_token(header, full));
        }
        Ok(DecodedToken::new(
            claims,
            json,
            maps,
            inner.identity_claim.clone(),
        ))
    }

    /// Checks the signature with the manager's keys: the key set's key for
    /// the token's `kid` when the set holds keys (an unknown `kid` is a bad
    /// signature), else the configured key, then the
    /// `JWT_SECRET_KEY_FALLBACKS` in order. With a single configured key
    /// this takes no lock and allocates nothing.
    fn verify_with_own_keys(
        &self,
        unverified: &jws::Unverified<'_>,
        algorithm: Algorithm,
    ) -> Result<(), Error> {
        let inner = &*self.inner;
        let keys = &inner.issuer.keys;
        if let Some(kid) = unverified.kid()
            && let Some(found) = keys.verifying_key(kid, algorithm)
        {
            let key = found.ok_or_else(signature_failed)?;
            return unverified.verify_signature(algorithm, &key);
        }
        let primary = match &inner.decoding {
            Some(key) => key,
            None if keys.in_use() => return Err(signature_failed()),
            None if !inner.issuers.is_empty() => return Err(untrusted_issuer(unverified)),
            None => return Err(Error::misconfigured("no verification key is configured")),
        };
        let result = unverified.verify_signature(algorithm, primary);
        if result.is_err()
            && inner
                .fallbacks
                .iter()
                .any(|key| unverified.verify_signature(algorithm, key).is_ok())
        {
            return Ok(());
        }
        result
    }

    /// Verifies the token of a request: the reference's
    /// `verify_jwt_in_request(...)`, for custom extractors and middleware.
    ///
    /// Returns `Ok(None)` for `OPTIONS` requests (exempt, nothing checked)
    /// and for optional routes without a token.
    ///
    /// Order of checks: locate and decode (only a *missing* token falls
    /// through to the next location), token type, freshness, revocation,
    /// custom verification, user lookup.
    ///
    /// # Errors
    /// The first failing check's [`Error`].
    pub async fn verify_request(
        &self,
        request: &RequestParts<'_>,
        options: &VerifyOptions,
    ) -> Result<Option<Verified>, Error> {
        let Some((location, found)) = self.locate(request, options)? else {
            return Ok(None);
        };
        let token = self
            .decode_bytes(&found.token, found.csrf.as_deref(), false)
            .await?;
        self.check_token(&token, options).await?;
        let user = self.load_user(&token).await?;
        Ok(Some(Verified::new(token, location, &found.token, user)))
    }

    /// [`verify_request`](Self::verify_request) without waiting, when no
    /// step of it can wait with this manager and `options`: no other
    /// trusted issuers, no decode-key loader, no revocation check (no
    /// blocklist or loader, or the check skipped), no custom verifier, no
    /// user loader. `None` when one of them is there: call
    /// `verify_request`. The same checks in the same order otherwise, so
    /// adapters can answer without allocating a future.
    #[cfg_attr(not(feature = "actix"), allow(dead_code))]
    pub(crate) fn verify_request_now(
        &self,
        request: &RequestParts<'_>,
        options: &VerifyOptions,
    ) -> Option<Result<Option<Verified>, Error>> {
        if !self.verifies_without_waiting(options) {
            return None;
        }
        let verify = || {
            let Some((location, found)) = self.locate(request, options)? else {
                return Ok(None);
            };
            let token = self.decode_own(&found.token, found.csrf.as_deref(), false)?;
            self.check_type_and_freshness(&token, options)?;
            Ok(Some(Verified::new(token, location, &found.token, None)))
        };
        Some(verify())
    }

    /// Whether no step of a request's verification can wait (see
    /// [`verify_request_now`](Self::verify_request_now)).
    #[cfg_attr(not(feature = "actix"), allow(dead_code))]
    pub(crate) fn verifies_without_waiting(&self, options: &VerifyOptions) -> bool {
        let inner = &*self.inner;
        let hooks = &inner.hooks;
        inner.issuers.is_empty()
            && hooks.decode_key.is_none()
            && (options.skip_revocation_check
                || (hooks.blocklist.is_none() && hooks.blocklist_loader.is_none()))
            && hooks.verifier.is_none()
            && hooks.user_loader.is_none()
    }

    /// Steps 1 and 2 of the flow: the token in the first location that has
    /// one (only a *missing* token falls through to the next location);
    /// `None` for `OPTIONS` and for optional routes without a token.
    fn locate<'r>(
        &self,
        request: &RequestParts<'r>,
        options: &VerifyOptions,
    ) -> Result<Option<(TokenLocation, request::Found<'r>)>, Error> {
        if *request.method == Method::OPTIONS {
            return Ok(None);
        }
        let inner = &*self.inner;
        let locations = match options.locations {
            Some(locations) if !locations.is_empty() => locations,
            _ => inner.settings.locations.as_slice(),
        };

        let mut missing: Vec<String> = Vec::new();
        for &location in locations {
            match request::find_in(
                location,
                &inner.settings,
                request,
                options.refresh,
                options.check_csrf,
            ) {
                Ok(found) => return Ok(Some((location, found))),
                Err(e) if e.kind() == ErrorKind::MissingToken => {
                    missing.push(e.message().to_owned());
                }
                Err(e) => return Err(e),
            }
        }
        if options.optional {
            return Ok(None);
        }
        Err(Error::missing_token(request::combined_missing(
            locations, &missing,
        )))
    }

    /// Steps 4 and 5 of the flow: the token's type and freshness.
    fn check_type_and_freshness(
        &self,
        token: &DecodedToken,
        options: &VerifyOptions,
    ) -> Result<(), Error> {
        if options.verify_type {
            let is_refresh = token.is_refresh();
            if !options.refresh && is_refresh {
                return Err(Error::new(
                    ErrorKind::WrongTokenType,
                    messages::ONLY_ACCESS_TOKENS,
                ));
            }
            if options.refresh && !is_refresh {
                return Err(Error::new(
                    ErrorKind::WrongTokenType,
                    messages::ONLY_REFRESH_TOKENS,
                ));
            }
        }
        if options.fresh && !token.is_fresh_at(now_f64()) {
            return Err(Error::new(
                ErrorKind::FreshTokenRequired,
                messages::FRESH_TOKEN_REQUIRED,
            )
            .with_token(token.header().clone(), token.claims().clone()));
        }
        Ok(())
    }

    /// Steps 4 to 7 of the flow on an already decoded token: type, freshness,
    /// revocation and custom verification.
    async fn check_token(
        &self,
        token: &DecodedToken,
        options: &VerifyOptions,
    ) -> Result<(), Error> {
        self.check_type_and_freshness(token, options)?;
        let with_parts = |e: Error| e.with_token(token.header().clone(), token.claims().clone());
        if !options.skip_revocation_check && self.is_revoked(token).await? {
            return Err(with_parts(Error::new(
                ErrorKind::RevokedToken,
                messages::TOKEN_REVOKED,
            )));
        }
        if let Some(verifier) = &self.inner.hooks.verifier
            && !verifier.verify(token).await
        {
            return Err(with_parts(Error::new(
                ErrorKind::ClaimsVerificationFailed,
                messages::USER_CLAIMS_VERIFICATION_FAILED,
            )));
        }
        Ok(())
    }

    async fn load_user(&self, token: &DecodedToken) -> Result<Option<AnyUser>, Error> {
        let Some(loader) = &self.inner.hooks.user_loader else {
            return Ok(None);
        };
        match loader.load_user(token).await? {
            Some(user) => Ok(Some(user)),
            None => Err(Error::new(
                ErrorKind::UserLookupFailed,
                messages::user_lookup_failed(&python_str(token.identity())),
            )
            .with_token(token.header().clone(), token.claims().clone())),
        }
    }
}

/// Whether one of `keys` verifies the token (the first error otherwise).
fn verify_with_any(
    unverified: &jws::Unverified<'_>,
    algorithm: Algorithm,
    keys: &[Arc<jsonwebtoken::DecodingKey>],
) -> Result<(), Error> {
    let mut result = Err(signature_failed());
    for key in keys {
        result = unverified.verify_signature(algorithm, key);
        if result.is_ok() {
            break;
        }
    }
    result
}

/// A manager that only trusts other issuers, given a token of none of
/// them: the reference's answers for a token failing `JWT_DECODE_ISSUER`.
fn untrusted_issuer(unverified: &jws::Unverified<'_>) -> Error {
    match unverified.claims.claim(Claim::Iss) {
        None => Error::new(
            ErrorKind::MissingClaim,
            messages::missing_required_claim("iss"),
        ),
        Some(Value::String(_)) => Error::new(ErrorKind::InvalidIssuer, messages::INVALID_ISSUER),
        Some(_) => Error::new(ErrorKind::InvalidIssuer, messages::ISSUER_NOT_A_STRING),
    }
}

/// The reference's answer for a token no key of ours verifies.
fn signature_failed() -> Error {
    Error::new(
        ErrorKind::InvalidSignature,
        messages::SIGNATURE_VERIFICATION_FAILED,
    )
}
