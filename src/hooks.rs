//! Extension points: the Rust form of `JWTManager`'s loaders.
//!
//! | Reference loader | Here |
//! |---|---|
//! | `user_identity_loader` | implement [`Identity`](crate::token::Identity) for your type |
//! | `additional_claims_loader` | [`JwtManagerBuilder::additional_claims_loader`](crate::JwtManagerBuilder::additional_claims_loader) |
//! | `additional_headers_loader` | [`JwtManagerBuilder::additional_headers_loader`](crate::JwtManagerBuilder::additional_headers_loader) |
//! | `encode_key_loader` | [`JwtManagerBuilder::encode_key_loader`](crate::JwtManagerBuilder::encode_key_loader) returning a [`SigningKey`] |
//! | `decode_key_loader` | [`DecodeKeyLoader`] (async) |
//! | `token_in_blocklist_loader` | [`Blocklist`](crate::blocklist::Blocklist) (async) |
//! | `token_verification_loader` | [`TokenVerifier`] (async) |
//! | `user_lookup_loader` | [`UserLoader`] (async), read with `CurrentUser<U>` |
//! | `*_token_loader` responses | `jwt_extended::axum::ErrorResponses` |
//!
//! Async hooks are traits with `async fn`-style methods, implemented for
//! closures returning futures, so both forms work:
//!
//! ```
//! use jwt_extended::{JwtManager, JwtConfig, DecodedToken};
//!
//! let jwt = JwtManager::builder(JwtConfig::new().with_secret_key("secret"))
//!     .token_verification_loader(|token: &DecodedToken| {
//!         let is_admin = token.claim("role").and_then(|r| r.as_str()) == Some("admin");
//!         async move { is_admin }
//!     })
//!     .build()?;
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use std::any::Any;
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use jsonwebtoken::{DecodingKey, EncodingKey};
use serde_json::{Map, Value};

use crate::error::Error;
use crate::token::DecodedToken;

/// A boxed, sendable future (what the object-safe forms of the hooks return).
pub(crate) type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// A key to sign one token with, optionally naming itself in the `kid`
/// header (useful for key rotation: verifiers pick the key by `kid`).
#[derive(Clone)]
pub struct SigningKey {
    key: Arc<EncodingKey>,
    kid: Option<String>,
}

impl SigningKey {
    /// Wraps a `jsonwebtoken` encoding key.
    #[must_use]
    pub fn new(key: impl Into<Arc<EncodingKey>>) -> Self {
        Self {
            key: key.into(),
            kid: None,
        }
    }

    /// An HMAC key from a secret.
    ///
    /// # Errors
    /// If the secret is empty or is a PEM/SSH key.
    pub fn from_secret(secret: impl AsRef<[u8]>) -> Result<Self, crate::config::ConfigError> {
        let secret = crate::config::Secret::new(secret.as_ref().to_vec());
        crate::token::keys::hmac_encoding_key("encode_key_loader", &secret).map(Self::new)
    }

    /// Writes `kid` into the header of tokens signed with this key (a
    /// `kid` in the additional headers still wins).
    #[must_use]
    pub fn with_kid(mut self, kid: impl Into<String>) -> Self {
        self.kid = Some(kid.into());
        self
    }

    /// The key.
    #[must_use]
    pub fn key(&self) -> &EncodingKey {
        &self.key
    }

    /// The key id, if any.
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
            .finish()
    }
}

/// Chooses the verification key for one token from its unverified header and
/// claims (the reference's `decode_key_loader`), e.g. a secret per tenant or
/// a public key by `kid`. Called exactly once per decode, before the
/// signature is checked: never trust what it reads beyond picking a key.
///
/// Implemented for closures `Fn(&Map, &Map) -> impl Future<Output =
/// Result<Arc<DecodingKey>, Error>>`.
///
/// ```
/// use std::{collections::HashMap, sync::Arc};
/// use jsonwebtoken::DecodingKey;
/// use jwt_extended::{Error, ErrorKind, JwtConfig, JwtManager};
///
/// let tenants: Arc<HashMap<String, Arc<DecodingKey>>> = Arc::new(HashMap::from([
///     ("acme".to_owned(), Arc::new(DecodingKey::from_secret(b"acme-secret")?)),
/// ]));
/// let jwt = JwtManager::builder(JwtConfig::new().with_secret_key("default"))
///     .decode_key_loader(move |_header: &serde_json::Map<String, serde_json::Value>,
///                              claims: &serde_json::Map<String, serde_json::Value>| {
///         let key = claims
///             .get("tenant")
///             .and_then(|t| t.as_str())
///             .and_then(|t| tenants.get(t).cloned());
///         async move {
///             key.ok_or_else(|| Error::new(ErrorKind::InvalidSignature, "Signature verification failed"))
///         }
///     })
///     .build()?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub trait DecodeKeyLoader: Send + Sync + 'static {
    /// Returns the key to verify the token with.
    fn decode_key(
        &self,
        header: &Map<String, Value>,
        claims: &Map<String, Value>,
    ) -> impl Future<Output = Result<Arc<DecodingKey>, Error>> + Send;
}

