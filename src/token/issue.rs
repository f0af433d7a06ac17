//! What creating a token needs, and nothing more: the issuer part of the
//! manager (signing key, creation hooks, a snapshot of the settings that
//! shape the payload). [`TokenBuilder`](super::TokenBuilder) borrows an
//! [`Issuer`]; it never sees the manager.

use std::fmt;
use std::sync::Arc;

use jsonwebtoken::EncodingKey;
use serde::Serialize;
use serde_json::{Map, Value};

use super::keyset::KeyRing;
use super::{TokenType, keys};
use crate::config::{Algorithm, ConfigError, Expiry, JwtConfig, Secret};
use crate::error::Error;

/// The key to sign one token with (what an
/// [`encode_key_loader`](crate::JwtManagerBuilder::encode_key_loader)
/// returns), optionally naming itself in the `kid` header so that verifiers
/// can pick the matching key when keys rotate.
///
/// Its `Debug` output never shows the key.
///
/// ```
/// use jwt_extended::hooks::SigningKey;
///
/// let key = SigningKey::from_secret("2024-secret")?.with_kid("2024");
/// assert_eq!(key.kid(), Some("2024"));
/// assert!(!format!("{key:?}").contains("2024-secret"));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone)]
pub struct SigningKey {
    key: Arc<EncodingKey>,
    kid: Option<String>,
    /// The algorithm to sign with, for a key of a [`KeySet`](super::KeySet)
    /// (else the configured one).
    algorithm: Option<Algorithm>,
}

impl SigningKey {
    /// Wraps a `jsonwebtoken` encoding key (any algorithm family; the
    /// algorithm is still the configured one, or the `alg` of the additional
    /// headers).
    ///
    /// ```
    /// use jwt_extended::{hooks::SigningKey, jsonwebtoken::EncodingKey};
    ///
    /// let key = SigningKey::new(EncodingKey::from_secret(b"tenant-a-secret")?);
    /// assert_eq!(key.kid(), None);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[must_use]
    pub fn new(key: impl Into<Arc<EncodingKey>>) -> Self {
        Self {
            key: key.into(),
            kid: None,
            algorithm: None,
        }
    }

    /// An HMAC key (HS256/384/512) from a secret, with the same checks as a
    /// configured `JWT_SECRET_KEY`.
    ///
    /// ```
    /// use jwt_extended::hooks::SigningKey;
    ///
    /// assert!(SigningKey::from_secret("tenant-a-secret").is_ok());
    /// assert!(SigningKey::from_secret("").is_err());
    /// ```
    ///
    /// # Errors
    /// If the secret is empty or is a PEM/SSH key.
    pub fn from_secret(secret: impl AsRef<[u8]>) -> Result<Self, ConfigError> {
        let secret = Secret::new(secret.as_ref().to_vec());
        keys::hmac_encoding_key("encode_key_loader", &secret).map(Self::new)
    }

    /// Writes `kid` into the header of the tokens signed with this key. A
    /// `kid` in the additional headers (loader or per call) still wins.
    ///
    /// ```
    /// use jwt_extended::hooks::SigningKey;
    ///
    /// let key = SigningKey::from_secret("secret")?.with_kid("k2");
    /// assert_eq!(key.kid(), Some("k2"));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[must_use]
    pub fn with_kid(mut self, kid: impl Into<String>) -> Self {
        self.kid = Some(kid.into());
        self
    }

    /// Signs with `algorithm` rather than the configured one (the keys of
    /// a key set sign with their own algorithm).
    pub(crate) fn with_algorithm(mut self, algorithm: Algorithm) -> Self {
        self.algorithm = Some(algorithm);
        self
    }

    /// The algorithm this key signs with, when it is not the configured one.
    pub(crate) fn algorithm(&self) -> Option<Algorithm> {
        self.algorithm
    }

    /// The key.
    ///
    /// ```
    /// use jwt_extended::hooks::SigningKey;
    ///
    /// let key = SigningKey::from_secret("secret")?;
    /// let _: &jwt_extended::jsonwebtoken::EncodingKey = key.key();
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[must_use]
    pub fn key(&self) -> &EncodingKey {
        &self.key
    }

