//! [`JwtManager`]: configuration, keys and hooks in one cheap-to-clone
//! handle, and the verification flow of the reference's
//! `verify_jwt_in_request`.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use http::Method;
use serde::Serialize;
use serde_json::{Map, Value};

use crate::blocklist::{Blocklist, BlocklistError, DynBlocklist, FailureMode, Revocation};
use crate::compat::python::python_str;
use crate::config::{ConfigError, JwtConfig, TokenLocation};
use crate::error::{Error, ErrorKind};
use crate::hooks::{
    AnyUser, DecodeKeyLoader, DynDecodeKeyLoader, DynTokenVerifier, DynUserLoader, EncodeKeyFn,
    MapLoader, SigningKey, TokenVerifier, UserLoader,
};
use crate::request::{self, RequestParts};
use crate::settings::Settings;
use crate::token::decode::{self, Expiration};
use crate::token::keys::{self, ConfiguredKeys};
use crate::token::{DecodedToken, Identity, TokenBuilder, TokenType, now_f64};

/// The default time a blocklist store gets to answer before the request is
/// refused with 503.
pub const DEFAULT_BLOCKLIST_TIMEOUT: Duration = Duration::from_secs(2);

/// Holds the validated configuration, the keys and the hooks; creates and
/// verifies tokens. The equivalent of Flask-JWT-Extended's `JWTManager`.
///
/// Cloning is cheap (an `Arc`). Share one manager through axum state
/// (`FromRef`) or the `JwtLayer`.
///
/// ```
/// use jwt_extended::{JwtConfig, JwtManager};
///
/// let jwt = JwtManager::new(JwtConfig::new().with_secret_key("super-secret"))?;
/// let token = jwt.create_access_token("alice")?;
/// assert_eq!(token.split('.').count(), 3);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone)]
pub struct JwtManager {
    inner: Arc<Inner>,
}

pub(crate) struct Inner {
    pub(crate) settings: Settings,
    pub(crate) config: JwtConfig,
    pub(crate) keys: ConfiguredKeys,
    pub(crate) hooks: Hooks,
    pub(crate) encode_audience: Option<Value>,
    pub(crate) identity_claim: Arc<str>,
    pub(crate) extensions: http::Extensions,
}

#[derive(Default)]
pub(crate) struct Hooks {
    pub(crate) additional_claims: Option<MapLoader>,
    pub(crate) additional_headers: Option<MapLoader>,
    pub(crate) encode_key: Option<EncodeKeyFn>,
    pub(crate) decode_key: Option<Arc<dyn DynDecodeKeyLoader>>,
    pub(crate) blocklist: Option<Arc<dyn DynBlocklist>>,
    pub(crate) blocklist_timeout: Option<Duration>,
    pub(crate) failure_mode: FailureMode,
    pub(crate) verifier: Option<Arc<dyn DynTokenVerifier>>,
    pub(crate) user_loader: Option<Arc<dyn DynUserLoader>>,
}

impl fmt::Debug for JwtManager {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let hooks = &self.inner.hooks;
        f.debug_struct("JwtManager")
            .field("config", &self.inner.config)
            .field("keys", &self.inner.keys)
            .field(
                "additional_claims_loader",
                &hooks.additional_claims.is_some(),
            )
            .field(
                "additional_headers_loader",
                &hooks.additional_headers.is_some(),
            )
            .field("encode_key_loader", &hooks.encode_key.is_some())
            .field("decode_key_loader", &hooks.decode_key.is_some())
            .field("blocklist", &hooks.blocklist.is_some())
            .field("token_verification_loader", &hooks.verifier.is_some())
            .field(
                "user_loader",
                &hooks.user_loader.as_ref().map(|l| l.user_type_name()),
            )
            .finish_non_exhaustive()
    }
}

/// Builds a [`JwtManager`]: configuration plus the optional hooks (the
/// reference's loaders). Nothing is validated until [`build`](Self::build).
#[must_use = "call .build() to get a JwtManager"]
pub struct JwtManagerBuilder {
    config: JwtConfig,
    hooks: Hooks,
    verify_only: bool,
    enforce_minimum_key_length: bool,
    extensions: http::Extensions,
}

