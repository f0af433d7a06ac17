//! [`ImplicitRefresh`]: the reference's `implicit_refresh.py` recipe as an
//! actix-web middleware, on the same core as axum's
//! `ImplicitRefreshLayer` (the same rules: see that type).

use std::future::{Future, Ready, ready};
use std::pin::Pin;
use std::rc::Rc;
use std::time::Duration;

use actix_web::Error as ActixError;
use actix_web::dev::{Service, ServiceRequest, ServiceResponse, Transform};
use actix_web::http::Method;
use actix_web::http::header::{HeaderValue, SET_COOKIE};

use super::state::VerifiedCache;
use crate::manager::{JwtManager, sets_cookie};

/// Re-issues the access cookies when a request authenticated with an access
/// token from a cookie that expires within `window`.
///
/// After the handler ran, fresh access cookies (the JWT cookie and, with
/// CSRF on, its CSRF cookie) are appended to the response when: the method
/// is not `OPTIONS`; an extractor of the route verified a token; it came
/// from the `cookies` location and is an access token with an `exp` less
/// than `window` away; and the response does not set or delete the access
/// cookie itself (a login, a logout). The new token has the same identity
/// and session and is not fresh; the old token's custom claims are copied
/// only with [`keep_custom_claims`](Self::keep_custom_claims) (otherwise the
/// additional-claims loader supplies them again). Nothing is verified twice:
/// the middleware reads what the extractors verified.
///
/// ```
/// use std::time::Duration;
/// use actix_web::{App, web};
/// use jwt_extended::{JwtConfig, JwtManager, config::TokenLocation};
/// use jwt_extended::actix::{ImplicitRefresh, Jwt};
///
/// # fn build() -> Result<(), Box<dyn std::error::Error>> {
/// let jwt = JwtManager::new(
///     JwtConfig::new()
///         .with_secret_key("super-secret")
///         .with_token_location([TokenLocation::Cookies]),
/// )?;
/// let app = App::new()
///     .app_data(web::Data::new(jwt.clone()))
///     .wrap(ImplicitRefresh::new(jwt, Duration::from_secs(30 * 60)))
///     .route("/protected", web::post().to(|token: Jwt| async move { token.identity().to_string() }));
/// # let _ = app;
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct ImplicitRefresh {
    manager: JwtManager,
    window: Duration,
    keep_custom_claims: bool,
}

impl std::fmt::Debug for ImplicitRefresh {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ImplicitRefresh")
            .field("window", &self.window)
            .field("keep_custom_claims", &self.keep_custom_claims)
            .finish_non_exhaustive()
    }
}

impl ImplicitRefresh {
    /// Renews access cookies that expire within `window` (the reference
    /// recipe uses 30 minutes for one-hour tokens).
    ///
    /// ```
    /// # let jwt = jwt_extended::JwtManager::new(jwt_extended::JwtConfig::new().with_secret_key("s"))?;
    /// use std::time::Duration;
    /// use jwt_extended::actix::ImplicitRefresh;
    ///
    /// let middleware = ImplicitRefresh::new(jwt, Duration::from_secs(1800));
    /// assert_eq!(middleware.window(), Duration::from_secs(1800));
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

    /// Copies the old token's custom claims into the renewed token (off by
    /// default, as in the reference recipe; see axum's
    /// `ImplicitRefreshLayer::keep_custom_claims` for the caution).
    #[must_use]
    pub fn keep_custom_claims(mut self, keep: bool) -> Self {
        self.keep_custom_claims = keep;
        self
    }

    /// The renewal window.
    #[must_use]
    pub fn window(&self) -> Duration {
        self.window
    }

    /// The manager that creates the renewed tokens.
    #[must_use]
    pub fn manager(&self) -> &JwtManager {
        &self.manager
    }
}

impl<S, B> Transform<S, ServiceRequest> for ImplicitRefresh
where
    S: Service<ServiceRequest, Response = ServiceResponse<B>, Error = ActixError> + 'static,
    B: 'static,
{
    type Response = ServiceResponse<B>;
    type Error = ActixError;
    type Transform = ImplicitRefreshService<S>;
    type InitError = ();
    type Future = Ready<Result<Self::Transform, ()>>;

    fn new_transform(&self, service: S) -> Self::Future {
        ready(Ok(ImplicitRefreshService {
            service: Rc::new(service),
            config: self.clone(),
        }))
    }
}

/// The service of [`ImplicitRefresh`], wrapping the inner service `S`.
#[derive(Debug)]
pub struct ImplicitRefreshService<S> {
    service: Rc<S>,
    config: ImplicitRefresh,
}

type LocalResponse<B> = Pin<Box<dyn Future<Output = Result<ServiceResponse<B>, ActixError>>>>;

impl<S, B> Service<ServiceRequest> for ImplicitRefreshService<S>
where
    S: Service<ServiceRequest, Response = ServiceResponse<B>, Error = ActixError> + 'static,
    B: 'static,
{
    type Response = ServiceResponse<B>;
    type Error = ActixError;
    type Future = LocalResponse<B>;

    actix_web::dev::forward_ready!(service);

    fn call(&self, request: ServiceRequest) -> Self::Future {
        if request.method() == Method::OPTIONS {
            return Box::pin(self.service.call(request));
        }
        let response = self.service.call(request);
        let config = self.config.clone();
        Box::pin(async move {
            let mut response = response.await?;
            config.renew(&mut response).await;
            Ok(response)
        })
    }
}

impl ImplicitRefresh {
    async fn renew<B>(&self, response: &mut ServiceResponse<B>) {
        let Some(verified) = VerifiedCache::last_verified(response.request()) else {
            return;
        };
        let manager = &self.manager;
        if !manager.renewal_due(&verified, self.window) {
            return;
        }
        let access_name = manager.config().access_cookie_name();
        let headers = response.headers_mut();
        if sets_cookie(
            headers.get_all(SET_COOKIE).map(HeaderValue::as_bytes),
            access_name,
        ) {
            return;
        }
        match manager
            .renewal_cookies(&verified, self.keep_custom_claims)
            .await
        {
            Ok(cookies) => {
                for value in cookies.header_values() {
                    match HeaderValue::from_str(&value) {
                        Ok(value) => headers.append(SET_COOKIE, value),
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
