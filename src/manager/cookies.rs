//! The cookie helpers of the manager (`set_access_cookies`, …): they
//! verify the token to read its CSRF value, then build the `Set-Cookie`
//! values with [`crate::cookies`].

use super::JwtManager;
use crate::cookies::{CookieOptions, CookieSet, Names, access_names, refresh_names, set, unset};
use crate::error::{Error, ErrorKind};
use crate::messages;

impl JwtManager {
    async fn set_cookies(
        &self,
        names: Names<'_>,
        token: &str,
        options: &CookieOptions,
    ) -> Result<CookieSet, Error> {
        let config = self.config();
        let csrf = if config.cookie_csrf_protect() && config.csrf_in_cookies() {
            // Like the reference, the token is fully verified to read its
            // CSRF value: setting a cookie for a bad token is an error.
            let decoded = self.decode_token(token).await?;
            match decoded.claim("csrf").and_then(|c| c.as_str()) {
                Some(csrf) => Some(csrf.to_owned()),
                None => {
                    return Err(Error::new(
                        ErrorKind::MissingClaim,
                        messages::MISSING_CSRF_CLAIM,
                    ));
                }
            }
        } else {
            None
        };
        Ok(set(config, names, token, csrf.as_deref(), options))
    }

    /// The access cookies for a token this manager has just created: its
    /// CSRF value is read from the payload without verifying the signature
    /// again (used by the implicit-refresh layer).
    #[cfg(feature = "axum")]
    pub(crate) fn cookies_for_new_access_token(&self, token: &str) -> Result<CookieSet, Error> {
        let config = self.config();
        let csrf = if config.cookie_csrf_protect() && config.csrf_in_cookies() {
            let unverified = crate::token::jws::parse_unverified(token.as_bytes())?;
            match unverified
                .claims
                .get(crate::token::scan::Claim::Csrf)
                .and_then(|c| c.as_str())
            {
                Some(csrf) => Some(csrf.to_owned()),
                None => {
                    return Err(Error::new(
                        ErrorKind::MissingClaim,
                        messages::MISSING_CSRF_CLAIM,
                    ));
                }
            }
        } else {
            None
        };
        Ok(set(
            config,
            access_names(config),
            token,
            csrf.as_deref(),
            &CookieOptions::default(),
        ))
    }

    /// The cookies for an access token (`set_access_cookies`): the JWT in an
    /// `HttpOnly` cookie and, with CSRF protection and `JWT_CSRF_IN_COOKIES`,
    /// its CSRF value in a script-readable cookie.
    ///
    /// ```
    /// use axum::response::{IntoResponse, Response};
    /// use jwt_extended::{JwtManager, axum::{FlaskJson, error_response}};
    ///
    /// async fn login(jwt: JwtManager) -> Response {
    ///     let cookies = match jwt.create_access_token("alice") {
    ///         Ok(token) => jwt.set_access_cookies(&token).await,
    ///         Err(error) => Err(error),
    ///     };
    ///     match cookies {
    ///         Ok(cookies) => (cookies, FlaskJson(serde_json::json!({"login": true}))).into_response(),
    ///         Err(error) => error_response(&jwt, &error),
    ///     }
    /// }
    /// ```
    ///
    /// # Errors
    /// The token is verified first: decoding errors (e.g. expired), or
    /// `Missing claim: csrf` for a token created with CSRF protection off.
    pub async fn set_access_cookies(&self, token: &str) -> Result<CookieSet, Error> {
        self.set_access_cookies_with(token, &CookieOptions::default())
            .await
    }

    /// [`set_access_cookies`](Self::set_access_cookies) with `max_age`/`domain`.
    ///
    /// # Errors
    /// As [`set_access_cookies`](Self::set_access_cookies).
    pub async fn set_access_cookies_with(
        &self,
        token: &str,
        options: &CookieOptions,
    ) -> Result<CookieSet, Error> {
        self.set_cookies(access_names(self.config()), token, options)
            .await
    }

    /// The cookies for a refresh token (`set_refresh_cookies`).
    ///
    /// # Errors
    /// As [`set_access_cookies`](Self::set_access_cookies).
    pub async fn set_refresh_cookies(&self, token: &str) -> Result<CookieSet, Error> {
        self.set_refresh_cookies_with(token, &CookieOptions::default())
            .await
    }

    /// [`set_refresh_cookies`](Self::set_refresh_cookies) with `max_age`/`domain`.
    ///
    /// # Errors
    /// As [`set_access_cookies`](Self::set_access_cookies).
    pub async fn set_refresh_cookies_with(
        &self,
        token: &str,
        options: &CookieOptions,
    ) -> Result<CookieSet, Error> {
        self.set_cookies(refresh_names(self.config()), token, options)
            .await
    }

    /// Cookies that delete the access cookie and its CSRF cookie
    /// (`unset_access_cookies`).
    pub fn unset_access_cookies(&self) -> CookieSet {
        self.unset_access_cookies_with(&CookieOptions::default())
    }

    /// [`unset_access_cookies`](Self::unset_access_cookies) with `domain`.
    pub fn unset_access_cookies_with(&self, options: &CookieOptions) -> CookieSet {
        unset(self.config(), access_names(self.config()), options)
    }

    /// Cookies that delete the refresh cookie and its CSRF cookie
    /// (`unset_refresh_cookies`).
    pub fn unset_refresh_cookies(&self) -> CookieSet {
        self.unset_refresh_cookies_with(&CookieOptions::default())
    }

    /// [`unset_refresh_cookies`](Self::unset_refresh_cookies) with `domain`.
    pub fn unset_refresh_cookies_with(&self, options: &CookieOptions) -> CookieSet {
        unset(self.config(), refresh_names(self.config()), options)
    }

    /// Cookies that delete all four JWT and CSRF cookies, access first
    /// (`unset_jwt_cookies`). They have an empty value, an `Expires` in 1970
    /// and no `Max-Age`, like the reference's.
    ///
    /// ```
    /// use axum::response::IntoResponse;
    /// use jwt_extended::{JwtManager, axum::FlaskJson};
    ///
    /// async fn logout(jwt: JwtManager) -> impl IntoResponse {
    ///     (jwt.unset_jwt_cookies(), FlaskJson(serde_json::json!({"msg": "logout successful"})))
    /// }
    /// ```
    pub fn unset_jwt_cookies(&self) -> CookieSet {
        self.unset_jwt_cookies_with(&CookieOptions::default())
    }

    /// [`unset_jwt_cookies`](Self::unset_jwt_cookies) with `domain`.
    pub fn unset_jwt_cookies_with(&self, options: &CookieOptions) -> CookieSet {
        self.unset_access_cookies_with(options)
            .merge(self.unset_refresh_cookies_with(options))
    }
}
