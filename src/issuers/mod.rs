//! Tokens from other issuers: identity providers (Keycloak, Auth0, Google,
//! Microsoft Entra, …) or other services, verified with their published
//! keys beside the manager's own tokens.
//!
//! A [`TrustedIssuer`] names an issuer exactly as its tokens write `iss`,
//! where its keys come from, and what its tokens must satisfy (audience,
//! algorithms). Register any number with
//! [`JwtManagerBuilder::trusted_issuer`](crate::JwtManagerBuilder::trusted_issuer).
//! Each token is routed by its `iss` claim:
//!
//! - `iss` names a trusted issuer: the key comes from that issuer's key
//!   source, chosen by the token's `kid`; the token's `alg` must be one of
//!   the issuer's algorithms; its `aud` must match the issuer's audience.
//! - otherwise the token is one of ours: the manager's own keys, exactly as
//!   without trusted issuers. A manager that has no key of its own (only
//!   trusted issuers) answers such a token with the reference's issuer
//!   errors: 422 `Invalid issuer`, or `Token is missing the "iss" claim`.
//!
//! Where the keys come from is configuration only. Nothing in a token
//! (`iss`, `kid`, `jku`, `x5u`, `jwk`) ever makes the library contact a URL:
//! an `iss` that is not configured is simply not trusted.
//!
//! A provider's tokens are access tokens that are not fresh, as in the
//! reference (they carry no `type` or `fresh` claim); revocation, custom
//! verification and user lookup apply to them as to ours.
//!
//! Key sources:
//! - a fixed [`KeySet`] ([`TrustedIssuer::with_keys`]): keys you ship or
//!   load yourself;
//! - a remote JWK Set, found through OIDC discovery or at a JWKS URL,
//!   cached and refreshed ([`RemoteJwks`], feature `remote-keys`).
//!
//! ```
//! use jwt_extended::{Algorithm, JwtConfig, JwtManager};
//! use jwt_extended::issuers::TrustedIssuer;
//! use jwt_extended::token::{Key, KeySet};
//!
//! let pem = std::fs::read("tests/fixtures/keys/rsa2048_public.pem")?;
//! let partner = KeySet::new().with_key(Key::from_public_pem("p-1", Algorithm::RS256, &pem)?)?;
//! let jwt = JwtManager::builder(JwtConfig::new().with_secret_key("our-own-secret"))
//!     .trusted_issuer(
//!         TrustedIssuer::with_keys("https://partner.example", partner)
//!             .audience(["our-api"])
//!             .algorithms([Algorithm::RS256]),
//!     )
//!     .build()?;
//! # let _ = jwt;
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

#[cfg(feature = "remote-keys")]
mod http;
#[cfg(feature = "remote-keys")]
mod jwk;
#[cfg(feature = "remote-keys")]
mod remote;

use std::collections::HashMap;
use std::fmt;
use std::sync::Arc;

use jsonwebtoken::DecodingKey;

use crate::config::{Algorithm, ConfigError};
use crate::error::{Error, ErrorKind};
use crate::messages;
use crate::settings::ClaimRules;
use crate::token::KeySet;

#[cfg(feature = "remote-keys")]
pub use remote::{RemoteJwks, RemoteJwksBuilder, RemoteKeysError};

/// An issuer whose tokens the manager accepts, with where its keys come
/// from and what its tokens must satisfy. See the [module docs](self).
#[derive(Clone)]
pub struct TrustedIssuer {
    issuer: String,
    source: Source,
    audience: Option<Vec<String>>,
    algorithms: Vec<Algorithm>,
}

impl fmt::Debug for TrustedIssuer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TrustedIssuer")
            .field("issuer", &self.issuer)
            .field("source", &self.source)
            .field("audience", &self.audience)
            .field("algorithms", &self.algorithms)
            .finish()
    }
}

/// Where a trusted issuer's keys come from.
#[derive(Clone)]
enum Source {
    Fixed(Arc<KeySet>),
    #[cfg(feature = "remote-keys")]
    Remote(RemoteJwks),
}

impl fmt::Debug for Source {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Fixed(set) => f.debug_tuple("Fixed").field(&set.kids()).finish(),
            #[cfg(feature = "remote-keys")]
            Self::Remote(remote) => f.debug_tuple("Remote").field(remote).finish(),
        }
    }
}