impl fmt::Debug for JwtManagerBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("JwtManagerBuilder")
            .field("config", &self.config)
            .field("verify_only", &self.verify_only)
            .field(
                "enforce_minimum_key_length",
                &self.enforce_minimum_key_length,
            )
            .finish_non_exhaustive()
    }
}

fn to_object<T: Serialize>(value: &T, what: &str) -> Result<Map<String, Value>, Error> {
    match serde_json::to_value(value) {
        Ok(Value::Object(map)) => Ok(map),
        Ok(Value::Null) => Ok(Map::new()),
        Ok(other) => Err(Error::encode(format!(
            "{what} must return a JSON object, not {other}"
        ))),
        Err(e) => Err(Error::encode(format!(
            "{what} returned a value that is not serializable: {e}"
        ))
        .with_source(e)),
    }
}

impl JwtManagerBuilder {
    /// Registers the additional-claims loader (the reference's
    /// `additional_claims_loader`): called with the identity claim value on
    /// every token creation; per-call claims are merged over its output.
    pub fn additional_claims_loader<F, T>(mut self, loader: F) -> Self
    where
        F: Fn(&Value) -> T + Send + Sync + 'static,
        T: Serialize,
    {
        self.hooks.additional_claims = Some(Arc::new(move |identity| {
            to_object(&loader(identity), "additional_claims_loader")
        }));
        self
    }

    /// Registers the additional-headers loader (the reference's
    /// `additional_headers_loader`).
    pub fn additional_headers_loader<F, T>(mut self, loader: F) -> Self
    where
        F: Fn(&Value) -> T + Send + Sync + 'static,
        T: Serialize,
    {
        self.hooks.additional_headers = Some(Arc::new(move |identity| {
            to_object(&loader(identity), "additional_headers_loader")
        }));
        self
    }

    /// Registers the signing-key loader (the reference's
    /// `encode_key_loader`): called with the identity claim value on every
    /// token creation. Makes the configured secret/private key optional.
    pub fn encode_key_loader<F>(mut self, loader: F) -> Self
    where
        F: Fn(&Value) -> Result<SigningKey, Error> + Send + Sync + 'static,
    {
        self.hooks.encode_key = Some(Arc::new(loader));
        self
    }

    /// Registers the verification-key loader (the reference's
    /// `decode_key_loader`). Makes the configured secret/public key optional.
    pub fn decode_key_loader(mut self, loader: impl DecodeKeyLoader) -> Self {
        self.hooks.decode_key = Some(Arc::new(loader));
        self
    }

    /// Sets the revocation store (see [`crate::blocklist`]).
    pub fn blocklist(mut self, store: impl Blocklist) -> Self {
        self.hooks.blocklist = Some(Arc::new(store));
        self
    }

    /// Sets a read-only revocation check from a closure (the reference's
    /// `token_in_blocklist_loader`): `true` means revoked.
    pub fn token_in_blocklist_loader<F, Fut>(self, loader: F) -> Self
    where
        F: Fn(&DecodedToken) -> Fut + Send + Sync + 'static,
        Fut: std::future::Future<Output = bool> + Send,
    {
        self.blocklist(crate::blocklist::BlocklistFn(loader))
    }

    /// How long the blocklist may take before the request is refused with
    /// 503 (default [`DEFAULT_BLOCKLIST_TIMEOUT`]).
    pub fn blocklist_timeout(mut self, timeout: Duration) -> Self {
        self.hooks.blocklist_timeout = Some(timeout);
        self
    }

    /// What happens when the blocklist fails (default
    /// [`FailureMode::Closed`]: refuse with 503).
    ///
    /// # Danger
    /// [`FailureMode::Open`] admits revoked tokens while the store is down.
    pub fn blocklist_failure_mode(mut self, mode: FailureMode) -> Self {
        self.hooks.failure_mode = mode;
        self
    }

    /// Registers the custom verification (the reference's
    /// `token_verification_loader`).
    pub fn token_verification_loader(mut self, verifier: impl TokenVerifier) -> Self {
        self.hooks.verifier = Some(Arc::new(verifier));
        self
    }

    /// Registers the user lookup (the reference's `user_lookup_loader`).
    pub fn user_lookup_loader(mut self, loader: impl UserLoader) -> Self {
        self.hooks.user_loader = Some(Arc::new(loader));
        self
    }

