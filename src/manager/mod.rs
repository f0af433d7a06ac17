//! [`JwtManager`]: configuration, keys and hooks in one cheap-to-clone
//! handle, and the verification flow of the reference's
//! `verify_jwt_in_request`.
//!
//! - `mod.rs`: the handle and token creation;
//! - `builder.rs`: [`JwtManagerBuilder`] (hooks, stores, extensions);
//! - `verify.rs`: decoding and the request flow ([`VerifyOptions`], [`Verified`]);
//! - `revoke.rs`: revocation and sessions (keys computed here, stores only store);
//! - `cookies.rs`: the cookie helpers.

mod builder;
mod cookies;
#[cfg(any(feature = "axum", feature = "actix"))]
mod refresh;
mod revoke;
mod sessions;
mod verify;

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

pub use builder::JwtManagerBuilder;
#[cfg(any(feature = "axum", feature = "actix"))]
pub(crate) use refresh::sets_cookie;
pub use sessions::TokenPairBuilder;
pub use verify::{DecodeOptions, Verified, VerifyOptions};

use crate::blocklist::{DynBlocklist, DynSessionStore, FailureMode};
use crate::config::{ConfigError, JwtConfig, TokenLocation};
use crate::error::Error;
use crate::hooks::{DynBlocklistLoader, DynDecodeKeyLoader, DynTokenVerifier, DynUserLoader};
use crate::issuers::Issuers;
use crate::settings::Settings;
use crate::token::issue::Issuer;
use crate::token::keys::SharedDecodingKey;
use crate::token::{Identity, KeyRing, TokenBuilder, TokenType};

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

struct Inner {
    /// The validated configuration (it holds the `JwtConfig` too).
    settings: Settings,
    /// What creating a token needs (signing key, creation hooks, rules).
    issuer: Issuer,
    /// The configured verification key (absent with a decode-key loader).
    decoding: Option<SharedDecodingKey>,
    /// `JWT_SECRET_KEY_FALLBACKS`, tried in order after `decoding`.
    fallbacks: Vec<SharedDecodingKey>,
    /// Other issuers whose tokens are accepted, by `iss`.
    issuers: Issuers,
    hooks: Hooks,
    identity_claim: Arc<str>,
    extensions: http::Extensions,
}

/// The hooks that run while a request is verified.
#[derive(Default)]
struct Hooks {
    decode_key: Option<Arc<dyn DynDecodeKeyLoader>>,
    blocklist: Option<Arc<dyn DynBlocklist>>,
    blocklist_loader: Option<Arc<dyn DynBlocklistLoader>>,
    blocklist_timeout: Option<Duration>,
    failure_mode: FailureMode,
    verifier: Option<Arc<dyn DynTokenVerifier>>,
    user_loader: Option<Arc<dyn DynUserLoader>>,
    /// Sessions (rotation, listing, log out everywhere); the same store
    /// is the blocklist.
    sessions: Option<Arc<dyn DynSessionStore>>,
    /// Refresh-token rotation's grace window (`None`: the default, 0).
    rotation_grace: Option<Duration>,
}

