//! Extension points: the Rust form of `JWTManager`'s loaders.
//!
//! | Reference loader | Here | Async |
//! |---|---|---|
//! | `user_identity_loader` | implement [`Identity`](crate::token::Identity) for your type | no |
//! | `additional_claims_loader` | [`JwtManagerBuilder::additional_claims_loader`](crate::JwtManagerBuilder::additional_claims_loader) | no |
//! | `additional_headers_loader` | [`JwtManagerBuilder::additional_headers_loader`](crate::JwtManagerBuilder::additional_headers_loader) | no |
//! | `encode_key_loader` | [`JwtManagerBuilder::encode_key_loader`](crate::JwtManagerBuilder::encode_key_loader) returning a [`SigningKey`] | no |
//! | `decode_key_loader` | [`DecodeKeyLoader`] | yes |
//! | `token_in_blocklist_loader` | [`Blocklist`](crate::blocklist::Blocklist), or [`JwtManagerBuilder::token_in_blocklist_loader`](crate::JwtManagerBuilder::token_in_blocklist_loader) for a closure | yes |
//! | `token_verification_loader` | [`TokenVerifier`] | yes |
//! | `user_lookup_loader` | [`UserLoader`], read with `CurrentUser<U>` | yes |
//! | `expired_token_loader`, `invalid_token_loader`, … | the `*_loader` response methods of the builder (feature `axum`) | no |
//!
//! The hooks that run during a request (key lookup, revocation, custom
//! verification, user lookup) are async, so they can query a database or an
//! HTTP service. They are traits with `async fn`-style methods, implemented
//! for closures returning futures, so both forms work. A closure gets the
//! token by reference and returns a future that must own what it uses: copy
//! what you need out of the token first, then `async move`:
//!
//! ```
//! use jwt_extended::{DecodedToken, JwtConfig, JwtManager};
//!
//! let jwt = JwtManager::builder(JwtConfig::new().with_secret_key("secret"))
//!     .token_verification_loader(|token: &DecodedToken| {
//!         let is_admin = token.claim("role").and_then(|r| r.as_str()) == Some("admin");
//!         async move { is_admin }
//!     })
//!     .build()?;
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! The hooks that run when a token is *created* (claims, headers, signing
//! key) are plain closures: creation is synchronous. They receive the value
//! of the identity claim (what [`Identity`](crate::token::Identity) made of
//! the object you passed), not the object itself. Data that needs I/O or the
//! whole user object goes in per call, where both are at hand:
//! `jwt.access_token(&user).additional_claims(...)`.
//!
//! Each registration replaces the previous one of its kind, as in the
//! reference. Errors a hook returns reach the client through the same
//! rendering as every other error; use
//! [`ErrorKind::LoaderFailed`](crate::ErrorKind::LoaderFailed) for a
//! hook's own failures (a database that is down), not a kind that blames the
//! token.

use std::any::Any;
use std::future::Future;
use std::sync::Arc;

use jsonwebtoken::DecodingKey;
use serde_json::{Map, Value};

use crate::error::Error;
use crate::runtime::BoxFuture;
use crate::token::DecodedToken;

pub use crate::token::SigningKey;

/// Chooses the verification key for one token from its unverified header and
/// claims: the reference's `decode_key_loader`. Typical uses are a secret per
/// tenant, a public key picked by `kid` while keys rotate, or keys fetched
/// from a key service (it is async for that).
///
/// Called exactly once per decode (requests, [`JwtManager::decode_token`](crate::JwtManager::decode_token),
/// the cookie helpers), *before* the signature is checked: what it reads is
/// untrusted and must only pick a key. Returning an error refuses the token
/// with that error; for an unknown key id, an
/// [`ErrorKind::InvalidSignature`](crate::ErrorKind::InvalidSignature) error
/// answers like a wrong key would (422 `Signature verification failed`).
/// Registering one makes the configured secret or public key optional.
///
/// Implemented for closures `Fn(&Map, &Map) -> impl Future<Output =
/// Result<Arc<DecodingKey>, Error>>` (header first, then claims).
///
/// A secret per tenant, chosen by a claim:
///
/// ```
/// use std::{collections::HashMap, sync::Arc};
/// use jwt_extended::jsonwebtoken::DecodingKey;
/// use jwt_extended::{Error, ErrorKind, JwtConfig, JwtManager};
/// use serde_json::{Map, Value};
///
/// let tenants: Arc<HashMap<String, Arc<DecodingKey>>> = Arc::new(HashMap::from([
///     ("acme".to_owned(), Arc::new(DecodingKey::from_secret(b"acme-secret")?)),
/// ]));
/// let jwt = JwtManager::builder(JwtConfig::new().with_secret_key("default"))
///     .decode_key_loader(move |_header: &Map<String, Value>, claims: &Map<String, Value>| {
///         let key = claims
///             .get("tenant")
///             .and_then(Value::as_str)
///             .and_then(|t| tenants.get(t).cloned());
///         async move {
///             key.ok_or_else(|| Error::new(ErrorKind::InvalidSignature, "Signature verification failed"))
///         }
///     })
///     .build()?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
///
/// Key rotation by `kid`: new tokens are signed with the current key and
/// carry its id; tokens signed with the previous key stay valid until they
/// expire.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// use std::{collections::HashMap, sync::Arc};
/// use jwt_extended::jsonwebtoken::DecodingKey;
/// use jwt_extended::{Error, ErrorKind, JwtConfig, JwtManager, hooks::SigningKey};
/// use serde_json::{Map, Value};
///
/// let verification_keys: Arc<HashMap<&str, Arc<DecodingKey>>> = Arc::new(HashMap::from([
///     ("2024", Arc::new(DecodingKey::from_secret(b"old-secret")?)),
///     ("2025", Arc::new(DecodingKey::from_secret(b"new-secret")?)),
/// ]));
/// let current = SigningKey::from_secret("new-secret")?.with_kid("2025");
///
/// let jwt = JwtManager::builder(JwtConfig::new())
///     .encode_key_loader(move |_identity| Ok(current.clone()))
///     .decode_key_loader(move |header: &Map<String, Value>, _claims: &Map<String, Value>| {
///         let key = header
///             .get("kid")
///             .and_then(Value::as_str)
///             .and_then(|kid| verification_keys.get(kid).cloned());
///         async move {
///             key.ok_or_else(|| Error::new(ErrorKind::InvalidSignature, "Signature verification failed"))
///         }
///     })
///     .build()?;
///
/// let token = jwt.create_access_token("alice")?;
/// assert_eq!(jwt.unverified_header(&token)?["kid"], "2025");
/// assert_eq!(jwt.decode_token(&token).await?.identity(), "alice");
/// # Ok(()) }
/// ```
pub trait DecodeKeyLoader: Send + Sync + 'static {
    /// Returns the key to verify the token with.
    ///
    /// ```
    /// use std::sync::Arc;
    /// use jwt_extended::{Error, hooks::DecodeKeyLoader, jsonwebtoken::DecodingKey};
    /// use serde_json::{Map, Value};
    ///
    /// /// Every token is checked with one fixed key.
    /// struct Fixed(Arc<DecodingKey>);
    ///
    /// impl DecodeKeyLoader for Fixed {
    ///     async fn decode_key(
    ///         &self,
    ///         _header: &Map<String, Value>,
    ///         _claims: &Map<String, Value>,
    ///     ) -> Result<Arc<DecodingKey>, Error> {
    ///         Ok(self.0.clone())
    ///     }
    /// }
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
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

/// The app's own check of a verified token: the reference's
/// `token_verification_loader`. Returning `false` refuses the request with
/// 400 `User claims verification failed` (replaceable with
/// `token_verification_failed_loader`, which gets the header and claims).
///
/// Runs on protected routes after the type, freshness and revocation checks
/// and before the user lookup; never on optional routes without a token.
///
/// Implemented for closures `Fn(&DecodedToken) -> impl Future<Output = bool>`;
/// implement the trait for a type that holds state (a database pool).
///
/// ```
/// use jwt_extended::{DecodedToken, JwtConfig, JwtManager};
///
/// // Only tokens of the current schema version.
/// let jwt = JwtManager::builder(JwtConfig::new().with_secret_key("secret"))
///     .additional_claims_loader(|_identity| serde_json::json!({"v": 2}))
///     .token_verification_loader(|token: &DecodedToken| {
///         let current = token.claim("v") == Some(&serde_json::json!(2));
///         async move { current }
///     })
///     .build()?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub trait TokenVerifier: Send + Sync + 'static {
    /// Whether the token is acceptable.
    ///
    /// ```
    /// use std::collections::HashSet;
    /// use jwt_extended::{DecodedToken, hooks::TokenVerifier};
    ///
    /// /// Tokens of suspended accounts are refused.
    /// struct NotSuspended(HashSet<String>);
    ///
    /// impl TokenVerifier for NotSuspended {
    ///     async fn verify(&self, token: &DecodedToken) -> bool {
    ///         token.identity_str().is_some_and(|id| !self.0.contains(id))
    ///     }
    /// }
    /// ```
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

/// Loads the user a verified token belongs to: the reference's
/// `user_lookup_loader`. Handlers read the user with the
/// `CurrentUser<U>` extractor (feature `axum`) or
/// [`Verified::user`](crate::Verified::user).
///
/// When registered, it runs on every request that carries a valid token, as
/// the last check (after type, freshness, revocation and custom
/// verification); not on optional routes without a token. `Ok(None)` refuses
/// the request with 401 `Error loading the user <identity>` (the identity as
/// Python's `str()` prints it), replaceable with `user_lookup_error_loader`.
/// An `Err` is answered with that error, for instance
/// [`ErrorKind::LoaderFailed`](crate::ErrorKind::LoaderFailed) when the
/// database is down: the user is not "not found" then.
///
/// Implemented for closures `Fn(&DecodedToken) -> impl Future<Output =
/// Option<U>>`:
///
/// ```
/// use jwt_extended::{DecodedToken, JwtConfig, JwtManager};
///
/// #[derive(Clone)]
/// struct User { name: String }
///
/// let jwt = JwtManager::builder(JwtConfig::new().with_secret_key("secret"))
///     .user_lookup_loader(|token: &DecodedToken| {
///         let name = token.identity_str().map(str::to_owned);
///         async move { name.map(|name| User { name }) }
///     })
///     .build()?;
/// # let _ = jwt;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
///
/// Implement the trait to report failures of the lookup itself:
///
/// ```
/// use std::collections::HashMap;
/// use std::sync::{Arc, RwLock};
/// use jwt_extended::{DecodedToken, Error, ErrorKind, hooks::UserLoader};
///
/// #[derive(Clone)]
/// struct User { id: u64, name: String }
///
/// struct Users(Arc<RwLock<HashMap<u64, User>>>);
///
/// impl UserLoader for Users {
///     type User = User;
///
///     async fn load_user(&self, token: &DecodedToken) -> Result<Option<User>, Error> {
///         let Some(id) = token.identity_str().and_then(|s| s.parse::<u64>().ok()) else {
///             return Ok(None);
///         };
///         let users = self
///             .0
///             .read()
///             .map_err(|_| Error::new(ErrorKind::LoaderFailed, "user store unavailable"))?;
///         Ok(users.get(&id).cloned())
///     }
/// }
/// ```
pub trait UserLoader: Send + Sync + 'static {
    /// The user type: what `CurrentUser<U>` must name. Cloned once per
    /// extraction; use an `Arc` for big values.
    type User: Clone + Send + Sync + 'static;

    /// Looks the user up: `Ok(None)` when there is no such user.
    ///
    /// ```
    /// use jwt_extended::{DecodedToken, Error, hooks::UserLoader};
    ///
    /// /// Every token's identity is its user.
    /// struct ByName;
    ///
    /// impl UserLoader for ByName {
    ///     type User = String;
    ///
    ///     async fn load_user(&self, token: &DecodedToken) -> Result<Option<String>, Error> {
    ///         Ok(token.identity_str().map(str::to_owned))
    ///     }
    /// }
    /// ```
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

/// The reference's `token_in_blocklist_loader`: a check that sees the whole
/// verified token, registered with
/// [`JwtManagerBuilder::token_in_blocklist_loader`](crate::JwtManagerBuilder::token_in_blocklist_loader).
/// It runs beside the key-based [`Blocklist`](crate::blocklist::Blocklist)
/// store, under the same timeout; a token is revoked when either says so.
pub(crate) trait DynBlocklistLoader: Send + Sync {
    fn is_revoked<'a>(&'a self, token: &'a DecodedToken) -> BoxFuture<'a, bool>;
}

/// A closure `Fn(&DecodedToken) -> impl Future<Output = bool>` as a
/// [`DynBlocklistLoader`].
pub(crate) struct BlocklistLoaderFn<F>(pub(crate) F);

impl<F, Fut> DynBlocklistLoader for BlocklistLoaderFn<F>
where
    F: Fn(&DecodedToken) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = bool> + Send + 'static,
{
    fn is_revoked<'a>(&'a self, token: &'a DecodedToken) -> BoxFuture<'a, bool> {
        Box::pin((self.0)(token))
    }
}
