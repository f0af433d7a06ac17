//! Revocation: the manager turns tokens into the keys a store looks up
//! ([`RevocationKeys`]) and the entries it writes ([`Revocation`], with how
//! long to keep them), so stores never interpret tokens. Sessions (an
//! access and a refresh token together) are revoked here too.

use std::time::Duration;

use serde_json::{Map, Value};

use super::{DEFAULT_BLOCKLIST_TIMEOUT, DecodeOptions, JwtManager};
use crate::blocklist::{
    BlocklistError, FailureMode, Revocation, RevocationKeys, RevocationKind, identity_key_in,
};
use crate::compat::python::python_int;
use crate::config::Expiry;
use crate::error::{Error, ErrorKind};
use crate::messages;
use crate::runtime::with_timeout;
use crate::token::{DecodedToken, Identity, TokenPair};

/// The keys a store looks up for `token`: its `jti` and its session id.
pub(crate) fn revocation_keys(token: &DecodedToken) -> RevocationKeys<'_> {
    RevocationKeys::new(token.jti(), token.session_id())
}

/// What a token of this `type` is revoked as.
fn kind_of(token_type: Option<&str>) -> RevocationKind {
    match token_type {
        Some("refresh") => RevocationKind::Refresh,
        _ => RevocationKind::Access,
    }
}

fn no_jti() -> Error {
    Error::new(ErrorKind::InvalidClaim, messages::JTI_NOT_A_STRING)
}

/// The entry that revokes a verified token (by its `jti`).
fn revocation_of(token: &DecodedToken) -> Result<Revocation, Error> {
    let jti = token.jti().ok_or_else(no_jti)?;
    Ok(Revocation::new(
        jti,
        kind_of(token.token_type()),
        token.identity().clone(),
        token.expires_at(),
    ))
}

/// The entry that revokes the token these claims belong to.
fn revocation_of_claims(
    claims: &Map<String, Value>,
    identity_claim: &str,
) -> Result<Revocation, Error> {
    let jti = claims
        .get("jti")
        .and_then(Value::as_str)
        .ok_or_else(no_jti)?;
    Ok(Revocation::new(
        jti,
        kind_of(claims.get("type").and_then(Value::as_str)),
        claims.get(identity_claim).cloned().unwrap_or(Value::Null),
        claims.get("exp").and_then(python_int).map(|f| f as i64),
    ))
}

