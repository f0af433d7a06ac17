//! Extractors: route protection, the actix-web way.

use std::future::Future;
use std::marker::PhantomData;
use std::ops::Deref;
use std::pin::Pin;
use std::task::{Context, Poll};

use actix_web::dev::Payload;
use actix_web::http::Method;
use actix_web::{FromRequest, HttpRequest};
use serde::de::DeserializeOwned;

use super::rejection::JwtRejection;
use super::state::{RequestView, VerifiedCache, manager_for};
use crate::config::TokenLocation;
use crate::error::Error;
use crate::manager::{JwtManager, Verified, VerifyOptions};
use crate::requirement::{Access, Requirement, check};
use crate::token::DecodedToken;

type LocalFuture<T> = Pin<Box<dyn Future<Output = Result<T, JwtRejection>>>>;

/// The future of this module's extractors. When the manager can verify
/// without waiting (no blocklist, user loader, custom verifier, decode-key
/// loader or other trusted issuers) the extractor has its answer before
/// the future is made, and the future only hands it over: no allocation.
/// Otherwise it is the boxed verification.
///
/// ```
/// use actix_web::{FromRequest, test::TestRequest, web};
/// use jwt_extended::{JwtConfig, JwtManager, actix::{Jwt, JwtFuture}};
///
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// # actix_web::rt::System::new().block_on(async {
/// let jwt = JwtManager::new(JwtConfig::new().with_secret_key("super-secret"))?;
/// let token = jwt.create_access_token("alice")?;
/// let request = TestRequest::default()
///     .app_data(web::Data::new(jwt))
///     .insert_header(("Authorization", format!("Bearer {token}")))
///     .to_http_request();
/// let future: JwtFuture<Jwt> = Jwt::extract(&request);
/// let verified = future.await?;
/// assert_eq!(verified.identity(), "alice");
/// # Ok(())
/// # })
/// # }
/// ```
pub struct JwtFuture<T>(FutureState<T>);

enum FutureState<T> {
    Ready(Option<Result<T, JwtRejection>>),
    Waiting(LocalFuture<T>),
}

// Nothing is pinned in place: the waiting future is boxed, and a ready
// answer is moved out.
impl<T> Unpin for JwtFuture<T> {}

impl<T: 'static> JwtFuture<T> {
    fn ready(answer: Result<T, JwtRejection>) -> Self {
        Self(FutureState::Ready(Some(answer)))
    }

    fn waiting(future: impl Future<Output = Result<T, JwtRejection>> + 'static) -> Self {
        Self(FutureState::Waiting(Box::pin(future)))
    }

    /// This future with its output mapped by `f`.
    fn map<U: 'static>(self, f: impl FnOnce(T) -> U + 'static) -> JwtFuture<U> {
        self.and_then(|value| Ok(f(value)))
    }

    /// This future followed by `f`, which may refuse.
    fn and_then<U: 'static>(
        self,
        f: impl FnOnce(T) -> Result<U, JwtRejection> + 'static,
    ) -> JwtFuture<U> {
        match self.0 {
            FutureState::Ready(Some(answer)) => JwtFuture::ready(answer.and_then(f)),
            FutureState::Ready(None) => JwtFuture(FutureState::Ready(None)),
            FutureState::Waiting(future) => {
                JwtFuture::waiting(async move { future.await.and_then(f) })
            }
        }
    }
}

impl<T> Future for JwtFuture<T> {
    type Output = Result<T, JwtRejection>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        match &mut self.get_mut().0 {
            FutureState::Ready(answer) => Poll::Ready(answer.take().unwrap_or_else(|| {
                Err(JwtRejection::from_error(Error::misconfigured(
                    "an extractor future was polled after it completed",
                )))
            })),
            FutureState::Waiting(future) => future.as_mut().poll(cx),
        }
    }
}

impl<T> std::fmt::Debug for JwtFuture<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let state = match self.0 {
            FutureState::Ready(_) => "ready",
            FutureState::Waiting(_) => "waiting",
        };
        f.debug_tuple("JwtFuture").field(&state).finish()
    }
}

