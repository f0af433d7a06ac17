//! Extractors: route protection, the axum way.

use std::marker::PhantomData;
use std::ops::Deref;

use axum_core::extract::{FromRef, FromRequestParts, OptionalFromRequestParts};
use http::Method;
use http::request::Parts;
use serde::de::DeserializeOwned;

use super::rejection::JwtRejection;
use super::state::{VerifiedCache, manager_for, request_parts};
use crate::config::TokenLocation;
use crate::error::Error;
use crate::manager::{JwtManager, Verified, VerifyOptions};
use crate::requirement::{Access, Requirement, check};
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
/// (`JwtManager: FromRef<S>`); the extractor keeps it, so that
/// [`reject`](Self::reject) renders a handler's own errors with its custom
/// responses.
///
/// `R` may carry [authorisation guards](super::Guard): `Jwt<(Fresh, Admin)>`.
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
    manager: JwtManager,
    _requirement: PhantomData<fn() -> R>,
}

impl<R> Clone for Jwt<R> {
    fn clone(&self) -> Self {
        Self::with(self.verified.clone(), self.manager.clone())
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
    fn with(verified: Verified, manager: JwtManager) -> Self {
        Self {
            verified,
            manager,
            _requirement: PhantomData,
        }
    }

    /// The manager that verified the token: the [`JwtLayer`](super::JwtLayer)'s
    /// if one wraps the route, else the router state's.
    ///
    /// ```
    /// use jwt_extended::axum::Jwt;
    ///
    /// async fn handler(token: Jwt) -> String {
    ///     token.manager().config().error_message_key().to_owned()
    /// }
    /// ```
    #[must_use]
    pub fn manager(&self) -> &JwtManager {
        &self.manager
    }

    /// A rejection for `error` rendered with this token's manager: its
    /// custom responses and message key, with or without a
    /// [`JwtLayer`](super::JwtLayer). The way to answer a handler's own
    /// errors (a guard that needs the request, a token it decodes itself)
    /// exactly as the extractors would.
    ///
    /// ```
    /// use jwt_extended::{Error, axum::{Jwt, JwtRejection}};
    ///
    /// async fn delete_post(token: Jwt, post_owner: String) -> Result<&'static str, JwtRejection> {
    ///     if token.identity_str() != Some(post_owner.as_str()) {
    ///         return Err(token.reject(Error::forbidden("Not your post")));
    ///     }
    ///     Ok("deleted")
    /// }
    /// ```
    pub fn reject(&self, error: Error) -> JwtRejection {
        JwtRejection::new(error, &self.manager)
    }

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
/// `verify_jwt_in_request(...)`, for middleware and extractors whose options
/// are only known at run time. With options known at compile time, a
/// [`Requirement`] and [`Jwt::from_request_parts`](FromRequestParts) are
/// simpler (see [`Guard`](super::Guard) for a custom extractor built that
/// way).
///
/// Returns `Ok(None)` for `OPTIONS` requests and for optional options without
/// a token. Results are cached in the request extensions, so extracting the
/// same requirement twice verifies once.
///
/// ```
/// use axum::{extract::{FromRef, FromRequestParts}, http::request::Parts};
/// use jwt_extended::{Error, JwtManager, VerifyOptions, axum::{manager_for, verify_jwt_in_request, JwtRejection}};
///
/// /// A token from the locations the tenant's settings allow.
/// struct TenantToken(jwt_extended::Verified);
///
/// impl<S: Send + Sync> FromRequestParts<S> for TenantToken
/// where
///     JwtManager: FromRef<S>,
/// {
///     type Rejection = JwtRejection;
///
///     async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, JwtRejection> {
///         let manager = manager_for(parts, state); // honours a JwtLayer
///         let options = VerifyOptions::new().skip_revocation_check(parts.uri.path().starts_with("/public"));
///         match verify_jwt_in_request(parts, &manager, &options).await? {
///             Some(verified) => Ok(TenantToken(verified)),
///             None => Err(JwtRejection::new(Error::new(jwt_extended::ErrorKind::MissingToken, "Missing JWT"), &manager)),
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

async fn required<S, R>(
    parts: &mut Parts,
    state: &S,
) -> Result<(Verified, JwtManager), JwtRejection>
where
    JwtManager: FromRef<S>,
    R: Requirement,
{
    let manager = manager_for(parts, state);
    let options = R::OPTIONS.optional(false);
    match verify_jwt_in_request(parts, &manager, &options).await? {
        Some(verified) => match check::<R>(&verified) {
            Ok(()) => Ok((verified, manager)),
            Err(error) => Err(JwtRejection::new(error, &manager)),
        },
        None if parts.method == Method::OPTIONS => Err(JwtRejection::options()),
        None => Err(JwtRejection::new(
            Error::missing_token("Missing JWT"),
            &manager,
        )),
    }
}

async fn optional<S, R>(
    parts: &mut Parts,
    state: &S,
) -> Result<Option<(Verified, JwtManager)>, JwtRejection>
where
    JwtManager: FromRef<S>,
    R: Requirement,
{
    let manager = manager_for(parts, state);
    match verify_jwt_in_request(parts, &manager, &R::OPTIONS.optional(true)).await? {
        Some(verified) => match check::<R>(&verified) {
            Ok(()) => Ok(Some((verified, manager))),
            Err(error) => Err(JwtRejection::new(error, &manager)),
        },
        None => Ok(None),
    }
}

impl<S, R> FromRequestParts<S> for Jwt<R>
where
    S: Send + Sync,
    JwtManager: FromRef<S>,
    R: Requirement,
{
    type Rejection = JwtRejection;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let (verified, manager) = required::<S, R>(parts, state).await?;
        Ok(Self::with(verified, manager))
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
        let found = optional::<S, R>(parts, state).await?;
        Ok(found.map(|(verified, manager)| Self::with(verified, manager)))
    }
}

/// The user the manager's user loader found for the request's access token
/// (the reference's `current_user`). Requires a registered
/// [`UserLoader`](crate::hooks::UserLoader) whose user type is `U`.
///
/// Destructures like axum's `Json(x)`: `CurrentUser(user)`. For another
/// requirement (a fresh token, a [guard](super::Guard)) use
/// [`CurrentUserWith<U, R>`](CurrentUserWith).
///
/// `Option<CurrentUser<U>>` is `None` when no token was sent (the reference's
/// optional routes, where `current_user` is `None` and the loader is not
/// called).
///
/// Asking for a `U` the loader does not load (or with no loader) is a wiring
/// mistake: the detail is logged (`tracing::error!`) and the client gets a
/// generic 500 `{"msg": "Internal Server Error"}`.
///
/// ```
/// use axum::{Json, Router, routing::get};
/// use jwt_extended::{DecodedToken, JwtConfig, JwtManager, axum::CurrentUser};
///
/// #[derive(Clone)]
/// struct User { name: String }
///
/// async fn who_am_i(CurrentUser(user): CurrentUser<User>) -> String {
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
pub struct CurrentUser<U>(pub U);

/// [`CurrentUser`] with a [`Requirement`] other than [`Access`]: a fresh
/// token, a refresh token, or [guards](super::Guard). The second field is
/// the requirement's marker (`_` in patterns).
///
/// ```
/// use jwt_extended::axum::{CurrentUserWith, Fresh};
///
/// #[derive(Clone)]
/// struct User { name: String }
///
/// async fn change_password(CurrentUserWith(user, _): CurrentUserWith<User, Fresh>) -> String {
///     format!("password of {} changed", user.name)
/// }
/// ```
#[derive(Debug, Clone)]
pub struct CurrentUserWith<U, R>(pub U, pub PhantomData<fn() -> R>);

impl<U> Deref for CurrentUser<U> {
    type Target = U;

