//! Sessions: the claim that ties tokens together, so that revoking one key
//! (the session id) revokes every token that carries it.

use std::fmt;

use serde_json::Value;

use super::{DecodedToken, TokenBuilder};

/// The claim that ties tokens of one session together: `"sid"`, the
/// session id (as in OpenID Connect).
///
/// Tokens made with [`JwtManager::create_token_pair`](crate::JwtManager::create_token_pair),
/// [`TokenBuilder::session`] or [`TokenBuilder::session_of`] carry it. A token
/// counts as revoked when its `jti` **or** its session id has been revoked
/// (see [`RevocationKeys`](crate::blocklist::RevocationKeys)), so one entry can cut off every token of a
/// session, including access tokens minted later by `/refresh`.
///
/// Services that do not know the claim (a Flask service sharing the Redis
/// store, say) ignore it and still see the individual `jti` revocations.
pub const SESSION_CLAIM: &str = "sid";

/// An access token and a refresh token created together, sharing a
/// [session id](SESSION_CLAIM) (see [`JwtManager::create_token_pair`](crate::JwtManager::create_token_pair)).
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