/// A verified token, required by the route: the actix form of
/// `@jwt_required()`. `R` says which token ([`Access`] by default;
/// [`Fresh`](crate::requirement::Fresh), [`Refresh`](crate::requirement::Refresh),
/// [`AnyType`](crate::requirement::AnyType), your own
/// [`Requirement`], or guards: `Jwt<(Access, Admin)>`).
///
/// Dereferences to [`DecodedToken`]. The manager is the one a
/// [`JwtMiddleware`](super::JwtMiddleware) put in the request, else the app
/// data (`web::Data<JwtManager>`).
///
/// For an optional token use [`Optional<Jwt<R>>`](Optional), **not**
/// `Option<Jwt<R>>`: actix-web's `Option` turns every extractor error into
/// `None`, so an invalid or expired token would pass as "no token" (the
/// reference refuses it).
///
/// ```
/// use actix_web::{App, web};
/// use jwt_extended::{JwtConfig, JwtManager, actix::{FlaskJson, Fresh, Jwt, Optional}};
/// use serde_json::{Value, json};
///
/// async fn protected(token: Jwt) -> FlaskJson<Value> {
///     FlaskJson(json!({ "logged_in_as": token.identity() }))
/// }
///
/// async fn settings(token: Jwt<Fresh>) -> FlaskJson<Value> {
///     FlaskJson(json!({ "fresh": true, "user": token.identity() }))
/// }
///
/// async fn maybe(Optional(token): Optional<Jwt>) -> FlaskJson<Value> {
///     let who = token.map(|t| t.identity().clone()).unwrap_or("anonymous user".into());
///     FlaskJson(json!({ "logged_in_as": who }))
/// }
///
/// # fn build() -> Result<(), Box<dyn std::error::Error>> {
/// let jwt = JwtManager::new(JwtConfig::new().with_secret_key("super-secret"))?;
/// let app = App::new()
///     .app_data(web::Data::new(jwt))
///     .route("/protected", web::get().to(protected))
///     .route("/settings", web::get().to(settings))
///     .route("/maybe", web::get().to(maybe));
/// # Ok(()) }
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

    /// The manager that verified the token.
    #[must_use]
    pub fn manager(&self) -> &JwtManager {
        &self.manager
    }

    /// A rejection for `error` rendered with this token's manager (its
    /// custom responses and message key).
    ///
    /// ```
    /// use jwt_extended::{Error, actix::{Jwt, JwtRejection}};
    ///
    /// async fn delete_post(token: Jwt) -> Result<&'static str, JwtRejection> {
    ///     if token.identity_str() != Some("owner") {
    ///         return Err(token.reject(Error::forbidden("Not your post")));
    ///     }
    ///     Ok("deleted")
    /// }
    /// ```
    pub fn reject(&self, error: Error) -> JwtRejection {
        JwtRejection::new(error, &self.manager)
    }

    /// The verified token (also reachable through `Deref`).
    #[must_use]
    pub fn token(&self) -> &DecodedToken {
        self.verified.token()
    }

    /// Where the token was found (`get_jwt_request_location()`).
    #[must_use]
    pub fn location(&self) -> TokenLocation {
        self.verified.location()
    }

    /// The encoded token as the client sent it.
    #[must_use]
    pub fn encoded(&self) -> &str {
        self.verified.encoded()
    }

    /// The claims as your own type.
    ///
    /// # Errors
    /// [`ErrorKind::InvalidClaim`](crate::ErrorKind::InvalidClaim) if they do not fit.
    pub fn claims_as<T: DeserializeOwned>(&self) -> Result<T, Error> {
        self.verified.token().claims_as()
    }

    /// The whole verification outcome (token, location, loaded user).
    #[must_use]
    pub fn verified(&self) -> &Verified {
        &self.verified
    }

    /// Consumes the extractor into the verification outcome.
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
/// `verify_jwt_in_request(...)`, for custom extractors and middleware whose
/// options are only known at run time. `Ok(None)` for `OPTIONS` requests
/// and for optional options without a token. Cached per request.
///
/// ```
/// use actix_web::HttpRequest;
/// use jwt_extended::{VerifyOptions, actix::{JwtRejection, manager_for, verify_jwt_in_request}};
///
/// async fn whoami(request: HttpRequest) -> Result<String, JwtRejection> {
///     let manager = manager_for(&request)?;
///     let options = VerifyOptions::new().optional(true);
///     let verified = verify_jwt_in_request(&request, &manager, &options).await?;
///     Ok(verified.map(|v| v.token().identity().to_string()).unwrap_or_default())
/// }
/// ```
///
/// # Errors
/// A [`JwtRejection`] rendering the configured response.
pub async fn verify_jwt_in_request(
    request: &HttpRequest,
    manager: &JwtManager,
    options: &VerifyOptions,
) -> Result<Option<Verified>, JwtRejection> {
    if let Some(cached) = VerifiedCache::get(request, options) {
        return Ok(cached);
    }
    let view = RequestView::of(request, manager);
    let result = manager
        .verify_request(&view.parts(), options)
        .await
        .map_err(|e| JwtRejection::new(e, manager))?;
    VerifiedCache::insert(request, *options, result.clone());
    Ok(result)
}

