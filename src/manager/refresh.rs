//! Implicit refresh, framework-free: whether a verified access token from a
//! cookie is about to expire, and the cookies that renew it. The axum layer
//! and the actix-web middleware only read the request's verification back
//! and append the cookies.

use std::time::Duration;

use super::{JwtManager, Verified};
use crate::config::TokenLocation;
use crate::cookies::CookieSet;
use crate::error::Error;
use crate::token::now_f64;

impl JwtManager {
    /// Whether this verification is due for an implicit refresh: an access
    /// token from the `cookies` location with an `exp` less than `window`
    /// away.
    pub(crate) fn renewal_due(&self, verified: &Verified, window: Duration) -> bool {
        let token = verified.token();
        if verified.location() != TokenLocation::Cookies || token.is_refresh() {
            return false;
        }
        let Some(exp) = token.expires_at() else {
            return false;
        };
        now_f64() + window.as_secs_f64() > exp as f64
    }

    /// The access cookies (the JWT and, with CSRF on, its CSRF cookie) of a
    /// new access token for the same identity and session; with
    /// `keep_custom_claims`, the old token's own claims too.
    pub(crate) async fn renewal_cookies(
        &self,
        verified: &Verified,
        keep_custom_claims: bool,
    ) -> Result<CookieSet, Error> {
        let token = verified.token();
        let mut builder = self.access_token(token.identity());
        if keep_custom_claims {
            builder = builder.additional_claims(super::sessions::custom_claims(token, &[]));
        }
        // A renewed token stays in its session (ending the session still
        // reaches it); tokens without one are renewed as before.
        if let Some(session_id) = token.session_id() {
            builder = builder.session(session_id);
        }
        let new_token = builder.issue()?;
        let cookies = self.set_access_cookies(&new_token).await?;
        tracing::debug!(identity = %token.identity(), "implicit refresh: access cookie renewed");
        Ok(cookies)
    }
}

/// Whether one of these `Set-Cookie` values sets (or deletes) the cookie
/// `name`: then an implicit refresh leaves the response alone.
pub(crate) fn sets_cookie<'a>(values: impl IntoIterator<Item = &'a [u8]>, name: &str) -> bool {
    values.into_iter().any(|value| {
        value
            .split(|b| *b == b'=')
            .next()
            .is_some_and(|n| n.trim_ascii() == name.as_bytes())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn detects_cookie_names() {
        let other: &[u8] = b"other=1; Path=/";
        let access: &[u8] = b"access_token_cookie=; Expires=Thu, 01 Jan 1970 00:00:00 GMT";
        assert!(!sets_cookie([other], "access_token_cookie"));
        assert!(sets_cookie([other, access], "access_token_cookie"));
        assert!(!sets_cookie([access], "access_token"));
    }
}