impl TrustedIssuer {
    /// An issuer verified with a fixed set of keys (their `kid`s name them;
    /// a token without `kid` is tried with every key of its algorithm's
    /// family). HMAC keys are allowed here, since you supply them yourself.
    /// Algorithms default to the algorithms of the set's keys.
    #[must_use]
    pub fn with_keys(issuer: impl Into<String>, keys: KeySet) -> Self {
        let mut algorithms: Vec<Algorithm> = Vec::new();
        for key in keys.iter() {
            if !algorithms.contains(&key.algorithm()) {
                algorithms.push(key.algorithm());
            }
        }
        Self {
            issuer: issuer.into(),
            source: Source::Fixed(Arc::new(keys)),
            audience: None,
            algorithms,
        }
    }

    /// An issuer whose keys come from a remote JWK Set. Algorithms default
    /// to `RS256`, the algorithm OpenID Connect requires providers to
    /// support.
    ///
    /// ```
    /// use jwt_extended::issuers::{RemoteJwks, TrustedIssuer};
    ///
    /// let keycloak = "https://sso.example.com/realms/main";
    /// let issuer = TrustedIssuer::remote(keycloak, RemoteJwks::discover(keycloak).build()?)
    ///     .audience(["orders-api"]);
    /// assert_eq!(issuer.issuer(), keycloak);
    /// # Ok::<(), jwt_extended::issuers::RemoteKeysError>(())
    /// ```
    #[cfg(feature = "remote-keys")]
    #[must_use]
    pub fn remote(issuer: impl Into<String>, keys: RemoteJwks) -> Self {
        Self {
            issuer: issuer.into(),
            source: Source::Remote(keys),
            audience: None,
            algorithms: vec![Algorithm::RS256],
        }
    }

    /// An OpenID Connect provider: its keys are found through discovery
    /// (`{issuer}/.well-known/openid-configuration`, then its `jwks_uri`)
    /// with the default [`RemoteJwks`] settings. Shorthand for
    /// [`remote`](Self::remote) with [`RemoteJwks::discover`].
    ///
    /// ```
    /// use jwt_extended::issuers::TrustedIssuer;
    ///
    /// let auth0 = TrustedIssuer::discover("https://tenant.eu.auth0.com/")?
    ///     .audience(["https://api.example.com"]);
    /// # let _ = auth0;
    /// # Ok::<(), jwt_extended::issuers::RemoteKeysError>(())
    /// ```
    ///
    /// # Errors
    /// [`RemoteKeysError::InvalidUrl`] or [`RemoteKeysError::InsecureUrl`]
    /// (`http` on a host that is not loopback).
    #[cfg(feature = "remote-keys")]
    pub fn discover(issuer: impl Into<String>) -> Result<Self, RemoteKeysError> {
        let issuer = issuer.into();
        let keys = RemoteJwks::discover(&issuer).build()?;
        Ok(Self::remote(issuer, keys))
    }

    /// The audience the issuer's tokens must name in `aud` (any one of
    /// these values). Without it the manager's `JWT_DECODE_AUDIENCE`
    /// applies; with neither, `aud` is not checked (as in the reference).
    #[must_use]
    pub fn audience<I, S>(mut self, audience: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.audience = Some(audience.into_iter().map(Into::into).collect());
        self
    }

    /// The algorithms accepted in the issuer's tokens (`alg`). A key the
    /// issuer publishes with its own `alg` only verifies that algorithm.
    #[must_use]
    pub fn algorithms(mut self, algorithms: impl IntoIterator<Item = Algorithm>) -> Self {
        self.algorithms = algorithms.into_iter().collect();
        self
    }

    /// The issuer, as its tokens write `iss`.
    #[must_use]
    pub fn issuer(&self) -> &str {
        &self.issuer
    }

    /// The remote key source, when the keys are remote (to warm it up at
    /// start-up or read its state).
    #[cfg(feature = "remote-keys")]
    #[must_use]
    pub fn remote_keys(&self) -> Option<&RemoteJwks> {
        match &self.source {
            Source::Remote(remote) => Some(remote),
            Source::Fixed(_) => None,
        }
    }

