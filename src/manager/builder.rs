//! [`JwtManagerBuilder`]: hooks, stores and extensions, validated once by
//! [`build`](JwtManagerBuilder::build).

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use serde::Serialize;
use serde_json::Value;

use super::{Hooks, Inner, JwtManager};
use crate::blocklist::{Blocklist, FailureMode, SessionStore};
use crate::config::{ConfigError, ConfigWarning, JwtConfig};
use crate::error::Error;
use crate::hooks::{BlocklistLoaderFn, DecodeKeyLoader, TokenVerifier, UserLoader};
use crate::issuers::{Issuers, TrustedIssuer};
use crate::settings::Settings;
use crate::token::DecodedToken;
use crate::token::issue::{CreationHooks, IssueRules, Issuer};
use crate::token::keys::{self, ConfiguredKeys};
use crate::token::{KeyRing, KeySet, SigningKey};

/// Builds a [`JwtManager`]: configuration plus the optional hooks (the
/// reference's loaders). Nothing is validated until [`build`](Self::build).
#[must_use = "call .build() to get a JwtManager"]
pub struct JwtManagerBuilder {
    config: JwtConfig,
    creation: CreationHooks,
    hooks: Hooks,
    verify_only: bool,
    enforce_minimum_key_length: bool,
    key_set: KeySet,
    trusted_issuers: Vec<TrustedIssuer>,
    extensions: http::Extensions,
}

impl fmt::Debug for JwtManagerBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("JwtManagerBuilder")
            .field("config", &self.config)
            .field("verify_only", &self.verify_only)
            .field("key_set", &self.key_set)
            .field("trusted_issuers", &self.trusted_issuers)
            .field(
                "enforce_minimum_key_length",
                &self.enforce_minimum_key_length,
            )
            .finish_non_exhaustive()
    }
}

impl JwtManagerBuilder {
    pub(super) fn new(config: JwtConfig) -> Self {
        Self {
            config,
            creation: CreationHooks::default(),
            hooks: Hooks::default(),
            verify_only: false,
            enforce_minimum_key_length: false,
            key_set: KeySet::new(),
            trusted_issuers: Vec::new(),
            extensions: http::Extensions::new(),
        }
    }

    /// Registers the additional-claims loader (the reference's
    /// `additional_claims_loader`): called with the identity claim value on
    /// every token creation; per-call claims are merged over its output.
    pub fn additional_claims_loader<F, T>(mut self, loader: F) -> Self
    where
        F: Fn(&Value) -> T + Send + Sync + 'static,
        T: Serialize,
    {
        self.creation.additional_claims = Some(CreationHooks::map_loader(
            loader,
            "additional_claims_loader",
        ));
        self
    }

    /// Registers the additional-headers loader (the reference's
    /// `additional_headers_loader`).
    pub fn additional_headers_loader<F, T>(mut self, loader: F) -> Self
    where
        F: Fn(&Value) -> T + Send + Sync + 'static,
        T: Serialize,
    {
        self.creation.additional_headers = Some(CreationHooks::map_loader(
            loader,
            "additional_headers_loader",
        ));
        self
    }

    /// Registers the signing-key loader (the reference's
    /// `encode_key_loader`): called with the identity claim value on every
    /// token creation. Makes the configured secret/private key optional.
    pub fn encode_key_loader<F>(mut self, loader: F) -> Self
    where
        F: Fn(&Value) -> Result<SigningKey, Error> + Send + Sync + 'static,
    {
        self.creation.encode_key = Some(Arc::new(loader));
        self
    }

    /// Registers the verification-key loader (the reference's
    /// `decode_key_loader`). Makes the configured secret/public key optional.
    pub fn decode_key_loader(mut self, loader: impl DecodeKeyLoader) -> Self {
        self.hooks.decode_key = Some(Arc::new(loader));
        self
    }

