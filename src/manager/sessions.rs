//! Sessions: token pairs recorded in a session store, refresh-token
//! rotation with reuse detection, a user's sessions, and "log out
//! everywhere". See the [sessions manual](crate::manual::sessions).

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde::Serialize;
use serde_json::{Map, Value};

use super::JwtManager;
use crate::blocklist::{
    DynSessionStore, IdentityCutoff, Revocation, RevocationKind, Rotation, RotationOutcome,
    SessionInfo, SessionRecord, identity_key,
};
use crate::config::Expiry;
use crate::error::{Error, ErrorKind};
use crate::messages;
use crate::token::{DecodedToken, Identity, TokenPair};

fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}

/// The end of a lifetime starting now, in Unix seconds (`None`: never).
fn end_of(expiry: Expiry, now_secs: i64) -> Option<i64> {
    let lifetime = super::revoke::max_lifetime(expiry)?;
    Some(now_secs.saturating_add(i64::try_from(lifetime.as_secs()).unwrap_or(i64::MAX)))
}

/// A token pair being built: see [`JwtManager::token_pair`].
#[must_use = "a pair builder does nothing until `create` is awaited"]
pub struct TokenPairBuilder<'a> {
    jwt: &'a JwtManager,
    identity: crate::token::IdentityClaim,
    fresh: bool,
    claims: Map<String, Value>,
    metadata: Map<String, Value>,
    error: Option<Error>,
}

impl std::fmt::Debug for TokenPairBuilder<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TokenPairBuilder")
            .field("identity", self.identity.as_value())
            .field("fresh", &self.fresh)
            .finish_non_exhaustive()
    }
}

impl TokenPairBuilder<'_> {
    /// Makes the access token fresh (at login; the refreshed ones never are).
    pub fn fresh(mut self, fresh: bool) -> Self {
        self.fresh = fresh;
        self
    }

    /// Claims added to both tokens, and to the access tokens of later
    /// refreshes (a JSON object; anything else is an error at `create`).
    pub fn additional_claims<T: Serialize>(mut self, claims: T) -> Self {
        match serde_json::to_value(claims) {
            Ok(Value::Object(map)) => self.claims.extend(map),
            _ => {
                self.error = Some(Error::new(
                    ErrorKind::Encode,
                    "additional claims must be a JSON object",
                ));
            }
        }
        self
    }

    /// What to remember about the session (a user agent, a device name),
    /// listed by [`JwtManager::sessions`]. Kept in the store only, never
    /// in the tokens.
    pub fn metadata<T: Serialize>(mut self, metadata: T) -> Self {
        match serde_json::to_value(metadata) {
            Ok(Value::Object(map)) => self.metadata.extend(map),
            _ => {
                self.error = Some(Error::new(
                    ErrorKind::Encode,
                    "session metadata must be a JSON object",
                ));
            }
        }
        self
    }

    /// Creates both tokens and, with a session store, records the session.
    ///
    /// # Errors
    /// Token creation errors; [`ErrorKind::BlocklistUnavailable`] when the
    /// store fails (no tokens are returned then).
    pub async fn create(self) -> Result<TokenPair, Error> {
        if let Some(error) = self.error {
            return Err(error);
        }
        let jwt = self.jwt;
        let session_id = uuid::Uuid::new_v4().to_string();
        let refresh = jwt
            .refresh_token(&self.identity)
            .additional_claims(&self.claims)
            .additional_claims(serde_json::json!({ "jti": &session_id }))
            .session(&session_id)
            .issue()?;
        let access = jwt
            .access_token(&self.identity)
            .fresh(self.fresh)
            .additional_claims(&self.claims)
            .session(&session_id)
            .create()?;
        if let Some(store) = jwt.session_store() {
            let now = now_ms().div_euclid(1000);
            let record = SessionRecord::new(
                session_id.clone(),
                identity_key(self.identity.as_value()),
                session_id.clone(),
                now,
                refresh.expires_at().unwrap_or(i64::MAX),
                self.metadata,
            );
            jwt.store_call(store.create_session(&record)).await?;
        }
        Ok(TokenPair {
            access_token: access,
            refresh_token: refresh.into_string(),
            session_id,
        })
    }
}