/// The longest time an access token lives with this configured lifetime
/// (`None`: forever).
pub(super) fn max_lifetime(expiry: Expiry) -> Option<Duration> {
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
    /// Whether the token is revoked: the
    /// [`token_in_blocklist_loader`](crate::JwtManagerBuilder::token_in_blocklist_loader)
    /// says so, or the [blocklist](crate::JwtManagerBuilder::blocklist) store
    /// holds one of its keys (its `jti`, its session id). Neither configured
    /// means never revoked. Store failures and timeouts are an
    /// [`ErrorKind::BlocklistUnavailable`] error (unless the manager was
    /// built with [`FailureMode::Open`]).
    ///
    /// # Errors
    /// [`ErrorKind::BlocklistUnavailable`] when the store fails or times out.
    pub async fn is_revoked(&self, token: &DecodedToken) -> Result<bool, Error> {
        let hooks = &self.inner.hooks;
        if hooks.blocklist.is_none() && hooks.blocklist_loader.is_none() {
            return Ok(false);
        }
        match self.within_timeout(self.ask_revoked(token)).await {
            Ok(revoked) => Ok(revoked),
            Err(e) if hooks.failure_mode == FailureMode::Open => {
                tracing::error!(error = %e, "blocklist unavailable; admitting the token (FailureMode::Open)");
                Ok(false)
            }
            Err(e) => {
                tracing::error!(error = %e, "blocklist unavailable; refusing the request");
                Err(unavailable(e))
            }
        }
    }

    /// The loader first (it answers from the token alone), then the store
    /// with the token's keys.
    async fn ask_revoked(&self, token: &DecodedToken) -> Result<bool, BlocklistError> {
        let hooks = &self.inner.hooks;
        if let Some(loader) = &hooks.blocklist_loader
            && loader.is_revoked(token).await
        {
            return Ok(true);
        }
        let Some(store) = &hooks.blocklist else {
            return Ok(false);
        };
        if hooks.sessions.is_some() {
            // "Log out everywhere" cut-offs are looked up with the keys.
            let mut buffer = [0; 128];
            let identity = identity_key_in(token.identity(), &mut buffer);
            let keys = revocation_keys(token).with_identity(&identity, token.issued_at());
            return store.is_revoked(keys).await;
        }
        let keys = revocation_keys(token);
        if keys.is_empty() {
            return Ok(false);
        }
        store.is_revoked(keys).await
    }

    /// Runs a store call under the blocklist timeout.
    pub(super) async fn within_timeout<T>(
        &self,
        call: impl Future<Output = Result<T, BlocklistError>>,
    ) -> Result<T, BlocklistError> {
        let timeout = self
            .inner
            .hooks
            .blocklist_timeout
            .unwrap_or(DEFAULT_BLOCKLIST_TIMEOUT);
        with_timeout(timeout, call).await.unwrap_or_else(|| {
            Err(BlocklistError::new(format!(
                "the blocklist did not answer within {timeout:?}"
            )))
        })
    }

    /// Revokes a verified token in the configured blocklist.
    ///
    /// # Errors
    /// [`ErrorKind::InvalidClaim`] if the token has no string `jti`;
    /// [`ErrorKind::Misconfigured`] without a blocklist;
    /// [`ErrorKind::BlocklistUnavailable`] when the store fails.
    pub async fn revoke(&self, token: &DecodedToken) -> Result<(), Error> {
        self.revoke_entry(&revocation_of(token)?).await
    }

    /// Revokes by a revocation record (e.g. built from a refresh token's
    /// claims at logout). The entry is kept until `expires_at` plus the
    /// decode leeway (refresh tokens and sessions: plus the access-token
    /// lifetime), so that no token it blocks outlives it.
    ///
    /// # Errors
    /// As [`revoke`](Self::revoke).
    pub async fn revoke_entry(&self, revocation: &Revocation) -> Result<(), Error> {
        let Some(blocklist) = &self.inner.hooks.blocklist else {
            return Err(Error::misconfigured(
                "no blocklist is configured: add one with JwtManager::builder(..).blocklist(store)",
            ));
        };
        let revocation = self.retained(revocation);
        self.within_timeout(blocklist.revoke(&revocation))
            .await
            .map_err(unavailable)
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
            .decode_token_with(token, DecodeOptions::new().allow_expired(true))
            .await?;
        self.revoke(&decoded).await
    }

    /// Creates an access token and a refresh token for `identity` that
    /// belong to one session: the refresh token's `jti` is the session id,
    /// and both carry it in `sid` ([`SESSION_CLAIM`](crate::token::SESSION_CLAIM)).
    ///
    /// Revoking the refresh token ([`revoke`](Self::revoke)) then also
    /// revokes every access token of the session, including those minted
    /// later with [`TokenBuilder::session_of`](crate::token::TokenBuilder::session_of). Both tokens use the
    /// configured lifetimes and are not fresh; for other options build them
    /// yourself with [`TokenBuilder::session`](crate::token::TokenBuilder::session).
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
        let revocation = revocation_of_claims(claims, self.config().identity_claim())?;
        self.revoke_entry(&revocation).await
    }

    /// Revokes a whole session at logout: the access token of the request
    /// and the refresh token the client sends along (in the body or a
    /// cookie), plus their session id when they carry one
    /// ([`SESSION_CLAIM`](crate::token::SESSION_CLAIM)).
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
            .decode_token_with(refresh_token, DecodeOptions::new().allow_expired(true))
            .await?;
        if !refresh.is_refresh() {
            return Err(Error::new(
                ErrorKind::WrongTokenType,
                messages::ONLY_REFRESH_TOKENS,
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
            self.revoke_entry(&Revocation::new(
                sid,
                RevocationKind::Session,
                refresh.identity().clone(),
                until,
            ))
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
        if revocation.kind.covers_later_tokens() {
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

pub(super) fn unavailable(e: BlocklistError) -> Error {
    Error::new(
        ErrorKind::BlocklistUnavailable,
        "Token revocation status is unavailable",
    )
    .with_source(e)
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
        let refresh = Revocation::new("r", RevocationKind::Refresh, Value::Null, Some(1_000));
        assert_eq!(jwt.retained(&refresh).expires_at, Some(1_902));
        assert_eq!(
            jwt.retained(&Revocation::for_jti("n", None)).expires_at,
            None
        );
    }

    #[test]
    fn never_expiring_access_tokens_keep_session_entries_forever() {
        let jwt = manager(JwtConfig::new().with_access_token_expires(Expiry::Never));
        let refresh = Revocation::new("r", RevocationKind::Refresh, Value::Null, Some(1_000));
        assert_eq!(jwt.retained(&refresh).expires_at, None);
    }
}