    /// The shared key, whose allocation identifies it to the per-thread
    /// signer cache.
    pub(crate) fn shared_key(&self) -> &Arc<EncodingKey> {
        &self.key
    }

    /// The key id written into the header, if any.
    ///
    /// ```
    /// use jwt_extended::hooks::SigningKey;
    ///
    /// assert_eq!(SigningKey::from_secret("secret")?.kid(), None);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[must_use]
    pub fn kid(&self) -> Option<&str> {
        self.kid.as_deref()
    }
}

impl fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SigningKey")
            .field("key", &"[redacted]")
            .field("kid", &self.kid)
            .field("algorithm", &self.algorithm)
            .finish()
    }
}

/// What a creation hook knows about the token being built: the identity
/// claim value and the token type. Handed to the loader registered with
/// [`additional_claims_loader_with_context`](crate::JwtManagerBuilder::additional_claims_loader_with_context).
///
/// Its fields are private, so more can be added without breaking loaders.
///
/// ```
/// use jwt_extended::{JwtConfig, JwtManager, TokenType};
/// use serde_json::json;
///
/// let jwt = JwtManager::builder(JwtConfig::new().with_secret_key("secret"))
///     .additional_claims_loader_with_context(|token| match token.token_type() {
///         // Only access tokens carry the roles; refresh tokens stay small.
///         TokenType::Access => json!({"roles": ["reader"], "user": token.identity()}),
///         TokenType::Refresh => json!({}),
///     })
///     .build()?;
/// let access = jwt.access_token("alice").issue()?;
/// assert_eq!(access.token_type(), TokenType::Access);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, Copy)]
pub struct CreationContext<'a> {
    identity: &'a Value,
    token_type: TokenType,
}

impl<'a> CreationContext<'a> {
    pub(crate) fn new(identity: &'a Value, token_type: TokenType) -> Self {
        Self {
            identity,
            token_type,
        }
    }

    /// The identity claim value (what the plain loaders receive).
    ///
    /// ```
    /// # let jwt = jwt_extended::JwtManager::builder(jwt_extended::JwtConfig::new().with_secret_key("k"))
    /// .additional_claims_loader_with_context(|token| {
    ///     assert_eq!(token.identity(), "alice");
    ///     serde_json::json!({})
    /// })
    /// # .build()?;
    /// # jwt.create_access_token("alice")?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[must_use]
    pub fn identity(&self) -> &'a Value {
        self.identity
    }

    /// Whether an access or a refresh token is being built.
    ///
    /// ```
    /// use jwt_extended::TokenType;
    ///
    /// # let jwt = jwt_extended::JwtManager::builder(jwt_extended::JwtConfig::new().with_secret_key("k"))
    /// .additional_claims_loader_with_context(|token| {
    ///     serde_json::json!({"refresh": token.token_type() == TokenType::Refresh})
    /// })
    /// # .build()?;
    /// # jwt.create_refresh_token("alice")?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[must_use]
    pub fn token_type(&self) -> TokenType {
        self.token_type
    }
}