/// Claims the library writes itself; never carried over into a renewed or
/// rotated token (`sid` is written by
/// [`TokenBuilder::session`](crate::token::TokenBuilder::session)).
const LIBRARY_CLAIMS: [&str; 10] = [
    "fresh", "iat", "jti", "type", "nbf", "csrf", "aud", "iss", "exp", "sid",
];

/// The app's own claims of `token`: everything but [`LIBRARY_CLAIMS`], the
/// identity claim and `also_left_out`.
pub(super) fn custom_claims(token: &DecodedToken, also_left_out: &[&str]) -> Map<String, Value> {
    let identity_claim = token.identity_claim_name();
    token
        .claims()
        .iter()
        .filter(|(name, _)| {
            let name = name.as_str();
            !LIBRARY_CLAIMS.contains(&name)
                && !also_left_out.contains(&name)
                && name != identity_claim
        })
        .map(|(name, value)| (name.clone(), value.clone()))
        .collect()
}

impl JwtManager {
    /// The session store, when one is configured.
    pub(crate) fn session_store(&self) -> Option<&dyn DynSessionStore> {
        self.inner.hooks.sessions.as_deref()
    }

    fn require_session_store(&self) -> Result<&dyn DynSessionStore, Error> {
        self.session_store().ok_or_else(|| {
            Error::misconfigured(
                "no session store is configured: add one with JwtManager::builder(..).session_store(store)",
            )
        })
    }

    /// A store call under the blocklist timeout; failures are 503.
    async fn store_call<T>(
        &self,
        call: impl Future<Output = Result<T, crate::blocklist::BlocklistError>>,
    ) -> Result<T, Error> {
        self.within_timeout(call)
            .await
            .map_err(super::revoke::unavailable)
    }