    /// Allows building an asymmetric-algorithm manager without a private key:
    /// it verifies tokens but cannot create them.
    pub fn verify_only(mut self) -> Self {
        self.verify_only = true;
        self
    }

    /// Refuses to build with an HMAC secret shorter than RFC 7518 §3.2
    /// allows for the algorithm (32 bytes for HS256, 48 for HS384, 64 for
    /// HS512): [`build`](Self::build) returns a [`ConfigError`] naming
    /// `JWT_SECRET_KEY` instead of logging a warning. PyJWT's
    /// `enforce_minimum_key_length` option, checked once at start-up.
    ///
    /// Without it a short secret still works, as in the reference, and
    /// building logs one `tracing` warning (PyJWT warns on every use).
    ///
    /// ```
    /// use jwt_extended::{JwtConfig, JwtManager};
    ///
    /// let short = JwtConfig::new().with_secret_key("super-secret");
    /// let error = JwtManager::builder(short)
    ///     .enforce_minimum_key_length()
    ///     .build()
    ///     .unwrap_err();
    /// assert_eq!(error.option(), "JWT_SECRET_KEY");
    ///
    /// let long = JwtConfig::new().with_secret_key("0123456789abcdef0123456789abcdef");
    /// assert!(JwtManager::builder(long).enforce_minimum_key_length().build().is_ok());
    /// ```
    pub fn enforce_minimum_key_length(mut self) -> Self {
        self.enforce_minimum_key_length = true;
        self
    }

    /// Stores a value for framework integrations (the `axum` module keeps
    /// its custom error responses here).
    pub fn extension<T: Clone + Send + Sync + 'static>(mut self, value: T) -> Self {
        self.extensions.insert(value);
        self
    }

    /// Mutable access to a stored extension, inserting the default first.
    pub(crate) fn extension_mut<T: Clone + Default + Send + Sync + 'static>(&mut self) -> &mut T {
        self.extensions.get_or_insert_default::<T>()
    }

    /// Validates the configuration, parses the keys and builds the manager.
    ///
    /// # Errors
    /// A [`ConfigError`] naming the first invalid option.
    pub fn build(self) -> Result<JwtManager, ConfigError> {
        keys::ensure_crypto_provider()?;
        let settings = Settings::new(self.config.clone())?;
        let need_encoding = self.hooks.encode_key.is_none() && !self.verify_only;
        let need_decoding = self.hooks.decode_key.is_none();
        let keys = ConfiguredKeys::from_config(
            &self.config,
            need_encoding,
            need_decoding,
            self.enforce_minimum_key_length,
        )?;
        Ok(JwtManager {
            inner: Arc::new(Inner {
                encode_audience: settings.encode_audience.clone(),
                identity_claim: Arc::from(self.config.identity_claim()),
                settings,
                config: self.config,
                keys,
                hooks: self.hooks,
                extensions: self.extensions,
            }),
        })
    }
}

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

/// Options for [`JwtManager::decode_token_with`].
#[derive(Debug, Clone, Copy, Default)]
#[non_exhaustive]
pub struct DecodeOptions<'a> {
    /// A CSRF value to compare with the token's `csrf` claim.
    pub csrf_value: Option<&'a str>,
    /// Skip the expiry check (everything else is still verified).
    pub allow_expired: bool,
}

impl JwtManager {
    /// A manager with this configuration and no hooks.
    ///
    /// # Errors
    /// A [`ConfigError`] naming the first invalid option.
    pub fn new(config: JwtConfig) -> Result<Self, ConfigError> {
        Self::builder(config).build()
    }

    /// A builder, to add hooks before validating.
    pub fn builder(config: JwtConfig) -> JwtManagerBuilder {
        JwtManagerBuilder {
            config,
            hooks: Hooks::default(),
            verify_only: false,
            enforce_minimum_key_length: false,
            extensions: http::Extensions::new(),
        }
    }

    pub(crate) fn inner(&self) -> &Inner {
        &self.inner
    }

    /// The configuration.
    #[must_use]
    pub fn config(&self) -> &JwtConfig {
        &self.inner.config
    }

