//! Implicit refresh of access cookies: [`ImplicitRefreshLayer`].
//!
//! The reference leaves "re-issue the access cookie when it is about to
//! expire" to a recipe (`examples/implicit_refresh.py`): an `after_request`
//! hook that reads `get_jwt()`, compares `exp` with a window and calls
//! `set_access_cookies` on the outgoing response. This module ships that
//! recipe as a tower layer, with the recipe's pitfalls handled once:
//!
//! - the layer never verifies anything itself. It reads back what the route's
//!   extractor (or [`RequireJwtLayer`](super::RequireJwtLayer), or
//!   [`verify_jwt_in_request`](super::verify_jwt_in_request)) verified for
//!   this request, so there is no second decode and no blocklist round trip;
//! - responses of requests that carried no valid token are never touched:
//!   unprotected routes, optional routes without a token, rejected tokens
//!   (expired, revoked, CSRF failure, ...), and `OPTIONS` requests;
//! - only access tokens that came from **cookies** are renewed (a client that
//!   sends a header token has nowhere to receive a cookie-borne renewal);
//! - a response that already sets or deletes the access cookie (a login, a
//!   logout with `unset_jwt_cookies`) is left alone, so a renewal can never
//!   resurrect a session the handler just ended;
//! - tokens without `exp` never expire and are never renewed.

use std::fmt;
use std::future::Future;
use std::pin::Pin;

use std::task::{Context, Poll};
use std::time::Duration;

use http::header::SET_COOKIE;
use http::{HeaderMap, HeaderValue, Method, Request, Response};
use tower_layer::Layer;
use tower_service::Service;

use super::state::RefreshProbe;
use crate::manager::{JwtManager, Verified, sets_cookie};

/// Re-issues the access cookies when a request authenticated with an access
/// token from a cookie that expires within `window`: the reference's
/// `implicit_refresh.py` recipe as a layer.
///
/// After the handler ran, when all of these hold, fresh access cookies (the
/// JWT cookie and, with CSRF on, its CSRF cookie) are appended to the
/// response:
///
/// 1. the method is not `OPTIONS`;
/// 2. the route verified a token (through [`Jwt`](super::Jwt),
///    [`RequireJwtLayer`](super::RequireJwtLayer), ...) and it was valid;
/// 3. it came from the `cookies` location and is not a refresh token;
/// 4. it has an `exp` and `now + window > exp`;
/// 5. the response does not already set or delete the access cookie.
///
/// The new token has the same identity. Like the reference recipe, it does
/// **not** copy the old token's custom claims: the additional-claims loader
/// runs again and supplies them, which keeps roles and similar claims in step
/// with their source. Call [`keep_custom_claims`](Self::keep_custom_claims)
/// to copy them instead. The renewed token is never fresh.
///
/// The status of the response does not matter (the recipe renews on any
/// response of a verified request). If creating the new token fails, the
/// response goes out unchanged and the failure is logged.
///
/// The layer must wrap the routes whose extractors verify the token (add it
/// with `Router::layer`); it uses its own manager to create the new token.
///
/// ```
/// use std::time::Duration;
/// use axum::{Router, routing::get};
/// use jwt_extended::{JwtConfig, JwtManager, config::TokenLocation};
/// use jwt_extended::axum::{ImplicitRefreshLayer, Jwt};
///
/// # fn build() -> Result<Router, Box<dyn std::error::Error>> {
/// let jwt = JwtManager::new(
///     JwtConfig::new()
///         .with_secret_key("super-secret")
///         .with_token_location([TokenLocation::Cookies])
///         .with_access_token_expires(Duration::from_secs(3600)),
/// )?;
/// let app: Router = Router::new()
///     .route("/protected", get(|token: Jwt| async move { token.identity().to_string() }))
///     .layer(ImplicitRefreshLayer::new(jwt.clone(), Duration::from_secs(30 * 60)))
///     .with_state(jwt);
/// # Ok(app) }
/// ```
#[derive(Clone)]
pub struct ImplicitRefreshLayer {
    manager: JwtManager,
    window: Duration,
    keep_custom_claims: bool,
}

impl fmt::Debug for ImplicitRefreshLayer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ImplicitRefreshLayer")
            .field("window", &self.window)
            .field("keep_custom_claims", &self.keep_custom_claims)
            .finish_non_exhaustive()
    }
}

impl ImplicitRefreshLayer {
    /// Renews access cookies that expire within `window` (the reference
    /// recipe uses 30 minutes for one-hour tokens).
    ///
    /// ```
    /// # let jwt = jwt_extended::JwtManager::new(jwt_extended::JwtConfig::new().with_secret_key("s"))?;
    /// use std::time::Duration;
    /// use jwt_extended::axum::ImplicitRefreshLayer;
    ///
    /// let layer = ImplicitRefreshLayer::new(jwt, Duration::from_secs(30 * 60));
    /// assert_eq!(layer.window(), Duration::from_secs(1800));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[must_use]
    pub fn new(manager: JwtManager, window: Duration) -> Self {
        Self {
            manager,
            window,
            keep_custom_claims: false,
        }
    }

    /// The renewal window.
    #[must_use]
    pub fn window(&self) -> Duration {
        self.window
    }

