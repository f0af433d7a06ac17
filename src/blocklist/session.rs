//! Revoking sessions (an access and a refresh token together) and the
//! manager's revocation helpers shared by every store.

use std::fmt;
use std::time::Duration;

use serde_json::{Map, Value};

use super::Revocation;
use crate::config::Expiry;
use crate::error::{Error, ErrorKind};
use crate::manager::{DecodeOptions, JwtManager};
use crate::token::{DecodedToken, Identity, TokenBuilder};

/// The claim that ties tokens of one session together: `"sid"`, the
/// session id (as in OpenID Connect).
///
/// Tokens made with [`JwtManager::create_token_pair`],
/// [`TokenBuilder::session`] or [`TokenBuilder::session_of`] carry it. A token
/// counts as revoked when its `jti` **or** its session id has been revoked
/// (see [`revocation_keys`]), so one entry can cut off every token of a
/// session, including access tokens minted later by `/refresh`.
///
/// Services that do not know the claim (a Flask service sharing the Redis
/// store, say) ignore it and still see the individual `jti` revocations.
pub const SESSION_CLAIM: &str = "sid";

/// The keys a store must look up to decide whether `token` is revoked: its
/// `jti` and, when present and different, its [session id](SESSION_CLAIM).
/// Non-string values are ignored; a token with neither key cannot be
/// revoked (and is never reported as revoked).
///
/// Every store in this crate checks all of them in one round trip; custom
/// stores should do the same.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// # let jwt = jwt_extended::JwtManager::new(jwt_extended::JwtConfig::new().with_secret_key("k"))?;
/// use jwt_extended::blocklist::revocation_keys;
///
/// let pair = jwt.create_token_pair("alice")?;
/// let access = jwt.decode_token(&pair.access_token).await?;
/// let keys: Vec<&str> = revocation_keys(&access).collect();
/// assert_eq!(keys, [access.jti().unwrap_or_default(), pair.session_id.as_str()]);
/// # Ok(()) }
/// ```
pub fn revocation_keys(token: &DecodedToken) -> impl Iterator<Item = &str> + '_ {
    let jti = token.jti();
    let session = token.session_id().filter(|sid| Some(*sid) != jti);
    jti.into_iter().chain(session)
}

/// An access token and a refresh token created together, sharing a
/// [session id](SESSION_CLAIM) (see [`JwtManager::create_token_pair`]).
///
/// `Debug` does not show the tokens (they are credentials).
#[derive(Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct TokenPair {
    /// The encoded access token.
    pub access_token: String,
    /// The encoded refresh token; its `jti` is the session id.
    pub refresh_token: String,
    /// The session id written into both tokens' `sid` claim.
    pub session_id: String,
}

impl fmt::Debug for TokenPair {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TokenPair")
            .field("access_token", &"<redacted>")
            .field("refresh_token", &"<redacted>")
            .field("session_id", &self.session_id)
            .finish()
    }
}

impl DecodedToken {
    /// The session id ([`SESSION_CLAIM`], `sid`), if the token has a string one.
    #[must_use]
    pub fn session_id(&self) -> Option<&str> {
        self.claim(SESSION_CLAIM).and_then(Value::as_str)
    }
}

impl TokenBuilder<'_> {
    /// Ties the token to a session: writes `sid` (see [`SESSION_CLAIM`]).
    /// Revoking the session id then revokes this token too.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let jwt = jwt_extended::JwtManager::new(jwt_extended::JwtConfig::new().with_secret_key("k"))?;
    /// // A fresh access token at login, tied to a session of your own.
    /// let token = jwt.access_token("alice").fresh(true).session("s-42").create()?;
    /// assert_eq!(jwt.decode_token(&token).await?.session_id(), Some("s-42"));
    /// # Ok(()) }
    /// ```
    pub fn session(self, session_id: &str) -> Self {
        self.additional_claims(serde_json::json!({ SESSION_CLAIM: session_id }))
    }

    /// Ties the token to the session of `token`: its `sid`, or else its
    /// `jti` (so an access token made from a refresh token that has no
    /// session is revoked along with that refresh token). Use it in the
    /// refresh endpoint:
    ///
    /// ```
    /// use jwt_extended::axum::{Jwt, Refresh};
    /// use jwt_extended::JwtManager;
    ///
    /// async fn refresh(
    ///     jwt: axum::extract::State<JwtManager>,
    ///     token: Jwt<Refresh>,
    /// ) -> Result<String, jwt_extended::axum::JwtRejection> {
    ///     Ok(jwt.access_token(token.identity()).session_of(&token).create()?)
    /// }
    /// ```
    ///
    /// A token with neither claim leaves the builder unchanged.
    pub fn session_of(self, token: &DecodedToken) -> Self {
        match token.session_id().or_else(|| token.jti()) {
            Some(session_id) => self.session(session_id),
            None => self,
        }
    }
}