impl fmt::Debug for JwtManager {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let hooks = &self.inner.hooks;
        f.debug_struct("JwtManager")
            .field("config", &self.inner.settings.config)
            .field("issuer", &self.inner.issuer)
            .field("decoding_key", &self.inner.decoding.is_some())
            .field("secret_key_fallbacks", &self.inner.fallbacks.len())
            .field("keys", &self.inner.issuer.keys)
            .field("decode_key_loader", &hooks.decode_key.is_some())
            .field("blocklist", &hooks.blocklist.is_some())
            .field(
                "token_in_blocklist_loader",
                &hooks.blocklist_loader.is_some(),
            )
            .field("token_verification_loader", &hooks.verifier.is_some())
            .field(
                "user_loader",
                &hooks.user_loader.as_ref().map(|l| l.user_type_name()),
            )
            .finish_non_exhaustive()
    }
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
        JwtManagerBuilder::new(config)
    }

    /// The configuration.
    #[must_use]
    pub fn config(&self) -> &JwtConfig {
        &self.inner.settings.config
    }

    /// The manager's key set, to rotate keys at run time (add the next key,
    /// sign with it, retire the old one) and to publish the public keys.
    /// See [`KeyRing`] and the [keys manual](crate::manual::keys).
    ///
    /// A manager built without
    /// [`key_set`](JwtManagerBuilder::key_set) has an empty set: it signs
    /// and verifies with the configured key until keys are added.
    ///
    /// ```
    /// use jwt_extended::{Algorithm, JwtConfig, JwtManager, token::Key};
    ///
    /// let jwt = JwtManager::new(JwtConfig::new().with_secret_key("0123456789abcdef0123456789abcdef"))?;
    /// assert!(jwt.keys().snapshot().is_empty());
    /// jwt.keys().add_verification_key(Key::hmac("k2", Algorithm::HS256, [7u8; 32])?)?;
    /// jwt.keys().set_signing_key("k2")?;
    /// let token = jwt.create_access_token("alice")?;
    /// assert_eq!(jwt.unverified_header(&token)?["kid"], "k2");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[must_use]
    pub fn keys(&self) -> &KeyRing {
        &self.inner.issuer.keys
    }

    /// The effective token locations (configured order, duplicates removed).
    #[must_use]
    pub fn token_locations(&self) -> &[TokenLocation] {
        &self.inner.settings.locations
    }

    /// The request headers the core's lookups read (the token header, both
    /// CSRF headers, `Cookie`, `Content-Type`): an adapter whose framework
    /// uses other header types copies only these.
    #[cfg(feature = "actix")]
    pub(crate) fn request_header_names(&self) -> [&http::HeaderName; 5] {
        let settings = &self.inner.settings;
        [
            &settings.header_name,
            &settings.access_csrf_header,
            &settings.refresh_csrf_header,
            &http::header::COOKIE,
            &http::header::CONTENT_TYPE,
        ]
    }

    /// Whether framework glue should buffer this request's body: a JSON
    /// body when the `json` location may be read (as `json` says), a form
    /// body when `JWT_CSRF_CHECK_FORM` may read the CSRF value from it.
    #[cfg_attr(not(any(feature = "axum", feature = "actix")), allow(dead_code))]
    pub(crate) fn wants_body(
        &self,
        method: &http::Method,
        headers: &http::HeaderMap,
        json: crate::request::BufferJson,
    ) -> bool {
        use crate::compat::mime::{is_form, is_json};
        use crate::request::BufferJson;
        let config = self.config();
        let json_wanted = match json {
            BufferJson::Always => true,
            BufferJson::Never => false,
            BufferJson::WhenConfigured => self.token_locations().contains(&TokenLocation::Json),
        };
        (json_wanted && is_json(headers))
            || (config.csrf_check_form()
                && config.cookie_csrf_protect()
                && crate::csrf::is_csrf_method(method.as_str(), config.csrf_methods())
                && is_form(headers))
    }

    /// A framework integration's stored value (see
    /// [`JwtManagerBuilder::extension`]).
    #[must_use]
    pub fn extension<T: Send + Sync + 'static>(&self) -> Option<&T> {
        self.inner.extensions.get::<T>()
    }

    /// The type name of the registered user loader's user, if any (for the
    /// log line of a `CurrentUser` of the wrong type).
    #[must_use]
    #[cfg_attr(not(feature = "axum"), allow(dead_code))]
    pub(crate) fn user_type_name(&self) -> Option<&'static str> {
        self.inner
            .hooks
            .user_loader
            .as_ref()
            .map(|l| l.user_type_name())
    }

    /// Starts building an access token for `identity`.
    pub fn access_token<I: Identity + ?Sized>(&self, identity: &I) -> TokenBuilder<'_> {
        TokenBuilder::new(
            &self.inner.issuer,
            TokenType::Access,
            identity.identity_claim(),
        )
    }

    /// Starts building a refresh token for `identity`.
    pub fn refresh_token<I: Identity + ?Sized>(&self, identity: &I) -> TokenBuilder<'_> {
        TokenBuilder::new(
            &self.inner.issuer,
            TokenType::Refresh,
            identity.identity_claim(),
        )
    }

    /// Creates a (non-fresh) access token with the configured lifetime
    /// (`create_access_token(identity)`).
    ///
    /// # Errors
    /// An [`ErrorKind::Encode`](crate::ErrorKind::Encode) error if a loader or the signature fails.
    pub fn create_access_token<I: Identity + ?Sized>(&self, identity: &I) -> Result<String, Error> {
        self.access_token(identity).create()
    }

    /// Creates a refresh token with the configured lifetime
    /// (`create_refresh_token(identity)`).
    ///
    /// # Errors
    /// An [`ErrorKind::Encode`](crate::ErrorKind::Encode) error if a loader or the signature fails.
    pub fn create_refresh_token<I: Identity + ?Sized>(
        &self,
        identity: &I,
    ) -> Result<String, Error> {
        self.refresh_token(identity).create()
    }
}