    /// Refuses what cannot work: no algorithm, or an HMAC algorithm for
    /// remote keys (a published key is public; it can never be a secret).
    fn check(&self) -> Result<(), ConfigError> {
        let invalid = |reason: String| ConfigError::InvalidValue {
            option: "trusted_issuer",
            reason,
        };
        if self.issuer.is_empty() {
            return Err(invalid("the issuer must not be empty".to_owned()));
        }
        if self.algorithms.is_empty() {
            return Err(invalid(format!(
                "issuer {:?}: no algorithm is allowed",
                self.issuer
            )));
        }
        #[cfg(feature = "remote-keys")]
        if let Source::Remote(_) = self.source
            && let Some(alg) = self.algorithms.iter().find(|a| a.is_hmac())
        {
            return Err(invalid(format!(
                "issuer {:?}: {alg} needs a shared secret, which a JWK Set never provides",
                self.issuer
            )));
        }
        Ok(())
    }
}

/// Why no key could be found for a token.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum LookupError {
    /// The issuer publishes no key for this token (after a refetch where one
    /// was allowed): an invalid token, 422 `Signature verification failed`.
    NoKey,
    /// The keys cannot be known right now (the provider is down or too
    /// slow, and the token needs a key not already known): 503.
    #[cfg_attr(not(feature = "remote-keys"), allow(dead_code))]
    Unavailable,
}

impl From<LookupError> for Error {
    fn from(error: LookupError) -> Self {
        match error {
            LookupError::NoKey => Error::new(
                ErrorKind::InvalidSignature,
                messages::SIGNATURE_VERIFICATION_FAILED,
            ),
            LookupError::Unavailable => {
                Error::new(ErrorKind::KeysUnavailable, messages::KEYS_UNAVAILABLE)
            }
        }
    }
}

/// One issuer as the verification path uses it: its claim rules (the
/// manager's, with the issuer's audience and no `iss` check: routing
/// matched it), its algorithms and its keys.
pub(crate) struct Route {
    pub(crate) rules: ClaimRules,
    pub(crate) algorithms: Vec<Algorithm>,
    source: Source,
}

impl Route {
    /// The keys that may verify a token with this `kid` (or, without one,
    /// every key fitting `algorithm`).
    pub(crate) async fn keys(
        &self,
        kid: Option<&str>,
        algorithm: Algorithm,
    ) -> Result<Vec<Arc<DecodingKey>>, LookupError> {
        match &self.source {
            Source::Fixed(set) => fixed_keys(set, kid, algorithm),
            #[cfg(feature = "remote-keys")]
            Source::Remote(remote) => remote.keys(kid, algorithm).await,
        }
    }
}

fn fixed_keys(
    set: &KeySet,
    kid: Option<&str>,
    algorithm: Algorithm,
) -> Result<Vec<Arc<DecodingKey>>, LookupError> {
    let keys: Vec<Arc<DecodingKey>> = match kid {
        Some(kid) => set
            .verifying_key(kid, algorithm)
            .cloned()
            .into_iter()
            .collect(),
        None => set
            .iter()
            .filter_map(|key| set.verifying_key(key.kid(), algorithm).cloned())
            .collect(),
    };
    if keys.is_empty() {
        Err(LookupError::NoKey)
    } else {
        Ok(keys)
    }
}

/// The trusted issuers by `iss`.
#[derive(Default)]
pub(crate) struct Issuers {
    by_iss: HashMap<String, Route>,
}

impl Issuers {
    /// The routing table for `issuers`, their claim rules derived from the
    /// manager's `rules`.
    pub(crate) fn new(
        issuers: Vec<TrustedIssuer>,
        rules: &ClaimRules,
    ) -> Result<Self, ConfigError> {
        let mut by_iss = HashMap::with_capacity(issuers.len());
        for issuer in issuers {
            issuer.check()?;
            let mut issuer_rules = rules.clone();
            issuer_rules.issuer = None;
            if let Some(audience) = issuer.audience {
                issuer_rules.audience = Some(audience);
            }
            let route = Route {
                rules: issuer_rules,
                algorithms: issuer.algorithms,
                source: issuer.source,
            };
            if by_iss.insert(issuer.issuer.clone(), route).is_some() {
                return Err(ConfigError::InvalidValue {
                    option: "trusted_issuer",
                    reason: format!("issuer {:?} is registered twice", issuer.issuer),
                });
            }
        }
        Ok(Self { by_iss })
    }

    /// Whether no issuer is trusted (the manager's own tokens only).
    pub(crate) fn is_empty(&self) -> bool {
        self.by_iss.is_empty()
    }

    /// The route of a token whose `iss` is `iss`.
    pub(crate) fn route(&self, iss: &str) -> Option<&Route> {
        self.by_iss.get(iss)
    }
}