/// `Fn(context) -> claims or headers`, already converted to a JSON object.
pub(crate) type MapLoader =
    Arc<dyn Fn(&CreationContext<'_>) -> Result<Map<String, Value>, Error> + Send + Sync>;

/// `Fn(identity) -> signing key`.
pub(crate) type EncodeKeyFn = Arc<dyn Fn(&Value) -> Result<SigningKey, Error> + Send + Sync>;

/// The hooks that run when a token is created (the reference's
/// `additional_claims_loader`, `additional_headers_loader`,
/// `encode_key_loader`).
#[derive(Default, Clone)]
pub(crate) struct CreationHooks {
    pub(crate) additional_claims: Option<MapLoader>,
    pub(crate) additional_headers: Option<MapLoader>,
    pub(crate) encode_key: Option<EncodeKeyFn>,
}

impl CreationHooks {
    /// Wraps a claims or headers loader whose output must be a JSON object.
    /// The loader sees the identity value only.
    pub(crate) fn map_loader<F, T>(loader: F, what: &'static str) -> MapLoader
    where
        F: Fn(&Value) -> T + Send + Sync + 'static,
        T: Serialize,
    {
        Arc::new(move |context| to_object(&loader(context.identity()), what))
    }

    /// Wraps a claims or headers loader that sees the whole
    /// [`CreationContext`].
    pub(crate) fn context_loader<F, T>(loader: F, what: &'static str) -> MapLoader
    where
        F: Fn(&CreationContext<'_>) -> T + Send + Sync + 'static,
        T: Serialize,
    {
        Arc::new(move |context| to_object(&loader(context), what))
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

/// The settings that shape a new token, copied once from the validated
/// configuration.
#[derive(Debug, Clone)]
pub(crate) struct IssueRules {
    pub(crate) algorithm: Algorithm,
    pub(crate) identity_claim: String,
    pub(crate) access_expires: Expiry,
    pub(crate) refresh_expires: Expiry,
    pub(crate) encode_nbf: bool,
    pub(crate) csrf_claim: bool,
    pub(crate) audience: Option<Value>,
    pub(crate) issuer: Option<String>,
    pub(crate) verify_sub: bool,
}

impl IssueRules {
    /// The rules of `config`; `audience` is the validated `JWT_ENCODE_AUDIENCE`.
    pub(crate) fn new(config: &JwtConfig, audience: Option<Value>) -> Self {
        Self {
            algorithm: config.algorithm(),
            identity_claim: config.identity_claim().to_owned(),
            access_expires: config.access_token_expires(),
            refresh_expires: config.refresh_token_expires(),
            encode_nbf: config.encode_nbf(),
            csrf_claim: config.cookie_csrf_protect(),
            audience,
            issuer: config
                .encode_issuer()
                .filter(|issuer| !issuer.is_empty())
                .map(str::to_owned),
            verify_sub: config.verify_sub(),
        }
    }
}

/// Everything token creation needs: rules, hooks, the key set and the
/// configured signing key (absent for verify-only managers or with an
/// encode-key loader).
pub(crate) struct Issuer {
    pub(crate) rules: IssueRules,
    pub(crate) hooks: CreationHooks,
    pub(crate) key: Option<Arc<EncodingKey>>,
    /// The manager's key set, whose signing key (when it has one) wins
    /// over the configured key.
    pub(crate) keys: KeyRing,
}

impl fmt::Debug for Issuer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Issuer")
            .field("rules", &self.rules)
            .field(
                "additional_claims_loader",
                &self.hooks.additional_claims.is_some(),
            )
            .field(
                "additional_headers_loader",
                &self.hooks.additional_headers.is_some(),
            )
            .field("encode_key_loader", &self.hooks.encode_key.is_some())
            .field("key", &self.key.as_ref().map(|_| "[redacted]"))
            .field("keys", &self.keys)
            .finish()
    }
}

impl Issuer {
    /// The key to sign a token of `identity` with: the encode-key loader's
    /// choice, else the key set's signing key, else the configured key.
    pub(crate) fn signing_key(&self, identity: &Value) -> Result<SigningKey, Error> {
        if let Some(loader) = &self.hooks.encode_key {
            return loader(identity);
        }
        if let Some(key) = self.keys.signing_key() {
            return Ok(key);
        }
        match &self.key {
            Some(key) => Ok(SigningKey::new(key.clone())),
            None => Err(Error::encode(format!(
                "JWT_PRIVATE_KEY must be set to use asymmetric cryptography algorithm \"{}\"",
                keys::algorithm_name(self.rules.algorithm)
            ))),
        }
    }

    /// The additional headers of the loader for this token, if one is set.
    pub(crate) fn loader_headers(
        &self,
        identity: &Value,
        token_type: TokenType,
    ) -> Result<Map<String, Value>, Error> {
        match &self.hooks.additional_headers {
            Some(loader) => loader(&CreationContext::new(identity, token_type)),
            None => Ok(Map::new()),
        }
    }

    /// The additional claims of the loader for this token, if one is set.
    pub(crate) fn loader_claims(
        &self,
        identity: &Value,
        token_type: TokenType,
    ) -> Result<Map<String, Value>, Error> {
        match &self.hooks.additional_claims {
            Some(loader) => loader(&CreationContext::new(identity, token_type)),
            None => Ok(Map::new()),
        }
    }
}