    /// The effective token locations (configured order, duplicates removed).
    #[must_use]
    pub fn token_locations(&self) -> &[TokenLocation] {
        &self.inner.settings.locations
    }

    /// A framework integration's stored value (see
    /// [`JwtManagerBuilder::extension`]).
    #[must_use]
    pub fn extension<T: Send + Sync + 'static>(&self) -> Option<&T> {
        self.inner.extensions.get::<T>()
    }

    /// Whether a user loader is registered.
    #[must_use]
    pub fn has_user_loader(&self) -> bool {
        self.inner.hooks.user_loader.is_some()
    }

    /// The type name of the registered user loader's user, if any.
    #[must_use]
    pub fn user_type_name(&self) -> Option<&'static str> {
        self.inner
            .hooks
            .user_loader
            .as_ref()
            .map(|l| l.user_type_name())
    }

    /// Starts building an access token for `identity`.
    pub fn access_token<I: Identity + ?Sized>(&self, identity: &I) -> TokenBuilder<'_> {
        TokenBuilder::new(self, TokenType::Access, identity.identity_claim())
    }

    /// Starts building a refresh token for `identity`.
    pub fn refresh_token<I: Identity + ?Sized>(&self, identity: &I) -> TokenBuilder<'_> {
        TokenBuilder::new(self, TokenType::Refresh, identity.identity_claim())
    }

    /// Creates a (non-fresh) access token with the configured lifetime
    /// (`create_access_token(identity)`).
    ///
    /// # Errors
    /// An [`ErrorKind::Encode`] error if a loader or the signature fails.
    pub fn create_access_token<I: Identity + ?Sized>(&self, identity: &I) -> Result<String, Error> {
        self.access_token(identity).create()
    }

    /// Creates a refresh token with the configured lifetime
    /// (`create_refresh_token(identity)`).
    ///
    /// # Errors
    /// An [`ErrorKind::Encode`] error if a loader or the signature fails.
    pub fn create_refresh_token<I: Identity + ?Sized>(
        &self,
        identity: &I,
    ) -> Result<String, Error> {
        self.refresh_token(identity).create()
    }

    /// Fully verifies a token (signature and claims, identity claim present)
    /// and returns it with the reference's defaults filled in, like
    /// `decode_token(token)`. Type, freshness and revocation are *not*
    /// checked: those belong to the request flow.
    ///
    /// # Errors
    /// Every decoding error of the reference, e.g. `Signature verification
    /// failed` or [`ErrorKind::ExpiredToken`] (carrying the header and claims).
    pub async fn decode_token(&self, token: &str) -> Result<DecodedToken, Error> {
        self.decode_bytes(token.as_bytes(), None, false).await
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
        self.decode_bytes(
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
    /// Malformed-token errors (`Not enough segments`, …).
    pub fn unverified_header(&self, token: &str) -> Result<Map<String, Value>, Error> {
        decode::unverified_header(token.as_bytes())
    }

    /// The `jti` of a token, after full verification (`get_jti`).
    ///
    /// # Errors
    /// As [`decode_token`](Self::decode_token).
    pub async fn jti(&self, token: &str) -> Result<Option<String>, Error> {
        Ok(self.decode_token(token).await?.jti().map(str::to_owned))
    }

    /// The `csrf` claim of a token, after full verification
    /// (`get_csrf_token`), for apps that hand the CSRF value to the client
    /// themselves (`JWT_CSRF_IN_COOKIES = false`).
    ///
    /// # Errors
    /// As [`decode_token`](Self::decode_token), and `Missing claim: csrf` if
    /// the token has none.
    pub async fn csrf_token(&self, token: &str) -> Result<String, Error> {
        let decoded = self.decode_token(token).await?;
        decoded
            .csrf()
            .map(str::to_owned)
            .ok_or_else(|| Error::new(ErrorKind::MissingClaim, "Missing claim: csrf"))
    }

    pub(crate) async fn decode_bytes(
        &self,
        token: &[u8],
        csrf_value: Option<&[u8]>,
        allow_expired: bool,
    ) -> Result<DecodedToken, Error> {
        let inner = &*self.inner;
        let rules = &inner.settings.claim_rules;
        let unverified = decode::parse_unverified_with(token, &rules.identity_claim)?;
        let (key, maps) = match &inner.hooks.decode_key {
            Some(loader) => {
                // The loader reads the whole header and claims: build them
                // now and keep them for the token.
                let header = unverified.json.header_map();
                let claims = unverified.json.claims_map();
                let key = loader.decode_key(&header, &claims).await?;
                (key, Some((header, claims)))
            }
            None => (
                inner
                    .keys
                    .decoding
                    .clone()
                    .ok_or_else(|| Error::misconfigured("no verification key is configured"))?,
                None,
            ),
        };
        let algorithm = unverified.algorithm(&inner.settings.decode_algorithms)?;
        unverified.verify_signature(algorithm, &key)?;
        let decode::Unverified {
            mut claims, json, ..
        } = unverified;
        let expiration = decode::validate_claims(&mut claims, rules, now_f64(), csrf_value)?;
        let maps = maps.map(|(header, mut full)| {
            decode::fill_defaults(&mut full);
            (header, full)
        });
        if expiration == Expiration::Expired && !allow_expired {
            let (header, full) =
                maps.unwrap_or_else(|| (json.header_map(), json.claims_with_defaults()));
            return Err(
                Error::new(ErrorKind::ExpiredToken, "Token has expired").with_token(header, full)
            );
        }
        Ok(DecodedToken::new(
            claims,
            json,
            maps,
            inner.identity_claim.clone(),
        ))
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
        if *request.method == Method::OPTIONS {
            return Ok(None);
        }
        let inner = &*self.inner;
        let locations = match options.locations {
            Some(locations) if !locations.is_empty() => locations,
            _ => inner.settings.locations.as_slice(),
        };

        let mut missing: Vec<String> = Vec::new();
        let mut found = None;
        for &location in locations {
            match request::find_in(location, &inner.settings, request, options.refresh) {
                Ok(f) => {
                    found = Some((location, f));
                    break;
                }
                Err(e) if e.kind() == ErrorKind::MissingToken => {
                    missing.push(e.message().to_owned())
                }
                Err(e) => return Err(e),
            }
        }
        let Some((location, found)) = found else {
            if options.optional {
                return Ok(None);
            }
            return Err(Error::missing_token(request::combined_missing(
                locations, &missing,
            )));
        };

        let token = self
            .decode_bytes(&found.token, found.csrf.as_deref(), false)
            .await?;
        // A token that decoded is base64url and dots, so this is always UTF-8;
        // `from_utf8` checks ASCII in bulk, `from_utf8_lossy` byte by byte.
        let encoded: Arc<str> = match std::str::from_utf8(&found.token) {
            Ok(text) => Arc::from(text),
            Err(_) => Arc::from(String::from_utf8_lossy(&found.token).as_ref()),
        };
        self.check_token(&token, options).await?;
        let user = self.load_user(&token).await?;
        Ok(Some(Verified {
            token,
            location,
            encoded,
            user,
        }))
    }

    /// Steps 4 to 7 of the flow on an already decoded token: type, freshness,
    /// revocation and custom verification.
    async fn check_token(
        &self,
        token: &DecodedToken,
        options: &VerifyOptions,
    ) -> Result<(), Error> {
        let with_parts = |e: Error| e.with_token(token.header().clone(), token.claims().clone());
        if options.verify_type {
            let is_refresh = token.is_refresh();
            if !options.refresh && is_refresh {
                return Err(Error::new(
                    ErrorKind::WrongTokenType,
                    "Only non-refresh tokens are allowed",
                ));
            }
            if options.refresh && !is_refresh {
                return Err(Error::new(
                    ErrorKind::WrongTokenType,
                    "Only refresh tokens are allowed",
                ));
            }
        }
        if options.fresh && !token.is_fresh_at(now_f64()) {
            return Err(with_parts(Error::new(
                ErrorKind::FreshTokenRequired,
                "Fresh token required",
            )));
        }
        if !options.skip_revocation_check && self.is_revoked(token).await? {
            return Err(with_parts(Error::new(
                ErrorKind::RevokedToken,
                "Token has been revoked",
            )));
        }
        if let Some(verifier) = &self.inner.hooks.verifier
            && !verifier.verify(token).await
        {
            return Err(with_parts(Error::new(
                ErrorKind::ClaimsVerificationFailed,
                "User claims verification failed",
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
                format!("Error loading the user {}", python_str(token.identity())),
            )
            .with_token(token.header().clone(), token.claims().clone())),
        }
    }

    /// Whether the blocklist says the token is revoked. No blocklist means
    /// never revoked. Store failures and timeouts are an
    /// [`ErrorKind::BlocklistUnavailable`] error (unless the manager was
    /// built with [`FailureMode::Open`]).
    ///
    /// # Errors
    /// [`ErrorKind::BlocklistUnavailable`] when the store fails or times out.
    pub async fn is_revoked(&self, token: &DecodedToken) -> Result<bool, Error> {
        let hooks = &self.inner.hooks;
        let Some(blocklist) = &hooks.blocklist else {
            return Ok(false);
        };
        let timeout = hooks.blocklist_timeout.unwrap_or(DEFAULT_BLOCKLIST_TIMEOUT);
        let outcome = match tokio::time::timeout(timeout, blocklist.is_revoked(token)).await {
            Ok(result) => result,
            Err(_) => Err(BlocklistError::new(format!(
                "the blocklist did not answer within {timeout:?}"
            ))),
        };
        match outcome {
            Ok(revoked) => Ok(revoked),
            Err(e) if hooks.failure_mode == FailureMode::Open => {
                tracing::error!(error = %e, "blocklist unavailable; admitting the token (FailureMode::Open)");
                Ok(false)
            }
            Err(e) => {
                tracing::error!(error = %e, "blocklist unavailable; refusing the request");
                Err(Error::new(
                    ErrorKind::BlocklistUnavailable,
                    "Token revocation status is unavailable",
                )
                .with_source(e))
            }
        }
    }

    /// Revokes a verified token in the configured blocklist.
    ///
    /// # Errors
    /// [`ErrorKind::Misconfigured`] without a blocklist;
    /// [`ErrorKind::BlocklistUnavailable`] when the store fails.
    pub async fn revoke(&self, token: &DecodedToken) -> Result<(), Error> {
        let revocation = Revocation::from_token(token).map_err(|e| {
            Error::new(ErrorKind::InvalidClaim, "JWT ID must be a string").with_source(e)
        })?;
        self.revoke_entry(&revocation).await
    }

    /// Revokes by a revocation record (e.g. built from a refresh token's
    /// claims at logout). The entry is kept until `expires_at` plus the
    /// decode leeway (refresh tokens and sessions: plus the access-token
    /// lifetime), so that no token it blocks outlives it.
    ///
    /// # Errors
    /// As [`revoke`](Self::revoke).
    pub async fn revoke_entry(&self, revocation: &Revocation) -> Result<(), Error> {
        let hooks = &self.inner.hooks;
        let Some(blocklist) = &hooks.blocklist else {
            return Err(Error::misconfigured(
                "no blocklist is configured: add one with JwtManager::builder(..).blocklist(store)",
            ));
        };
        let timeout = hooks.blocklist_timeout.unwrap_or(DEFAULT_BLOCKLIST_TIMEOUT);
        let revocation = self.retained(revocation);
        let outcome = match tokio::time::timeout(timeout, blocklist.revoke(&revocation)).await {
            Ok(result) => result,
            Err(_) => Err(BlocklistError::new(format!(
                "the blocklist did not answer within {timeout:?}"
            ))),
        };
        outcome.map_err(|e| {
            Error::new(
                ErrorKind::BlocklistUnavailable,
                "Token revocation status is unavailable",
            )
            .with_source(e)
        })
    }

    /// Revokes an encoded token after verifying it (expired tokens are
    /// accepted: there is nothing left to revoke, and it succeeds). Useful at
    /// logout to revoke the refresh token the client sends along with the
    /// access token.
    ///
    /// # Errors
    /// Decoding errors for a forged or malformed token, and the errors of
    /// [`revoke`](Self::revoke).
    pub async fn revoke_encoded(&self, token: &str) -> Result<(), Error> {
        let decoded = self
            .decode_token_with(
                token,
                DecodeOptions {
                    allow_expired: true,
                    ..DecodeOptions::default()
                },
            )
            .await?;
        self.revoke(&decoded).await
    }
}