    fn deref(&self) -> &U {
        &self.0
    }
}

impl<U, R> Deref for CurrentUserWith<U, R> {
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
    let detail = match manager.user_type_name() {
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
    Err(JwtRejection::new(Error::misconfigured(detail), manager))
}

async fn required_user<S, U, R>(parts: &mut Parts, state: &S) -> Result<U, JwtRejection>
where
    JwtManager: FromRef<S>,
    U: Clone + Send + Sync + 'static,
    R: Requirement,
{
    let (verified, manager) = required::<S, R>(parts, state).await?;
    user_of(&verified, &manager)
}

async fn optional_user<S, U, R>(parts: &mut Parts, state: &S) -> Result<Option<U>, JwtRejection>
where
    JwtManager: FromRef<S>,
    U: Clone + Send + Sync + 'static,
    R: Requirement,
{
    match optional::<S, R>(parts, state).await? {
        Some((verified, manager)) => user_of(&verified, &manager).map(Some),
        None => Ok(None),
    }
}

/// The verified token's claims deserialised into your own type, from an
/// access token. Claims that do not fit `T` are refused with 422.
///
/// Destructures like axum's `Json(x)`: `Claims(claims)`. For another
/// requirement use [`ClaimsWith<T, R>`](ClaimsWith).
///
/// ```
/// use jwt_extended::axum::Claims;
///
/// #[derive(serde::Deserialize)]
/// struct MyClaims { sub: String, role: Option<String> }
///
/// async fn handler(Claims(claims): Claims<MyClaims>) -> String {
///     claims.sub
/// }
/// ```
#[derive(Debug, Clone)]
pub struct Claims<T>(pub T);

/// [`Claims`] with a [`Requirement`] other than [`Access`]. The second field
/// is the requirement's marker (`_` in patterns).
///
/// ```
/// use jwt_extended::axum::{ClaimsWith, Refresh};
///
/// #[derive(serde::Deserialize)]
/// struct RefreshClaims { sub: String, jti: String }
///
/// async fn refresh(ClaimsWith(claims, _): ClaimsWith<RefreshClaims, Refresh>) -> String {
///     claims.jti
/// }
/// ```
#[derive(Debug, Clone)]
pub struct ClaimsWith<T, R>(pub T, pub PhantomData<fn() -> R>);

impl<T> Deref for Claims<T> {
    type Target = T;

