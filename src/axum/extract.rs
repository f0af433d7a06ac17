//! Extractors: route protection, the axum way.

use std::marker::PhantomData;
use std::ops::Deref;

use axum_core::extract::{FromRef, FromRequestParts, OptionalFromRequestParts};
use http::Method;
use http::request::Parts;
use serde::de::DeserializeOwned;

use super::rejection::JwtRejection;
use super::requirement::{Access, Requirement};
use super::state::{VerifiedCache, manager_for, request_parts};
use crate::config::TokenLocation;
use crate::error::Error;
use crate::manager::{JwtManager, Verified, VerifyOptions};
use crate::token::DecodedToken;

/// A verified token, required by the route: the axum form of
/// `@jwt_required()`. `R` says which token ([`Access`] by default).
///
/// Dereferences to [`DecodedToken`] for the identity, claims and header.
/// `Option<Jwt<R>>` makes the token optional: no token gives `None`, while an
/// invalid, expired or CSRF-failing token is still refused (as with the
/// reference's `optional=True`).
///
/// The manager is taken from the request extensions when a
/// [`JwtLayer`](super::JwtLayer) put one there, else from the router state
/// (`JwtManager: FromRef<S>`).
///
/// ```
/// use axum::{Json, Router, routing::get};
/// use jwt_extended::{JwtConfig, JwtManager, axum::{Jwt, Fresh}};
/// use serde_json::{Value, json};
///
/// async fn protected(token: Jwt) -> Json<Value> {
///     Json(json!({ "logged_in_as": token.identity() }))
/// }
///
/// async fn settings(token: Jwt<Fresh>) -> Json<Value> {
///     Json(json!({ "fresh": true, "user": token.identity() }))
/// }
///
/// async fn maybe(token: Option<Jwt>) -> Json<Value> {
///     let who = token.map(|t| t.identity().clone()).unwrap_or("anonymous user".into());
///     Json(json!({ "logged_in_as": who }))
/// }
///
/// # fn build() -> Result<Router, Box<dyn std::error::Error>> {
/// let jwt = JwtManager::new(JwtConfig::new().with_secret_key("super-secret"))?;
/// let app: Router = Router::new()
///     .route("/protected", get(protected))
///     .route("/settings", get(settings))
///     .route("/maybe", get(maybe))
///     .with_state(jwt);
/// # Ok(app) }
/// ```
pub struct Jwt<R = Access> {
    verified: Verified,
    _requirement: PhantomData<fn() -> R>,
}

impl<R> Clone for Jwt<R> {
    fn clone(&self) -> Self {
        Self {
            verified: self.verified.clone(),
            _requirement: PhantomData,
        }
    }
}

impl<R> std::fmt::Debug for Jwt<R> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Jwt")
            .field("verified", &self.verified)
            .finish()
    }
}

impl<R> Jwt<R> {
    /// The verified token (also reachable through `Deref`).
    ///
    /// ```
    /// use jwt_extended::axum::Jwt;
    ///
    /// async fn handler(token: Jwt) -> String {
    ///     let claims = token.token().claims(); // `get_jwt()`
    ///     format!("{} claims", claims.len())
    /// }
    /// ```
    #[must_use]
    pub fn token(&self) -> &DecodedToken {
        self.verified.token()
    }

    /// Where the token was found (`get_jwt_request_location()`).
    ///
    /// ```
    /// use jwt_extended::{axum::Jwt, config::TokenLocation};
    ///
    /// async fn handler(token: Jwt) -> &'static str {
    ///     if token.location() == TokenLocation::Cookies { "cookie" } else { "elsewhere" }
    /// }
    /// ```
    #[must_use]
    pub fn location(&self) -> TokenLocation {
        self.verified.location()
    }

    /// The encoded token as the client sent it.
    ///
    /// ```
    /// use jwt_extended::axum::Jwt;
    ///
    /// async fn handler(token: Jwt) -> String {
    ///     token.encoded().to_owned()
    /// }
    /// ```
    #[must_use]
    pub fn encoded(&self) -> &str {
        self.verified.encoded()
    }

    /// The claims as your own type.
    ///
    /// ```
    /// use jwt_extended::axum::Jwt;
    ///
    /// #[derive(serde::Deserialize)]
    /// struct Roles { roles: Vec<String> }
    ///
    /// async fn handler(token: Jwt) -> String {
    ///     token.claims_as::<Roles>().map(|r| r.roles.join(",")).unwrap_or_default()
    /// }
    /// ```
    ///
    /// # Errors
    /// [`ErrorKind::InvalidClaim`](crate::ErrorKind::InvalidClaim) if they do not fit.
    pub fn claims_as<T: DeserializeOwned>(&self) -> Result<T, Error> {
        self.verified.token().claims_as()
    }