/// The longest time an access token lives with this configured lifetime
/// (`None`: forever).
fn max_lifetime(expiry: Expiry) -> Option<Duration> {
    match expiry {
        Expiry::After(d) => Some(d),
        Expiry::Months { months, plus } => {
            Some(Duration::from_secs(u64::from(months) * 31 * 86_400).saturating_add(plus))
        }
        Expiry::Never => None,
    }
}

fn seconds_ceil(d: Duration) -> i64 {
    let secs = d.as_secs() + u64::from(d.subsec_nanos() > 0);
    i64::try_from(secs).unwrap_or(i64::MAX)
}

impl JwtManager {
    /// Creates an access token and a refresh token for `identity` that
    /// belong to one session: the refresh token's `jti` is the session id,
    /// and both carry it in `sid` ([`SESSION_CLAIM`]).
    ///
    /// Revoking the refresh token ([`revoke`](Self::revoke)) then also
    /// revokes every access token of the session, including those minted
    /// later with [`TokenBuilder::session_of`]. Both tokens use the
    /// configured lifetimes and are not fresh; for other options build them
    /// yourself with [`TokenBuilder::session`].
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// use jwt_extended::blocklist::MemoryBlocklist;
    /// use jwt_extended::{JwtConfig, JwtManager};
    ///
    /// let jwt = JwtManager::builder(JwtConfig::new().with_secret_key("super-secret"))
    ///     .blocklist(MemoryBlocklist::new())
    ///     .build()?;
    /// let pair = jwt.create_token_pair("alice")?;
    /// let access = jwt.decode_token(&pair.access_token).await?;
    /// let refresh = jwt.decode_token(&pair.refresh_token).await?;
    ///
    /// jwt.revoke(&refresh).await?; // logout with the refresh token only
    /// assert!(jwt.is_revoked(&access).await?);
    /// # Ok(()) }
    /// ```
    ///
    /// # Errors
    /// As [`create_access_token`](Self::create_access_token).
    pub fn create_token_pair<I: Identity + ?Sized>(
        &self,
        identity: &I,
    ) -> Result<TokenPair, Error> {
        let session_id = uuid::Uuid::new_v4().to_string();
        let refresh_token = self
            .refresh_token(identity)
            .additional_claims(serde_json::json!({ "jti": &session_id }))
            .session(&session_id)
            .create()?;
        let access_token = self.access_token(identity).session(&session_id).create()?;
        Ok(TokenPair {
            access_token,
            refresh_token,
            session_id,
        })
    }

    /// Revokes a token by its claims (for example claims you stored, or read
    /// from a token you decoded yourself), with the configured identity
    /// claim.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let jwt = jwt_extended::JwtManager::builder(jwt_extended::JwtConfig::new().with_secret_key("k"))
    /// #     .blocklist(jwt_extended::blocklist::MemoryBlocklist::new()).build()?;
    /// let token = jwt.decode_token(&jwt.create_access_token("alice")?).await?;
    /// let claims = token.claims().clone(); // e.g. kept in an audit log
    /// jwt.revoke_claims(&claims).await?;
    /// assert!(jwt.is_revoked(&token).await?);
    /// # Ok(()) }
    /// ```
    ///
    /// # Errors
    /// [`ErrorKind::InvalidClaim`] if the claims have no string `jti`; else
    /// as [`revoke_entry`](Self::revoke_entry).
    pub async fn revoke_claims(&self, claims: &Map<String, Value>) -> Result<(), Error> {
        let revocation =
            Revocation::from_claims(claims, self.config().identity_claim()).map_err(|e| {
                Error::new(ErrorKind::InvalidClaim, "JWT ID must be a string").with_source(e)
            })?;
        self.revoke_entry(&revocation).await
    }

