//! The cookie helpers of the manager (`set_access_cookies`, …): they find
//! the token's CSRF value (verifying an encoded token, as the reference
//! does, or reading it from an [`IssuedToken`]), then build the
//! `Set-Cookie` values with [`crate::cookies`].

use std::borrow::Cow;

use super::JwtManager;
use crate::cookies::sealed::{Sealed, TokenForCookies};
use crate::cookies::{
    CookieOptions, CookieSet, CookieToken, Names, access_names, refresh_names, set, unset,
};
use crate::error::{Error, ErrorKind};
use crate::messages;
use crate::token::IssuedToken;

impl Sealed for &IssuedToken {
    fn cookie_token(&self) -> TokenForCookies<'_> {
        TokenForCookies::Issued {
            encoded: self.as_str(),
            csrf: self.csrf(),
        }
    }
}

impl CookieToken for &IssuedToken {}

impl JwtManager {
    async fn set_cookies(
        &self,
        names: Names<'_>,
        token: impl CookieToken,
        options: &CookieOptions,
    ) -> Result<CookieSet, Error> {
        let config = self.config();
        let token = token.cookie_token();
        let encoded = token.encoded();
        let csrf = if config.cookie_csrf_protect() && config.csrf_in_cookies() {
            Some(self.csrf_for_cookie(token).await?)
        } else {
            None
        };
        Ok(set(config, names, encoded, csrf.as_deref(), options))
    }