    /// The whole verification outcome (token, location, loaded user).
    ///
    /// ```
    /// use jwt_extended::axum::Jwt;
    ///
    /// #[derive(Clone)]
    /// struct User { name: String }
    ///
    /// async fn handler(token: Jwt) -> String {
    ///     // `current_user`, when a user loader is registered.
    ///     token.verified().user::<User>().map(|u| u.name.clone()).unwrap_or_default()
    /// }
    /// ```
    #[must_use]
    pub fn verified(&self) -> &Verified {
        &self.verified
    }

    /// Consumes the extractor into the verification outcome.
    ///
    /// ```
    /// use jwt_extended::{Verified, axum::Jwt};
    ///
    /// async fn handler(token: Jwt) -> String {
    ///     let verified: Verified = token.into_verified();
    ///     verified.token().identity().to_string()
    /// }
    /// ```
    #[must_use]
    pub fn into_verified(self) -> Verified {
        self.verified
    }
}

impl<R> Deref for Jwt<R> {
    type Target = DecodedToken;

    fn deref(&self) -> &DecodedToken {
        self.verified.token()
    }
}

/// Verifies the request's token with `options`: the reference's
/// `verify_jwt_in_request(...)`, for custom extractors and middleware (an
/// admin-only guard, for example).
///
/// Returns `Ok(None)` for `OPTIONS` requests and for optional options without
/// a token. Results are cached in the request extensions, so extracting the
/// same requirement twice verifies once.
///
/// ```
/// use axum::{extract::{FromRef, FromRequestParts}, http::request::Parts};
/// use jwt_extended::{JwtManager, VerifyOptions, axum::{verify_jwt_in_request, JwtRejection}};
///
/// /// Only tokens with `"is_administrator": true`.
/// struct Admin;
///
/// impl<S: Send + Sync> FromRequestParts<S> for Admin
/// where
///     JwtManager: FromRef<S>,
/// {
///     type Rejection = axum::response::Response;
///
///     async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
///         use axum::response::IntoResponse;
///         let manager = JwtManager::from_ref(state);
///         let verified = verify_jwt_in_request(parts, &manager, &VerifyOptions::new())
///             .await
///             .map_err(IntoResponse::into_response)?;
///         let is_admin = verified
///             .as_ref()
///             .and_then(|v| v.token().claim("is_administrator"))
///             .and_then(|v| v.as_bool())
///             .unwrap_or(false);
///         if is_admin {
///             Ok(Admin)
///         } else {
///             Err((axum::http::StatusCode::FORBIDDEN, axum::Json(serde_json::json!({"msg": "Admins only!"}))).into_response())
///         }
///     }
/// }
/// ```
///
/// # Errors
/// A [`JwtRejection`] rendering the configured response.
pub async fn verify_jwt_in_request(
    parts: &mut Parts,
    manager: &JwtManager,
    options: &VerifyOptions,
) -> Result<Option<Verified>, JwtRejection> {
    if let Some(cached) = VerifiedCache::get(&parts.extensions, options) {
        return Ok(cached);
    }
    let result = manager
        .verify_request(&request_parts(parts), options)
        .await
        .map_err(|e| JwtRejection::new(e, manager))?;
    VerifiedCache::insert(&mut parts.extensions, *options, result.clone());
    Ok(result)
}

async fn required<S, R>(parts: &mut Parts, state: &S) -> Result<Verified, JwtRejection>
where
    JwtManager: FromRef<S>,
    R: Requirement,
{
    let manager = manager_for(parts, state);
    let options = R::OPTIONS.optional(false);
    match verify_jwt_in_request(parts, &manager, &options).await? {
        Some(verified) => Ok(verified),
        None if parts.method == Method::OPTIONS => Err(JwtRejection::options()),
        None => Err(JwtRejection::new(
            Error::missing_token("Missing JWT"),
            &manager,
        )),
    }
}

async fn optional<S, R>(parts: &mut Parts, state: &S) -> Result<Option<Verified>, JwtRejection>
where
    JwtManager: FromRef<S>,
    R: Requirement,
{
    let manager = manager_for(parts, state);
    verify_jwt_in_request(parts, &manager, &R::OPTIONS.optional(true)).await
}

impl<S, R> FromRequestParts<S> for Jwt<R>
where
    S: Send + Sync,
    JwtManager: FromRef<S>,
    R: Requirement,
{
    type Rejection = JwtRejection;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let verified = required::<S, R>(parts, state).await?;
        Ok(Self {
            verified,
            _requirement: PhantomData,
        })
    }
}

impl<S, R> OptionalFromRequestParts<S> for Jwt<R>
where
    S: Send + Sync,
    JwtManager: FromRef<S>,
    R: Requirement,
{
    type Rejection = JwtRejection;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &S,
    ) -> Result<Option<Self>, Self::Rejection> {
        Ok(optional::<S, R>(parts, state).await?.map(|verified| Self {
            verified,
            _requirement: PhantomData,
        }))
    }
}