    fn deref(&self) -> &T {
        &self.0
    }
}

impl<T, R> Deref for ClaimsWith<T, R> {
    type Target = T;

    fn deref(&self) -> &T {
        &self.0
    }
}

fn claims_of<T: DeserializeOwned>(
    verified: &Verified,
    manager: &JwtManager,
) -> Result<T, JwtRejection> {
    verified
        .token()
        .claims_as::<T>()
        .map_err(|e| JwtRejection::new(e, manager))
}

async fn required_claims<S, T, R>(parts: &mut Parts, state: &S) -> Result<T, JwtRejection>
where
    JwtManager: FromRef<S>,
    T: DeserializeOwned,
    R: Requirement,
{
    let (verified, manager) = required::<S, R>(parts, state).await?;
    claims_of(&verified, &manager)
}

async fn optional_claims<S, T, R>(parts: &mut Parts, state: &S) -> Result<Option<T>, JwtRejection>
where
    JwtManager: FromRef<S>,
    T: DeserializeOwned,
    R: Requirement,
{
    match optional::<S, R>(parts, state).await? {
        Some((verified, manager)) => claims_of(&verified, &manager).map(Some),
        None => Ok(None),
    }
}

/// The `FromRequestParts` and `OptionalFromRequestParts` impls of a
/// one-field extractor over a value `$value` loaded by `$required` /
/// `$optional` with the requirement `$req`.
macro_rules! value_extractor {
    ($name:ident<$value:ident $(, $r:ident)?>, [$($bound:tt)+], $req:ty, $required:ident, $optional:ident, $build:expr) => {
        impl<S, $value $(, $r)?> FromRequestParts<S> for $name<$value $(, $r)?>
        where
            S: Send + Sync,
            JwtManager: FromRef<S>,
            $value: $($bound)+,
            $($r: Requirement,)?
        {
            type Rejection = JwtRejection;

            async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
                let value = $required::<S, $value, $req>(parts, state).await?;
                Ok($build(value))
            }
        }

        impl<S, $value $(, $r)?> OptionalFromRequestParts<S> for $name<$value $(, $r)?>
        where
            S: Send + Sync,
            JwtManager: FromRef<S>,
            $value: $($bound)+,
            $($r: Requirement,)?
        {
            type Rejection = JwtRejection;

            async fn from_request_parts(
                parts: &mut Parts,
                state: &S,
            ) -> Result<Option<Self>, Self::Rejection> {
                let value = $optional::<S, $value, $req>(parts, state).await?;
                Ok(value.map($build))
            }
        }
    };
}

value_extractor!(
    CurrentUser<U>,
    [Clone + Send + Sync + 'static],
    Access,
    required_user,
    optional_user,
    CurrentUser
);
value_extractor!(
    CurrentUserWith<U, R>,
    [Clone + Send + Sync + 'static],
    R,
    required_user,
    optional_user,
    |user| CurrentUserWith(user, PhantomData)
);
value_extractor!(
    Claims<T>,
    [DeserializeOwned],
    Access,
    required_claims,
    optional_claims,
    Claims
);
value_extractor!(
    ClaimsWith<T, R>,
    [DeserializeOwned],
    R,
    required_claims,
    optional_claims,
    |claims| ClaimsWith(claims, PhantomData)
);