    /// The manager that creates the renewed tokens.
    ///
    /// ```
    /// # let jwt = jwt_extended::JwtManager::new(jwt_extended::JwtConfig::new().with_secret_key("s"))?;
    /// use std::time::Duration;
    /// use jwt_extended::axum::ImplicitRefreshLayer;
    ///
    /// let layer = ImplicitRefreshLayer::new(jwt, Duration::from_secs(600));
    /// assert_eq!(layer.manager().config().access_cookie_name(), "access_token_cookie");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[must_use]
    pub fn manager(&self) -> &JwtManager {
        &self.manager
    }

    /// Copies the old token's custom claims (everything but `sub`/the
    /// identity claim, `iat`, `nbf`, `exp`, `jti`, `type`, `fresh`, `csrf`,
    /// `aud` and `iss`) into the renewed token, over the output of the
    /// additional-claims loader. Off by default, as in the reference recipe.
    ///
    /// ```
    /// # let jwt = jwt_extended::JwtManager::new(jwt_extended::JwtConfig::new().with_secret_key("s"))?;
    /// # use std::time::Duration;
    /// use jwt_extended::axum::ImplicitRefreshLayer;
    ///
    /// let layer = ImplicitRefreshLayer::new(jwt, Duration::from_secs(600)).keep_custom_claims(true);
    /// # let _ = layer;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    ///
    /// # Caution
    /// Claims copied this way live as long as the user keeps the session
    /// active: a role removed from the user survives every renewal. Prefer
    /// the additional-claims loader for claims that can change.
    #[must_use]
    pub fn keep_custom_claims(mut self, keep: bool) -> Self {
        self.keep_custom_claims = keep;
        self
    }
}

impl<S> Layer<S> for ImplicitRefreshLayer {
    type Service = ImplicitRefresh<S>;

    fn layer(&self, inner: S) -> Self::Service {
        ImplicitRefresh {
            inner,
            layer: self.clone(),
        }
    }
}

/// The service of [`ImplicitRefreshLayer`], wrapping the inner service `S`.
/// Any request and response body types.
///
/// ```
/// # let jwt = jwt_extended::JwtManager::new(jwt_extended::JwtConfig::new().with_secret_key("s"))?;
/// use std::time::Duration;
/// use jwt_extended::axum::{ImplicitRefresh, ImplicitRefreshLayer};
/// use tower::{Layer, service_fn};
///
/// let inner = service_fn(|_: axum::http::Request<String>| async {
///     Ok::<_, std::convert::Infallible>(axum::http::Response::new(String::new()))
/// });
/// let service: ImplicitRefresh<_> = ImplicitRefreshLayer::new(jwt, Duration::from_secs(600)).layer(inner);
/// let _inner = service.get_ref(); // also get_mut(), into_inner()
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone)]
pub struct ImplicitRefresh<S> {
    inner: S,
    layer: ImplicitRefreshLayer,
}

impl<S> ImplicitRefresh<S> {
    /// The inner service.
    pub fn get_ref(&self) -> &S {
        &self.inner
    }

    /// The inner service, mutably.
    pub fn get_mut(&mut self) -> &mut S {
        &mut self.inner
    }

    /// Consumes the service, returning the inner one.
    pub fn into_inner(self) -> S {
        self.inner
    }
}

impl<S> fmt::Debug for ImplicitRefresh<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ImplicitRefresh")
            .field("layer", &self.layer)
            .finish_non_exhaustive()
    }
}

impl<S, ReqBody, ResBody> Service<Request<ReqBody>> for ImplicitRefresh<S>
where
    S: Service<Request<ReqBody>, Response = Response<ResBody>> + Clone + Send + 'static,
    S::Future: Send + 'static,
    ReqBody: Send + 'static,
    ResBody: Send + 'static,
{
    type Response = Response<ResBody>;
    type Error = S::Error;
    type Future = Pin<Box<dyn Future<Output = Result<Self::Response, S::Error>> + Send>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, mut request: Request<ReqBody>) -> Self::Future {
        let clone = self.inner.clone();
        let mut inner = std::mem::replace(&mut self.inner, clone);
        if request.method() == Method::OPTIONS {
            return Box::pin(inner.call(request));
        }
        let probe = RefreshProbe::default();
        request.extensions_mut().insert(probe.clone());
        let layer = self.layer.clone();
        Box::pin(async move {
            let mut response = inner.call(request).await?;
            if let Some(verified) = probe.take() {
                layer.renew(&verified, response.headers_mut()).await;
            }
            Ok(response)
        })
    }
}

impl ImplicitRefreshLayer {
    async fn renew(&self, verified: &Verified, headers: &mut HeaderMap) {
        let manager = &self.manager;
        if !manager.renewal_due(verified, self.window) {
            return;
        }
        let access_name = manager.config().access_cookie_name();
        if sets_cookie(
            headers
                .get_all(SET_COOKIE)
                .iter()
                .map(HeaderValue::as_bytes),
            access_name,
        ) {
            return;
        }
        match manager
            .renewal_cookies(verified, self.keep_custom_claims)
            .await
        {
            Ok(cookies) => {
                for value in cookies.header_values() {
                    match HeaderValue::from_str(&value) {
                        Ok(value) => {
                            headers.append(SET_COOKIE, value);
                        }
                        Err(_) => {
                            // The name only: the value is a token.
                            let name = value.split('=').next().unwrap_or_default();
                            tracing::error!(
                                cookie = name,
                                "renewed cookie is not a valid header value; dropped"
                            );
                        }
                    }
                }
            }
            Err(e) => {
                tracing::error!(error = %e, "implicit refresh failed; response left unchanged");
            }
        }
    }
}