/// [`verify_jwt_in_request`] without waiting, when the manager can (see
/// [`JwtFuture`]); `None` when it cannot.
fn verify_now(
    request: &HttpRequest,
    manager: &JwtManager,
    options: &VerifyOptions,
) -> Option<Result<Option<Verified>, JwtRejection>> {
    if let Some(cached) = VerifiedCache::get(request, options) {
        return Some(Ok(cached));
    }
    if !manager.verifies_without_waiting(options) {
        return None;
    }
    let view = RequestView::of(request, manager);
    let result = manager
        .verify_request_now(&view.parts(), options)?
        .map_err(|e| JwtRejection::new(e, manager));
    if let Ok(verified) = &result {
        VerifiedCache::insert(request, *options, verified.clone());
    }
    Some(result)
}

/// Verifies with `options` (at once when the manager can, else in a boxed
/// future) and hands the outcome to `settle`.
fn extract<T: 'static>(
    request: &HttpRequest,
    options: VerifyOptions,
    settle: impl FnOnce(&HttpRequest, JwtManager, Option<Verified>) -> Result<T, JwtRejection> + 'static,
) -> JwtFuture<T> {
    let manager = match manager_for(request) {
        Ok(manager) => manager,
        Err(error) => return JwtFuture::ready(Err(JwtRejection::from_error(error))),
    };
    match verify_now(request, &manager, &options) {
        Some(result) => JwtFuture::ready(result.and_then(|v| settle(request, manager, v))),
        None => {
            let request = request.clone();
            JwtFuture::waiting(async move {
                let verified = verify_jwt_in_request(&request, &manager, &options).await?;
                settle(&request, manager, verified)
            })
        }
    }
}

/// A required token: the outcome, or the rejection of a missing token (or
/// of the `OPTIONS` exemption) or of a token that does not meet `R`.
fn required<R: Requirement>(request: &HttpRequest) -> JwtFuture<(Verified, JwtManager)> {
    extract(
        request,
        R::OPTIONS.optional(false),
        |request, manager, verified| match verified {
            Some(verified) => match check::<R>(&verified) {
                Ok(()) => Ok((verified, manager)),
                Err(error) => Err(JwtRejection::new(error, &manager)),
            },
            None if request.method() == Method::OPTIONS => Err(JwtRejection::options()),
            None => Err(JwtRejection::new(
                Error::missing_token("Missing JWT"),
                &manager,
            )),
        },
    )
}

/// An optional token: `None` without one; a token that does not meet `R`
/// is still refused.
fn optional<R: Requirement>(request: &HttpRequest) -> JwtFuture<Option<(Verified, JwtManager)>> {
    extract(
        request,
        R::OPTIONS.optional(true),
        |_, manager, verified| match verified {
            Some(verified) => match check::<R>(&verified) {
                Ok(()) => Ok(Some((verified, manager))),
                Err(error) => Err(JwtRejection::new(error, &manager)),
            },
            None => Ok(None),
        },
    )
}

impl<R: Requirement> FromRequest for Jwt<R> {
    type Error = JwtRejection;
    type Future = JwtFuture<Self>;

    fn from_request(request: &HttpRequest, _payload: &mut Payload) -> Self::Future {
        required::<R>(request).map(|(verified, manager)| Self::with(verified, manager))
    }
}

/// An optional token, user or claims: `Optional<Jwt<R>>`,
/// `Optional<CurrentUser<U, R>>`, `Optional<Claims<T, R>>` (the reference's
/// `@jwt_required(optional=True)`). No token gives `Optional(None)`; an
/// invalid, expired or CSRF-failing token is still refused, as in the
/// reference. (actix-web's own `Option<T>` would turn those refusals into
/// `None`.)
///
/// ```
/// use jwt_extended::actix::{Jwt, Optional};
///
/// async fn partially_protected(Optional(token): Optional<Jwt>) -> String {
///     match token {
///         Some(token) => format!("logged in as {}", token.identity()),
///         None => "anonymous user".to_owned(),
///     }
/// }
/// ```
#[derive(Debug, Clone)]
pub struct Optional<T>(pub Option<T>);

impl<T> Optional<T> {
    /// The inner `Option`.
    #[must_use]
    pub fn into_inner(self) -> Option<T> {
        self.0
    }
}

impl<T> Deref for Optional<T> {
    type Target = Option<T>;

    fn deref(&self) -> &Option<T> {
        &self.0
    }
}

/// The extractors [`Optional`] works with.
pub trait OptionalExtract: Sized + sealed::Sealed {
    #[doc(hidden)]
    fn extract_optional(request: &HttpRequest) -> JwtFuture<Option<Self>>;
}

mod sealed {
    pub trait Sealed {}
}

impl<R: Requirement> sealed::Sealed for Jwt<R> {}