    /// Starts the manager with a key set: keys named by `kid`, one of them
    /// signing new tokens (with its `kid` in the header and its own
    /// algorithm), all of them verifying the tokens that name them. Change
    /// it at run time through [`JwtManager::keys`]; see the
    /// [keys manual](crate::manual::keys).
    ///
    /// With a set, a token whose `kid` the set does not hold is refused
    /// (`Signature verification failed`); a token without `kid` is checked
    /// with the configured key (`JWT_SECRET_KEY`, then
    /// `JWT_SECRET_KEY_FALLBACKS`, or `JWT_PUBLIC_KEY`), which becomes
    /// optional. A [`decode_key_loader`](Self::decode_key_loader) or an
    /// [`encode_key_loader`](Self::encode_key_loader) still wins over the
    /// set. Every key's algorithm must be in `JWT_DECODE_ALGORITHMS`.
    ///
    /// ```
    /// use jwt_extended::{Algorithm, JwtConfig, JwtManager, token::{Key, KeySet}};
    ///
    /// let pem = std::fs::read("tests/fixtures/keys/ec256_private.pem")?;
    /// let set = KeySet::new().with_signing_key(Key::from_private_pem("ec-1", Algorithm::ES256, &pem)?)?;
    /// let jwt = JwtManager::builder(JwtConfig::new().with_algorithm(Algorithm::ES256))
    ///     .key_set(set)
    ///     .build()?;
    /// let token = jwt.create_access_token("alice")?;
    /// assert_eq!(jwt.unverified_header(&token)?["kid"], "ec-1");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn key_set(mut self, set: KeySet) -> Self {
        self.key_set = set;
        self
    }

    /// Accepts the tokens of another issuer (an identity provider, another
    /// service) beside the manager's own: a token whose `iss` is
    /// `issuer.issuer()` is verified with that issuer's keys, algorithms
    /// and audience. Call once per issuer. See [`crate::issuers`] and the
    /// [keys manual](crate::manual::keys).
    ///
    /// A manager with trusted issuers needs no key of its own to verify;
    /// to build one that only verifies (an API in front of an identity
    /// provider), add [`verify_only`](Self::verify_only) and set
    /// `JWT_ALGORITHM` to an asymmetric algorithm.
    ///
    /// ```
    /// use jwt_extended::{Algorithm, JwtConfig, JwtManager};
    /// use jwt_extended::issuers::TrustedIssuer;
    /// use jwt_extended::token::{Key, KeySet};
    ///
    /// let pem = std::fs::read("tests/fixtures/keys/rsa2048_public.pem")?;
    /// let idp = KeySet::new().with_key(Key::from_public_pem("idp-1", Algorithm::RS256, &pem)?)?;
    /// let jwt = JwtManager::builder(JwtConfig::new().with_algorithm(Algorithm::RS256))
    ///     .verify_only()
    ///     .trusted_issuer(TrustedIssuer::with_keys("https://idp.example", idp).audience(["api"]))
    ///     .build()?;
    /// # let _ = jwt;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn trusted_issuer(mut self, issuer: TrustedIssuer) -> Self {
        self.trusted_issuers.push(issuer);
        self
    }

    /// Sets the revocation store (see [`crate::blocklist`]).
    pub fn blocklist(mut self, store: impl Blocklist) -> Self {
        self.hooks.blocklist = Some(Arc::new(store));
        self
    }

    /// Sets the store of sessions and revocations (see [`SessionStore`]):
    /// it becomes the [`blocklist`](Self::blocklist) too. With it, token
    /// pairs ([`JwtManager::token_pair`]) are recorded as sessions that can
    /// be listed ([`JwtManager::sessions`]), ended one by one
    /// ([`JwtManager::end_session`]) or all at once
    /// ([`JwtManager::revoke_all_tokens_of`], "log out everywhere", checked
    /// with every token's revocation lookup), and refresh tokens can be
    /// rotated with reuse detection ([`JwtManager::rotate_refresh_token`]).
    /// `MemoryBlocklist`, `RedisBlocklist` and `SqlBlocklist` are session
    /// stores. See the [sessions manual](crate::manual::sessions).
    ///
    /// ```
    /// use jwt_extended::blocklist::MemoryBlocklist;
    /// use jwt_extended::{JwtConfig, JwtManager};
    ///
    /// let jwt = JwtManager::builder(JwtConfig::new().with_secret_key("secret"))
    ///     .session_store(MemoryBlocklist::new())
    ///     .build()?;
    /// # let _ = jwt;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn session_store<S: SessionStore + Blocklist + Clone>(mut self, store: S) -> Self {
        self.hooks.sessions = Some(Arc::new(store.clone()));
        self.hooks.blocklist = Some(Arc::new(store));
        self
    }

    /// The grace window of refresh-token rotation (default zero: off). A
    /// client that presents the refresh token it has just exchanged again
    /// within this window — two tabs refreshing at once, a retry after a
    /// lost response — gets a new access token and the session's current
    /// refresh token, instead of having its session revoked as a reuse.
    /// Only the immediate predecessor of the current refresh token
    /// qualifies; any older one revokes the session even inside the window.
    /// See the [sessions manual](crate::manual::sessions) for choosing it.
    ///
    /// ```
    /// use std::time::Duration;
    /// use jwt_extended::blocklist::MemoryBlocklist;
    /// use jwt_extended::{JwtConfig, JwtManager};
    ///
    /// let jwt = JwtManager::builder(JwtConfig::new().with_secret_key("secret"))
    ///     .session_store(MemoryBlocklist::new())
    ///     .refresh_token_rotation(Duration::from_secs(10))
    ///     .build()?;
    /// # let _ = jwt;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn refresh_token_rotation(mut self, grace: Duration) -> Self {
        self.hooks.rotation_grace = Some(grace);
        self
    }

    /// Sets a revocation check that sees the whole verified token (the
    /// reference's `token_in_blocklist_loader`): `true` means revoked.
    ///
    /// It runs beside a [`blocklist`](Self::blocklist) store if there is one
    /// (a token is revoked when either says so), under the same timeout.
    /// It only answers: revoking needs a store.
    ///
    /// ```
    /// use jwt_extended::{DecodedToken, JwtConfig, JwtManager};
    ///
    /// let jwt = JwtManager::builder(JwtConfig::new().with_secret_key("secret"))
    ///     .token_in_blocklist_loader(|token: &DecodedToken| {
    ///         let banned = token.identity() == "mallory";
    ///         async move { banned }
    ///     })
    ///     .build()?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn token_in_blocklist_loader<F, Fut>(mut self, loader: F) -> Self
    where
        F: Fn(&DecodedToken) -> Fut + Send + Sync + 'static,
        Fut: std::future::Future<Output = bool> + Send + 'static,
    {
        self.hooks.blocklist_loader = Some(Arc::new(BlocklistLoaderFn(loader)));
        self
    }

    /// How long the blocklist may take before the request is refused with
    /// 503 (default [`DEFAULT_BLOCKLIST_TIMEOUT`](crate::DEFAULT_BLOCKLIST_TIMEOUT)).
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
    /// building logs one `tracing` warning (PyJWT warns on every use), a
    /// [`ConfigWarning::ShortSecret`] that
    /// [`build_with_warnings`](Self::build_with_warnings) returns.
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

    /// Stores a value for framework integrations, read back with
    /// [`JwtManager::extension`]. The `axum` module keeps its custom error
    /// responses here; an integration outside this crate plugs in the same
    /// way (an extension trait on the builder that fills its own type).
    ///
    /// ```
    /// use jwt_extended::{JwtConfig, JwtManager};
    ///
    /// #[derive(Clone, Debug, PartialEq)]
    /// struct RealmName(&'static str);
    ///
    /// let jwt = JwtManager::builder(JwtConfig::new().with_secret_key("secret"))
    ///     .extension(RealmName("api"))
    ///     .build()?;
    /// assert_eq!(jwt.extension::<RealmName>(), Some(&RealmName("api")));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn extension<T: Clone + Send + Sync + 'static>(mut self, value: T) -> Self {
        self.extensions.insert(value);
        self
    }

    /// Mutable access to a stored extension, inserting `T::default()` first:
    /// for integrations that add to one value over several builder calls.
    ///
    /// ```
    /// use jwt_extended::{JwtConfig, JwtManager};
    ///
    /// #[derive(Clone, Debug, Default)]
    /// struct Audit(Vec<&'static str>);
    ///
    /// let mut builder = JwtManager::builder(JwtConfig::new().with_secret_key("secret"));
    /// builder.extension_mut::<Audit>().0.push("login");
    /// builder.extension_mut::<Audit>().0.push("logout");
    /// let jwt = builder.build()?;
    /// assert_eq!(jwt.extension::<Audit>().map(|a| a.0.len()), Some(2));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn extension_mut<T: Clone + Default + Send + Sync + 'static>(&mut self) -> &mut T {
        self.extensions.get_or_insert_default::<T>()
    }

    /// Validates the configuration, parses the keys and builds the manager.
    ///
    /// Settings that work but are probably mistakes (a short HMAC secret,
    /// cookies without `Secure`, unknown `JWT_*` names in the environment:
    /// the [`ConfigWarning`]s) are logged as `tracing` warnings. Without a
    /// `tracing` subscriber they are lost: use
    /// [`build_with_warnings`](Self::build_with_warnings) to get them.
    ///
    /// # Errors
    /// A [`ConfigError`] naming the first invalid option.
    pub fn build(self) -> Result<JwtManager, ConfigError> {
        let (manager, warnings) = self.build_with_warnings()?;
        for warning in &warnings {
            tracing::warn!(option = warning.option(), "{warning}");
        }
        Ok(manager)
    }

    /// [`build`](Self::build), returning the start-up warnings instead of
    /// logging them: print them, count them in a health check, or refuse to
    /// start in CI.
    ///
    /// ```
    /// use jwt_extended::config::{ConfigWarning, JwtConfig, TokenLocation};
    /// use jwt_extended::JwtManager;
    ///
    /// let config = JwtConfig::new()
    ///     .with_secret_key("0123456789abcdef0123456789abcdef")
    ///     .with_token_location([TokenLocation::Cookies]);
    /// let (jwt, warnings) = JwtManager::builder(config).build_with_warnings()?;
    /// assert_eq!(warnings, [ConfigWarning::CookiesWithoutSecure]);
    /// for warning in &warnings {
    ///     eprintln!("jwt-extended: {warning}");
    /// }
    /// # let _ = jwt;
    /// # Ok::<(), jwt_extended::config::ConfigError>(())
    /// ```
    ///
    /// # Errors
    /// A [`ConfigError`] naming the first invalid option.
    pub fn build_with_warnings(self) -> Result<(JwtManager, Vec<ConfigWarning>), ConfigError> {
        keys::ensure_crypto_provider()?;
        let settings = Settings::new(self.config)?;
        let config = &settings.config;
        let need_encoding = self.creation.encode_key.is_none()
            && !self.verify_only
            && self.key_set.signing_key().is_none();
        let need_decoding = self.hooks.decode_key.is_none()
            && self.key_set.is_empty()
            && self.trusted_issuers.is_empty();
        let keys = ConfiguredKeys::from_config(
            config,
            need_encoding,
            need_decoding,
            self.enforce_minimum_key_length,
        )?;
        let mut warnings = settings.warnings();
        warnings.extend(keys::short_secret_warning(config));
        let ring = KeyRing::new(self.key_set, settings.decode_algorithms.clone()).map_err(|e| {
            ConfigError::InvalidKey {
                option: "key_set",
                reason: e.to_string(),
            }
        })?;
        let issuers = Issuers::new(self.trusted_issuers, &settings.claim_rules)?;
        let issuer = Issuer {
            rules: IssueRules::new(config, settings.encode_audience.clone()),
            hooks: self.creation,
            key: keys.encoding,
            keys: ring,
        };
        let manager = JwtManager {
            inner: Arc::new(Inner {
                identity_claim: Arc::from(config.identity_claim()),
                settings,
                issuer,
                decoding: keys.decoding,
                fallbacks: keys.fallbacks,
                issuers,
                hooks: self.hooks,
                extensions: self.extensions,
            }),
        };
        Ok((manager, warnings))
    }

    /// Registers an additional-claims loader that also learns which token
    /// it is building: it gets a
    /// [`CreationContext`](crate::token::CreationContext) (identity claim
    /// value, [`TokenType`](crate::TokenType)) instead of the identity alone.
    /// There is one claims loader: this replaces an
    /// [`additional_claims_loader`](Self::additional_claims_loader), and the
    /// reverse. Per-call claims are merged over its output, as for the plain
    /// loader.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// use jwt_extended::{JwtConfig, JwtManager, TokenType};
    /// use serde_json::json;
    ///
    /// let jwt = JwtManager::builder(JwtConfig::new().with_secret_key("secret"))
    ///     .additional_claims_loader_with_context(|token| match token.token_type() {
    ///         TokenType::Access => json!({"roles": ["admin"]}),
    ///         TokenType::Refresh => json!({}),
    ///     })
    ///     .build()?;
    /// let access = jwt.decode_token(&jwt.create_access_token("alice")?).await?;
    /// let refresh = jwt.decode_token(&jwt.create_refresh_token("alice")?).await?;
    /// assert_eq!(access.claim("roles"), Some(&json!(["admin"])));
    /// assert_eq!(refresh.claim("roles"), None);
    /// # Ok(()) }
    /// ```
    pub fn additional_claims_loader_with_context<F, T>(mut self, loader: F) -> Self
    where
        F: Fn(&crate::token::CreationContext<'_>) -> T + Send + Sync + 'static,
        T: Serialize,
    {
        self.creation.additional_claims = Some(CreationHooks::context_loader(
            loader,
            "additional_claims_loader",
        ));
        self
    }
}