    /// Starts building an access and a refresh token of one new session
    /// (see [`TokenPairBuilder`]): both carry the session id in `sid`, the
    /// refresh token's `jti` is the session id, and with a
    /// [session store](crate::JwtManagerBuilder::session_store) the session
    /// is recorded for rotation and listing.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// use jwt_extended::blocklist::MemoryBlocklist;
    /// use jwt_extended::{JwtConfig, JwtManager};
    /// use serde_json::json;
    ///
    /// let jwt = JwtManager::builder(JwtConfig::new().with_secret_key("super-secret"))
    ///     .session_store(MemoryBlocklist::new())
    ///     .build()?;
    /// let pair = jwt
    ///     .token_pair("alice")
    ///     .fresh(true)
    ///     .additional_claims(json!({"role": "admin"}))
    ///     .metadata(json!({"user_agent": "curl/8"}))
    ///     .create()
    ///     .await?;
    /// let access = jwt.decode_token(&pair.access_token).await?;
    /// assert!(access.is_fresh());
    /// assert_eq!(access.session_id(), Some(pair.session_id.as_str()));
    /// assert_eq!(jwt.sessions(&json!("alice")).await?.len(), 1);
    /// # Ok(()) }
    /// ```
    pub fn token_pair<I: Identity + ?Sized>(&self, identity: &I) -> TokenPairBuilder<'_> {
        TokenPairBuilder {
            jwt: self,
            identity: identity.identity_claim(),
            fresh: false,
            claims: Map::new(),
            metadata: Map::new(),
            error: None,
        }
    }

    /// Exchanges a verified refresh token for a new pair of the same
    /// session (refresh-token rotation, RFC 9700 §4.14.2), in one atomic
    /// step of the session store:
    ///
    /// - the session's current refresh token: a new access token and a new
    ///   refresh token; the presented one is used up;
    /// - its immediate predecessor, within the
    ///   [grace window](crate::JwtManagerBuilder::refresh_token_rotation):
    ///   a new access token and the current refresh token again (a client
    ///   that raced or retried goes on);
    /// - any other refresh token of the session: **reuse** — the whole
    ///   session is revoked (its refresh and access tokens), a warning is
    ///   logged, and the answer is 401 `Refresh token has already been used`
    ///   ([`ErrorKind::RefreshTokenReused`]);
    /// - a session that ended or was revoked: 401 `Token has been revoked`.
    ///
    /// The new refresh token expires when the session's first one would
    /// have: rotation never extends a session. Claims the app added at
    /// login are carried over; the new access token is not fresh.
    ///
    /// # Errors
    /// As above; [`ErrorKind::InvalidClaim`] for a refresh token without
    /// `sid`/`jti`; [`ErrorKind::BlocklistUnavailable`] when the store
    /// fails; [`ErrorKind::Misconfigured`] without a session store.
    pub async fn rotate_refresh_token(&self, refresh: &DecodedToken) -> Result<TokenPair, Error> {
        let store = self.require_session_store()?;
        if !refresh.is_refresh() {
            return Err(Error::new(
                ErrorKind::WrongTokenType,
                messages::ONLY_REFRESH_TOKENS,
            ));
        }
        let (Some(session_id), Some(jti)) = (refresh.session_id(), refresh.jti()) else {
            return Err(Error::new(
                ErrorKind::InvalidClaim,
                "The refresh token belongs to no session",
            ));
        };
        let next_jti = uuid::Uuid::new_v4().to_string();
        let grace = self.inner.hooks.rotation_grace.unwrap_or(Duration::ZERO);
        let rotation = Rotation::new(
            session_id,
            jti,
            &next_jti,
            now_ms(),
            i64::try_from(grace.as_millis()).unwrap_or(i64::MAX),
        );
        let outcome = self.store_call(store.rotate(&rotation)).await?;
        let refresh_jti = match outcome {
            RotationOutcome::Rotated => next_jti,
            RotationOutcome::Retry { current_jti } => current_jti,
            RotationOutcome::Reused => {
                tracing::warn!(
                    session = session_id,
                    "a used refresh token was presented again (possible theft): session revoked"
                );
                self.revoke_session_entry(refresh.identity(), session_id, refresh.expires_at())
                    .await?;
                return Err(Error::new(
                    ErrorKind::RefreshTokenReused,
                    messages::REFRESH_TOKEN_REUSED,
                )
                .with_token(refresh.header().clone(), refresh.claims().clone()));
            }
            _ => {
                return Err(Error::new(ErrorKind::RevokedToken, messages::TOKEN_REVOKED)
                    .with_token(refresh.header().clone(), refresh.claims().clone()));
            }
        };
        self.pair_of_session(refresh, session_id, &refresh_jti)
    }

    /// A new access token and a refresh token with `refresh_jti` for the
    /// session of `refresh`, ending when `refresh` does.
    fn pair_of_session(
        &self,
        refresh: &DecodedToken,
        session_id: &str,
        refresh_jti: &str,
    ) -> Result<TokenPair, Error> {
        let identity = crate::token::IdentityClaim::raw(refresh.identity().clone());
        let carried = custom_claims(refresh, &["sub"]);
        let mut builder = self
            .refresh_token(&identity)
            .additional_claims(&carried)
            .additional_claims(serde_json::json!({ "jti": refresh_jti }))
            .session(session_id);
        if let Some(exp) = refresh.expires_at() {
            let at = UNIX_EPOCH + Duration::from_secs(u64::try_from(exp).unwrap_or(0));
            builder = builder.expires_at(at);
        }
        let refresh_token = builder.create()?;
        let access_token = self
            .access_token(&identity)
            .additional_claims(&carried)
            .session(session_id)
            .create()?;
        Ok(TokenPair {
            access_token,
            refresh_token,
            session_id: session_id.to_owned(),
        })
    }

    /// Records the revocation of a session id in the blocklist, kept until
    /// its last token can have expired.
    async fn revoke_session_entry(
        &self,
        identity: &Value,
        session_id: &str,
        expires_at: Option<i64>,
    ) -> Result<(), Error> {
        let entry = Revocation::new(
            session_id,
            RevocationKind::Session,
            identity.clone(),
            expires_at,
        );
        self.revoke_entry(&entry).await
    }

    /// The sessions of `identity` (the identity claim's value) that have not
    /// ended, oldest first.
    ///
    /// # Errors
    /// [`ErrorKind::BlocklistUnavailable`] when the store fails;
    /// [`ErrorKind::Misconfigured`] without a session store.
    pub async fn sessions(&self, identity: &Value) -> Result<Vec<SessionInfo>, Error> {
        let store = self.require_session_store()?;
        let now = now_ms().div_euclid(1000);
        self.store_call(store.sessions(&identity_key(identity), now))
            .await
    }

    /// Ends session `session_id` of `identity`: it can no longer be
    /// refreshed, and every token carrying its `sid` is refused from now on.
    /// Returns whether `identity` had such a session (a session of another
    /// identity is left alone: `false`).
    ///
    /// # Errors
    /// [`ErrorKind::BlocklistUnavailable`] when the store fails;
    /// [`ErrorKind::Misconfigured`] without a session store.
    pub async fn end_session(&self, identity: &Value, session_id: &str) -> Result<bool, Error> {
        let store = self.require_session_store()?;
        let deleted = self
            .store_call(store.delete_session(&identity_key(identity), session_id))
            .await?;
        match deleted {
            Some(session) => {
                self.revoke_session_entry(identity, session_id, Some(session.expires_at))
                    .await?;
                Ok(true)
            }
            None => Ok(false),
        }
    }

    /// Ends the session of a verified token (an access token at logout is
    /// enough: no refresh token needed). Tokens without a session id are
    /// revoked by their `jti` instead.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # use jwt_extended::{blocklist::MemoryBlocklist, JwtConfig, JwtManager};
    /// # let jwt = JwtManager::builder(JwtConfig::new().with_secret_key("k"))
    /// #     .session_store(MemoryBlocklist::new()).build()?;
    /// let pair = jwt.token_pair("alice").create().await?;
    /// let access = jwt.decode_token(&pair.access_token).await?;
    /// jwt.revoke_session_of(&access).await?;
    /// let refresh = jwt.decode_token(&pair.refresh_token).await?;
    /// assert!(jwt.is_revoked(&refresh).await?);
    /// # Ok(()) }
    /// ```
    ///
    /// # Errors
    /// The errors of [`revoke_entry`](Self::revoke_entry).
    pub async fn revoke_session_of(&self, token: &DecodedToken) -> Result<(), Error> {
        let Some(session_id) = token.session_id() else {
            return self.revoke(token).await;
        };
        let mut deleted = None;
        if let Some(store) = self.session_store() {
            deleted = self
                .store_call(store.delete_session(&identity_key(token.identity()), session_id))
                .await?;
        }
        // Until the session's last refresh token expires: the recorded end,
        // else the longest a refresh token made now could live.
        let expires_at = match deleted {
            Some(session) => Some(session.expires_at),
            None => end_of(
                self.config().refresh_token_expires(),
                now_ms().div_euclid(1000),
            ),
        };
        self.revoke_session_entry(token.identity(), session_id, expires_at)
            .await
    }

    /// Logs `identity` out everywhere: every token issued to it until now
    /// is refused (one write, checked with the revocation lookup of every
    /// request), and its sessions end. Tokens created afterwards work.
    /// A token issued in the same second as the call is refused too
    /// (`iat` has whole seconds).
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # use jwt_extended::{blocklist::MemoryBlocklist, JwtConfig, JwtManager};
    /// # use serde_json::json;
    /// # let jwt = JwtManager::builder(JwtConfig::new().with_secret_key("k"))
    /// #     .session_store(MemoryBlocklist::new()).build()?;
    /// let phone = jwt.decode_token(&jwt.token_pair("alice").create().await?.access_token).await?;
    /// jwt.revoke_all_tokens_of(&json!("alice")).await?;
    /// assert!(jwt.is_revoked(&phone).await?);
    /// assert!(jwt.sessions(&json!("alice")).await?.is_empty());
    /// # Ok(()) }
    /// ```
    ///
    /// # Errors
    /// [`ErrorKind::BlocklistUnavailable`] when the store fails;
    /// [`ErrorKind::Misconfigured`] without a session store.
    pub async fn revoke_all_tokens_of(&self, identity: &Value) -> Result<(), Error> {
        let store = self.require_session_store()?;
        let now = now_ms().div_euclid(1000);
        let config = self.config();
        let leeway = i64::try_from(config.decode_leeway().as_secs()).unwrap_or(i64::MAX);
        let keep_until = end_of(config.refresh_token_expires(), now)
            .zip(end_of(config.access_token_expires(), now))
            .map(|(a, b)| a.max(b).saturating_add(leeway).saturating_add(1));
        let key = identity_key(identity);
        let cutoff = IdentityCutoff::new(key.clone(), now, keep_until);
        self.store_call(store.revoke_identity(&cutoff)).await?;
        let sessions = self.store_call(store.sessions(&key, now)).await?;
        for session in sessions {
            self.store_call(store.delete_session(&key, &session.id))
                .await?;
        }
        Ok(())
    }
}