    /// Revokes a whole session at logout: the access token of the request
    /// and the refresh token the client sends along (in the body or a
    /// cookie), plus their session id when they carry one
    /// ([`SESSION_CLAIM`]).
    ///
    /// The refresh token is fully verified (an expired one is accepted:
    /// there is nothing left to revoke for it, and the access token is still
    /// revoked), must be a refresh token, and must have the same identity as
    /// the access token, so that one user cannot revoke another's session by
    /// mistake. The refresh token is revoked first; the call is idempotent,
    /// so on a store error the client can simply retry.
    ///
    /// ```
    /// use axum::Json;
    /// use axum::extract::State;
    /// use jwt_extended::axum::{Jwt, JwtRejection};
    /// use jwt_extended::JwtManager;
    /// use serde_json::{Value, json};
    ///
    /// #[derive(serde::Deserialize)]
    /// struct Logout {
    ///     refresh_token: String,
    /// }
    ///
    /// async fn logout(
    ///     State(jwt): State<JwtManager>,
    ///     access: Jwt,
    ///     Json(body): Json<Logout>,
    /// ) -> Result<Json<Value>, JwtRejection> {
    ///     jwt.revoke_session(&access, &body.refresh_token).await?;
    ///     Ok(Json(json!({"msg": "Session revoked"})))
    /// }
    /// ```
    ///
    /// # Errors
    /// - decoding errors for a forged or malformed refresh token;
    /// - [`ErrorKind::WrongTokenType`] (`Only refresh tokens are allowed`)
    ///   if `refresh_token` is not one;
    /// - [`ErrorKind::InvalidClaim`] if the identities differ or a token has
    ///   no string `jti`;
    /// - the errors of [`revoke_entry`](Self::revoke_entry).
    pub async fn revoke_session(
        &self,
        access: &DecodedToken,
        refresh_token: &str,
    ) -> Result<(), Error> {
        let refresh = self
            .decode_token_with(
                refresh_token,
                DecodeOptions {
                    allow_expired: true,
                    ..DecodeOptions::default()
                },
            )
            .await?;
        if !refresh.is_refresh() {
            return Err(Error::new(
                ErrorKind::WrongTokenType,
                "Only refresh tokens are allowed",
            ));
        }
        if refresh.identity() != access.identity() {
            return Err(Error::new(
                ErrorKind::InvalidClaim,
                "The refresh token belongs to another identity",
            ));
        }
        self.revoke(&refresh).await?;
        self.revoke(access).await?;
        // Tokens tied to a session id of their own (not the refresh `jti`).
        let until = [access.expires_at(), refresh.expires_at()]
            .into_iter()
            .try_fold(i64::MIN, |max, exp| exp.map(|e| max.max(e)));
        let mut sessions = [access.session_id(), refresh.session_id()];
        if sessions[0] == sessions[1] {
            sessions[1] = None;
        }
        for sid in sessions.into_iter().flatten() {
            if Some(sid) == refresh.jti() || Some(sid) == access.jti() {
                continue;
            }
            self.revoke_entry(&Revocation {
                jti: sid.to_owned(),
                token_type: "session".to_owned(),
                identity: refresh.identity().clone(),
                expires_at: until,
            })
            .await?;
        }
        Ok(())
    }

    /// The record as it is stored: kept as long as a token it blocks can
    /// still be accepted. That is the token's `exp` plus the decode leeway,
    /// and for refresh tokens and sessions, plus the longest access-token
    /// lifetime too (access tokens of the session minted just before the
    /// refresh token expired outlive it by that much).
    pub(crate) fn retained(&self, revocation: &Revocation) -> Revocation {
        let mut stored = revocation.clone();
        let Some(exp) = revocation.expires_at else {
            return stored;
        };
        let config = self.config();
        let mut until = exp.saturating_add(seconds_ceil(config.decode_leeway()));
        if matches!(revocation.token_type.as_str(), "refresh" | "session") {
            match max_lifetime(config.access_token_expires()) {
                Some(lifetime) => until = until.saturating_add(seconds_ceil(lifetime)),
                None => {
                    stored.expires_at = None;
                    return stored;
                }
            }
        }
        stored.expires_at = Some(until);
        stored
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;
    use crate::JwtConfig;

    fn manager(config: JwtConfig) -> JwtManager {
        match JwtManager::new(config.with_secret_key("k")) {
            Ok(m) => m,
            Err(e) => panic!("{e}"),
        }
    }

    #[test]
    fn retention_adds_leeway_and_access_lifetime_for_refresh_tokens() {
        let jwt = manager(
            JwtConfig::new()
                .with_decode_leeway(Duration::from_millis(1500))
                .with_access_token_expires(Duration::from_secs(900)),
        );
        let access = Revocation::for_jti("a", Some(1_000));
        assert_eq!(jwt.retained(&access).expires_at, Some(1_002));
        let mut refresh = Revocation::for_jti("r", Some(1_000));
        refresh.token_type = "refresh".into();
        assert_eq!(jwt.retained(&refresh).expires_at, Some(1_902));
        assert_eq!(
            jwt.retained(&Revocation::for_jti("n", None)).expires_at,
            None
        );
    }

    #[test]
    fn never_expiring_access_tokens_keep_session_entries_forever() {
        let jwt = manager(JwtConfig::new().with_access_token_expires(Expiry::Never));
        let mut refresh = Revocation::for_jti("r", Some(1_000));
        refresh.token_type = "refresh".into();
        assert_eq!(jwt.retained(&refresh).expires_at, None);
    }
}