/// The user the manager's user loader found for the request's token (the
/// reference's `current_user`). Requires a registered
/// [`UserLoader`](crate::hooks::UserLoader) whose user type is `U`.
///
/// `Option<CurrentUser<U>>` is `None` when no token was sent (the reference's
/// optional routes, where `current_user` is `None` and the loader is not
/// called).
///
/// ```
/// use axum::{Json, Router, routing::get};
/// use jwt_extended::{DecodedToken, JwtConfig, JwtManager, axum::CurrentUser};
///
/// #[derive(Clone)]
/// struct User { name: String }
///
/// async fn who_am_i(CurrentUser(user, _): CurrentUser<User>) -> String {
///     user.name
/// }
///
/// # fn build() -> Result<Router, Box<dyn std::error::Error>> {
/// let jwt = JwtManager::builder(JwtConfig::new().with_secret_key("secret"))
///     .user_lookup_loader(|token: &DecodedToken| {
///         let name = token.identity_str().map(str::to_owned);
///         async move { name.map(|name| User { name }) }
///     })
///     .build()?;
/// let app: Router = Router::new().route("/who_am_i", get(who_am_i)).with_state(jwt);
/// # Ok(app) }
/// ```
#[derive(Debug, Clone)]
pub struct CurrentUser<U, R = Access>(pub U, pub PhantomData<fn() -> R>);

impl<U, R> Deref for CurrentUser<U, R> {
    type Target = U;

    fn deref(&self) -> &U {
        &self.0
    }
}

fn user_of<U: Clone + Send + Sync + 'static>(
    verified: &Verified,
    manager: &JwtManager,
) -> Result<U, JwtRejection> {
    if let Some(user) = verified.user::<U>() {
        return Ok(user.clone());
    }
    let message = match manager.user_type_name() {
        None => format!(
            "CurrentUser<{}> needs a user loader: register one with JwtManager::builder(..).user_lookup_loader(..)",
            std::any::type_name::<U>()
        ),
        Some(loaded) => format!(
            "CurrentUser<{wanted}> does not match the user loader, which loads {loaded}: \
             ask for CurrentUser<{loaded}>, or register a loader whose User is {wanted}",
            wanted = std::any::type_name::<U>()
        ),
    };
    Err(JwtRejection::new(Error::misconfigured(message), manager))
}

impl<S, U, R> FromRequestParts<S> for CurrentUser<U, R>
where
    S: Send + Sync,
    JwtManager: FromRef<S>,
    U: Clone + Send + Sync + 'static,
    R: Requirement,
{
    type Rejection = JwtRejection;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let manager = manager_for(parts, state);
        let verified = required::<S, R>(parts, state).await?;
        Ok(Self(user_of(&verified, &manager)?, PhantomData))
    }
}

impl<S, U, R> OptionalFromRequestParts<S> for CurrentUser<U, R>
where
    S: Send + Sync,
    JwtManager: FromRef<S>,
    U: Clone + Send + Sync + 'static,
    R: Requirement,
{
    type Rejection = JwtRejection;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &S,
    ) -> Result<Option<Self>, Self::Rejection> {
        let manager = manager_for(parts, state);
        match optional::<S, R>(parts, state).await? {
            Some(verified) => Ok(Some(Self(user_of(&verified, &manager)?, PhantomData))),
            None => Ok(None),
        }
    }
}

/// The verified token's claims deserialised into your own type.
///
/// Claims that do not fit `T` are refused with 422.
///
/// ```
/// use jwt_extended::axum::Claims;
///
/// #[derive(serde::Deserialize)]
/// struct MyClaims { sub: String, role: Option<String> }
///
/// async fn handler(Claims(claims, ..): Claims<MyClaims>) -> String {
///     claims.sub
/// }
/// ```
#[derive(Debug, Clone)]
pub struct Claims<T, R = Access>(pub T, pub PhantomData<fn() -> R>);

impl<T, R> Deref for Claims<T, R> {
    type Target = T;

    fn deref(&self) -> &T {
        &self.0
    }
}

impl<S, T, R> FromRequestParts<S> for Claims<T, R>
where
    S: Send + Sync,
    JwtManager: FromRef<S>,
    T: DeserializeOwned,
    R: Requirement,
{
    type Rejection = JwtRejection;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let manager = manager_for(parts, state);
        let verified = required::<S, R>(parts, state).await?;
        let claims = verified
            .token()
            .claims_as::<T>()
            .map_err(|e| JwtRejection::new(e, &manager))?;
        Ok(Self(claims, PhantomData))
    }
}

impl<S, T, R> OptionalFromRequestParts<S> for Claims<T, R>
where
    S: Send + Sync,
    JwtManager: FromRef<S>,
    T: DeserializeOwned,
    R: Requirement,
{
    type Rejection = JwtRejection;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &S,
    ) -> Result<Option<Self>, Self::Rejection> {
        let manager = manager_for(parts, state);
        match optional::<S, R>(parts, state).await? {
            Some(verified) => verified
                .token()
                .claims_as::<T>()
                .map(|c| Some(Self(c, PhantomData)))
                .map_err(|e| JwtRejection::new(e, &manager)),
            None => Ok(None),
        }
    }
}