impl<F, Fut> DecodeKeyLoader for F
where
    F: Fn(&Map<String, Value>, &Map<String, Value>) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Result<Arc<DecodingKey>, Error>> + Send,
{
    fn decode_key(
        &self,
        header: &Map<String, Value>,
        claims: &Map<String, Value>,
    ) -> impl Future<Output = Result<Arc<DecodingKey>, Error>> + Send {
        self(header, claims)
    }
}

pub(crate) trait DynDecodeKeyLoader: Send + Sync {
    fn decode_key<'a>(
        &'a self,
        header: &'a Map<String, Value>,
        claims: &'a Map<String, Value>,
    ) -> BoxFuture<'a, Result<Arc<DecodingKey>, Error>>;
}

impl<T: DecodeKeyLoader> DynDecodeKeyLoader for T {
    fn decode_key<'a>(
        &'a self,
        header: &'a Map<String, Value>,
        claims: &'a Map<String, Value>,
    ) -> BoxFuture<'a, Result<Arc<DecodingKey>, Error>> {
        Box::pin(DecodeKeyLoader::decode_key(self, header, claims))
    }
}

/// The app's own check of a verified token (the reference's
/// `token_verification_loader`). Returning `false` refuses the request with
/// 400 `User claims verification failed`. Runs after the type, freshness and
/// revocation checks, before the user lookup.
///
/// Implemented for closures `Fn(&DecodedToken) -> impl Future<Output = bool>`.
pub trait TokenVerifier: Send + Sync + 'static {
    /// Whether the token is acceptable.
    fn verify(&self, token: &DecodedToken) -> impl Future<Output = bool> + Send;
}

impl<F, Fut> TokenVerifier for F
where
    F: Fn(&DecodedToken) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = bool> + Send,
{
    fn verify(&self, token: &DecodedToken) -> impl Future<Output = bool> + Send {
        self(token)
    }
}

pub(crate) trait DynTokenVerifier: Send + Sync {
    fn verify<'a>(&'a self, token: &'a DecodedToken) -> BoxFuture<'a, bool>;
}

impl<T: TokenVerifier> DynTokenVerifier for T {
    fn verify<'a>(&'a self, token: &'a DecodedToken) -> BoxFuture<'a, bool> {
        Box::pin(TokenVerifier::verify(self, token))
    }
}

/// Loads the user a verified token belongs to (the reference's
/// `user_lookup_loader`). When registered, it runs on every protected
/// request; `Ok(None)` refuses the request with 401
/// `Error loading the user <identity>`. Handlers read the user with the
/// `CurrentUser<U>` extractor.
///
/// Implemented for closures `Fn(&DecodedToken) -> impl Future<Output =
/// Option<U>>`; implement the trait yourself to return errors (e.g. a
/// database outage as 503 instead of 401).
pub trait UserLoader: Send + Sync + 'static {
    /// The user type.
    type User: Clone + Send + Sync + 'static;

    /// Looks the user up.
    fn load_user(
        &self,
        token: &DecodedToken,
    ) -> impl Future<Output = Result<Option<Self::User>, Error>> + Send;
}

impl<F, Fut, U> UserLoader for F
where
    F: Fn(&DecodedToken) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Option<U>> + Send,
    U: Clone + Send + Sync + 'static,
{
    type User = U;

    async fn load_user(&self, token: &DecodedToken) -> Result<Option<U>, Error> {
        Ok(self(token).await)
    }
}

/// A loaded user, type-erased.
pub(crate) type AnyUser = Arc<dyn Any + Send + Sync>;

pub(crate) trait DynUserLoader: Send + Sync {
    fn load_user<'a>(
        &'a self,
        token: &'a DecodedToken,
    ) -> BoxFuture<'a, Result<Option<AnyUser>, Error>>;
    fn user_type_name(&self) -> &'static str;
}

impl<T: UserLoader> DynUserLoader for T {
    fn load_user<'a>(
        &'a self,
        token: &'a DecodedToken,
    ) -> BoxFuture<'a, Result<Option<AnyUser>, Error>> {
        Box::pin(async move {
            let user = UserLoader::load_user(self, token).await?;
            Ok(user.map(|u| Arc::new(u) as AnyUser))
        })
    }

    fn user_type_name(&self) -> &'static str {
        std::any::type_name::<T::User>()
    }
}

/// `Fn(identity) -> claims or headers`, already converted to a JSON object.
pub(crate) type MapLoader = Arc<dyn Fn(&Value) -> Result<Map<String, Value>, Error> + Send + Sync>;

/// `Fn(identity) -> signing key`.
pub(crate) type EncodeKeyFn = Arc<dyn Fn(&Value) -> Result<SigningKey, Error> + Send + Sync>;