impl<R: Requirement> OptionalExtract for Jwt<R> {
    fn extract_optional(request: &HttpRequest) -> JwtFuture<Option<Self>> {
        optional::<R>(request)
            .map(|found| found.map(|(verified, manager)| Self::with(verified, manager)))
    }
}

impl<T: OptionalExtract + 'static> FromRequest for Optional<T> {
    type Error = JwtRejection;
    type Future = JwtFuture<Self>;

    fn from_request(request: &HttpRequest, _payload: &mut Payload) -> Self::Future {
        T::extract_optional(request).map(Optional)
    }
}

/// The user the manager's user loader found for the request's token (the
/// reference's `current_user`). `R` is the requirement ([`Access`] by
/// default). Destructure it as `CurrentUser(user, _)`, or use `Deref` /
/// [`into_inner`](Self::into_inner).
///
/// Asking for a `U` the loader does not load (or with no loader) is a
/// wiring mistake: logged, and answered with a generic 500.
///
/// ```
/// use jwt_extended::actix::CurrentUser;
///
/// #[derive(Clone)]
/// struct User { name: String }
///
/// async fn who_am_i(CurrentUser(user, _): CurrentUser<User>) -> String {
///     user.name
/// }
/// ```
#[derive(Debug, Clone)]
pub struct CurrentUser<U, R = Access>(pub U, pub PhantomData<fn() -> R>);

impl<U, R> CurrentUser<U, R> {
    /// The user.
    #[must_use]
    pub fn into_inner(self) -> U {
        self.0
    }
}

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
    let detail = match manager.user_type_name() {
        None => format!(
            "CurrentUser<{}> needs a user loader: register one with JwtManager::builder(..).user_lookup_loader(..)",
            std::any::type_name::<U>()
        ),
        Some(loaded) => format!(
            "CurrentUser<{wanted}> does not match the user loader, which loads {loaded}",
            wanted = std::any::type_name::<U>()
        ),
    };
    Err(JwtRejection::new(Error::misconfigured(detail), manager))
}

impl<U: Clone + Send + Sync + 'static, R: Requirement> FromRequest for CurrentUser<U, R> {
    type Error = JwtRejection;
    type Future = JwtFuture<Self>;

    fn from_request(request: &HttpRequest, _payload: &mut Payload) -> Self::Future {
        required::<R>(request).and_then(|(verified, manager)| {
            Ok(CurrentUser(user_of(&verified, &manager)?, PhantomData))
        })
    }
}

impl<U: Clone + Send + Sync + 'static, R: Requirement> sealed::Sealed for CurrentUser<U, R> {}

impl<U: Clone + Send + Sync + 'static, R: Requirement> OptionalExtract for CurrentUser<U, R> {
    fn extract_optional(request: &HttpRequest) -> JwtFuture<Option<Self>> {
        optional::<R>(request).and_then(|found| match found {
            Some((verified, manager)) => Ok(Some(CurrentUser(
                user_of(&verified, &manager)?,
                PhantomData,
            ))),
            None => Ok(None),
        })
    }
}

/// The verified token's claims deserialised into your own type; claims
/// that do not fit are refused with 422. `R` is the requirement ([`Access`]
/// by default). Destructure it as `Claims(claims, _)`.
///
/// ```
/// use jwt_extended::actix::Claims;
///
/// #[derive(serde::Deserialize)]
/// struct MyClaims { sub: String }
///
/// async fn handler(Claims(claims, _): Claims<MyClaims>) -> String {
///     claims.sub
/// }
/// ```
#[derive(Debug, Clone)]
pub struct Claims<T, R = Access>(pub T, pub PhantomData<fn() -> R>);

impl<T, R> Claims<T, R> {
    /// The claims.
    #[must_use]
    pub fn into_inner(self) -> T {
        self.0
    }
}

impl<T, R> Deref for Claims<T, R> {
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

impl<T: DeserializeOwned + 'static, R: Requirement> FromRequest for Claims<T, R> {
    type Error = JwtRejection;
    type Future = JwtFuture<Self>;

    fn from_request(request: &HttpRequest, _payload: &mut Payload) -> Self::Future {
        required::<R>(request).and_then(|(verified, manager)| {
            Ok(Claims(claims_of(&verified, &manager)?, PhantomData))
        })
    }
}

impl<T: DeserializeOwned + 'static, R: Requirement> sealed::Sealed for Claims<T, R> {}

impl<T: DeserializeOwned + 'static, R: Requirement> OptionalExtract for Claims<T, R> {
    fn extract_optional(request: &HttpRequest) -> JwtFuture<Option<Self>> {
        optional::<R>(request).and_then(|found| match found {
            Some((verified, manager)) => {
                Ok(Some(Claims(claims_of(&verified, &manager)?, PhantomData)))
            }
            None => Ok(None),
        })
    }
}