    /// The CSRF value of a token: read from an issued token, or from an
    /// encoded token after verifying it (like the reference: setting a
    /// cookie for a bad token is an error).
    async fn csrf_for_cookie<'t>(&self, token: TokenForCookies<'t>) -> Result<Cow<'t, str>, Error> {
        let csrf = match token {
            TokenForCookies::Issued { csrf, .. } => csrf.map(Cow::Borrowed),
            TokenForCookies::Encoded(encoded) => {
                let decoded = self.decode_token(encoded).await?;
                decoded.csrf().map(|csrf| Cow::Owned(csrf.to_owned()))
            }
        };
        csrf.ok_or_else(|| Error::new(ErrorKind::MissingClaim, messages::MISSING_CSRF_CLAIM))
    }

    /// The cookies for an access token (`set_access_cookies`): the JWT in an
    /// `HttpOnly` cookie and, with CSRF protection and `JWT_CSRF_IN_COOKIES`,
    /// its CSRF value in a script-readable cookie.
    ///
    /// The token is a [`CookieToken`]: an [`IssuedToken`] the manager just
    /// made (from [`TokenBuilder::issue`](crate::token::TokenBuilder::issue))
    /// carries its CSRF value, so nothing is decoded; an encoded token
    /// (`&str`, `&String`) is verified to read it, as the reference does.
    ///
    /// ```
    /// use axum::response::{IntoResponse, Response};
    /// use jwt_extended::{JwtManager, axum::{FlaskJson, render_error}};
    ///
    /// async fn login(jwt: JwtManager) -> Response {
    ///     let cookies = match jwt.access_token("alice").issue() {
    ///         Ok(token) => jwt.set_access_cookies(&token).await,
    ///         Err(error) => Err(error),
    ///     };
    ///     match cookies {
    ///         Ok(cookies) => (cookies, FlaskJson(serde_json::json!({"login": true}))).into_response(),
    ///         Err(error) => render_error(&jwt, &error),
    ///     }
    /// }
    /// ```
    ///
    /// # Errors
    /// An encoded token is verified first: decoding errors (e.g. expired).
    /// For either kind, `Missing claim: csrf` when CSRF cookies are on and
    /// the token has no string `csrf` claim (created with CSRF protection
    /// off, or the claim replaced by additional claims).
    pub async fn set_access_cookies(&self, token: impl CookieToken) -> Result<CookieSet, Error> {
        self.set_access_cookies_with(token, &CookieOptions::default())
            .await
    }

    /// [`set_access_cookies`](Self::set_access_cookies) with `max_age`/`domain`.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// use jwt_extended::{JwtConfig, JwtManager, cookies::CookieOptions};
    ///
    /// let jwt = JwtManager::new(JwtConfig::new().with_secret_key("secret"))?;
    /// let token = jwt.access_token("alice").issue()?;
    /// let options = CookieOptions::default().max_age(600);
    /// let cookies = jwt.set_access_cookies_with(&token, &options).await?;
    /// assert!(cookies.cookies().iter().all(|c| c.max_age() == Some(600)));
    /// # Ok(()) }
    /// ```
    ///
    /// # Errors
    /// As [`set_access_cookies`](Self::set_access_cookies).
    pub async fn set_access_cookies_with(
        &self,
        token: impl CookieToken,
        options: &CookieOptions,
    ) -> Result<CookieSet, Error> {
        self.set_cookies(access_names(self.config()), token, options)
            .await
    }

    /// The cookies for a refresh token (`set_refresh_cookies`).
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let jwt = jwt_extended::JwtManager::new(jwt_extended::JwtConfig::new().with_secret_key("k"))?;
    /// let token = jwt.refresh_token("alice").issue()?;
    /// let cookies = jwt.set_refresh_cookies(&token).await?;
    /// assert_eq!(cookies.cookies()[0].name(), "refresh_token_cookie");
    /// assert_eq!(cookies.cookies()[1].value(), token.csrf().unwrap_or_default());
    /// # Ok(()) }
    /// ```
    ///
    /// # Errors
    /// As [`set_access_cookies`](Self::set_access_cookies).
    pub async fn set_refresh_cookies(&self, token: impl CookieToken) -> Result<CookieSet, Error> {
        self.set_refresh_cookies_with(token, &CookieOptions::default())
            .await
    }

    /// [`set_refresh_cookies`](Self::set_refresh_cookies) with `max_age`/`domain`.
    ///
    /// # Errors
    /// As [`set_access_cookies`](Self::set_access_cookies).
    pub async fn set_refresh_cookies_with(
        &self,
        token: impl CookieToken,
        options: &CookieOptions,
    ) -> Result<CookieSet, Error> {
        self.set_cookies(refresh_names(self.config()), token, options)
            .await
    }

    /// The cookies for both tokens of a login, in one set: the access
    /// cookies, then the refresh cookies (JWT cookie, then its CSRF cookie,
    /// for each), exactly what calling
    /// [`set_access_cookies`](Self::set_access_cookies) then
    /// [`set_refresh_cookies`](Self::set_refresh_cookies) writes. The
    /// counterpart of [`unset_jwt_cookies`](Self::unset_jwt_cookies).
    ///
    /// ```
    /// use axum::response::{IntoResponse, Response};
    /// use jwt_extended::{JwtManager, axum::{FlaskJson, render_error}};
    ///
    /// async fn login(jwt: JwtManager) -> Response {
    ///     let cookies = async {
    ///         let access = jwt.access_token("alice").fresh(true).issue()?;
    ///         let refresh = jwt.refresh_token("alice").issue()?;
    ///         jwt.set_jwt_cookies(&access, &refresh).await
    ///     };
    ///     match cookies.await {
    ///         Ok(cookies) => (cookies, FlaskJson(serde_json::json!({"login": true}))).into_response(),
    ///         Err(error) => render_error(&jwt, &error),
    ///     }
    /// }
    /// ```
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let jwt = jwt_extended::JwtManager::new(jwt_extended::JwtConfig::new().with_secret_key("k"))?;
    /// let access = jwt.access_token("alice").issue()?;
    /// let refresh = jwt.refresh_token("alice").issue()?;
    /// let names: Vec<String> = jwt
    ///     .set_jwt_cookies(&access, &refresh)
    ///     .await?
    ///     .into_iter()
    ///     .map(|cookie| cookie.name().to_owned())
    ///     .collect();
    /// assert_eq!(
    ///     names,
    ///     ["access_token_cookie", "csrf_access_token", "refresh_token_cookie", "csrf_refresh_token"]
    /// );
    /// # Ok(()) }
    /// ```
    ///
    /// # Errors
    /// As [`set_access_cookies`](Self::set_access_cookies), for the access
    /// token first.
    pub async fn set_jwt_cookies(
        &self,
        access: impl CookieToken,
        refresh: impl CookieToken,
    ) -> Result<CookieSet, Error> {
        self.set_jwt_cookies_with(access, refresh, &CookieOptions::default())
            .await
    }

    /// [`set_jwt_cookies`](Self::set_jwt_cookies) with `max_age`/`domain`,
    /// the same for all four cookies.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let jwt = jwt_extended::JwtManager::new(jwt_extended::JwtConfig::new().with_secret_key("k"))?;
    /// use jwt_extended::cookies::CookieOptions;
    ///
    /// let access = jwt.access_token("alice").issue()?;
    /// let refresh = jwt.refresh_token("alice").issue()?;
    /// let options = CookieOptions::default().domain("example.com");
    /// let cookies = jwt.set_jwt_cookies_with(&access, &refresh, &options).await?;
    /// assert!(cookies.header_values().all(|line| line.contains("Domain=example.com;")));
    /// # Ok(()) }
    /// ```
    ///
    /// # Errors
    /// As [`set_jwt_cookies`](Self::set_jwt_cookies).
    pub async fn set_jwt_cookies_with(
        &self,
        access: impl CookieToken,
        refresh: impl CookieToken,
        options: &CookieOptions,
    ) -> Result<CookieSet, Error> {
        let access = self.set_access_cookies_with(access, options).await?;
        let refresh = self.set_refresh_cookies_with(refresh, options).await?;
        Ok(access.merge(refresh))
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
