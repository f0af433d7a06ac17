//! actix-web integration: extractors, error responses, cookie helpers and
//! middleware, on the same core as the `axum` module (the same
//! requirements, guards, settings, messages and custom responses).
//!
//! | Reference | Here |
//! |---|---|
//! | `@jwt_required()` | [`Jwt`] (= `Jwt<Access>`) |
//! | `@jwt_required(optional=True)` | [`Optional<Jwt>`](Optional) (not `Option<Jwt>`, see [`Optional`]) |
//! | `@jwt_required(fresh=True)` | [`Jwt<Fresh>`](Fresh) |
//! | `@jwt_required(refresh=True)` | [`Jwt<Refresh>`](Refresh) |
//! | `@jwt_required(verify_type=False)` | [`Jwt<AnyType>`](AnyType) |
//! | `locations=`, `skip_revocation_check=` | your own [`Requirement`] |
//! | a custom decorator checking claims | a [`Guard`]: `Jwt<(Access, Admin)>` |
//! | `verify_jwt_in_request()` | [`verify_jwt_in_request`], with [`manager_for`] |
//! | `get_jwt()`, `get_jwt_identity()` | methods of [`Jwt`]; [`Claims<T, R>`](Claims) |
//! | `current_user` | [`CurrentUser<U, R>`](CurrentUser) |
//! | `set_access_cookies(resp, token)` | `HttpResponse::Ok().jwt_cookies(&jwt.set_access_cookies(&token).await?)` ([`JwtCookiesExt`]) |
//! | error callbacks | the `*_loader` methods [`JwtManagerBuilderExt`] adds to [`JwtManagerBuilder`](crate::JwtManagerBuilder) |
//!
//! The manager is found in the request extensions (put there by
//! [`JwtMiddleware`]) or in the app data: `web::Data<JwtManager>` (or a
//! plain `JwtManager` given to `App::app_data`). Without one, extractors
//! answer a generic 500 and log how to register it.
//!
//! ```no_run
//! use actix_web::{App, HttpResponse, HttpServer, web};
//! use jwt_extended::{JwtConfig, JwtManager, actix::{FlaskJson, Jwt, JwtRejection, RejectExt}};
//! use serde_json::{Value, json};
//!
//! async fn login(jwt: web::Data<JwtManager>) -> Result<FlaskJson<Value>, JwtRejection> {
//!     let token = jwt.create_access_token("alice").reject(&jwt)?;
//!     Ok(FlaskJson(json!({ "access_token": token })))
//! }
//!
//! async fn protected(token: Jwt) -> FlaskJson<Value> {
//!     FlaskJson(json!({ "logged_in_as": token.identity() }))
//! }
//!
//! #[actix_web::main]
//! async fn main() -> Result<(), Box<dyn std::error::Error>> {
//!     let jwt = web::Data::new(JwtManager::new(JwtConfig::new().with_secret_key("super-secret"))?);
//!     HttpServer::new(move || {
//!         App::new()
//!             .app_data(jwt.clone())
//!             .route("/login", web::post().to(login))
//!             .route("/protected", web::get().to(protected))
//!     })
//!     .bind(("127.0.0.1", 5000))?
//!     .run()
//!     .await?;
//!     Ok(())
//! }
//! ```
//!
//! # `OPTIONS` requests
//!
//! As with axum: the reference exempts `OPTIONS` from every check. A
//! handler taking [`Jwt`] is answered `200 OK` with an empty body instead;
//! [`Optional<Jwt>`](Optional) gives `None`.

mod extract;
mod middleware;
mod refresh;
mod rejection;
mod state;

pub use extract::{
    Claims, CurrentUser, Jwt, JwtFuture, Optional, OptionalExtract, verify_jwt_in_request,
};
pub use middleware::{JwtMiddleware, JwtMiddlewareService};
pub use refresh::{ImplicitRefresh, ImplicitRefreshService};
pub use rejection::{
    ErrorResponses, FlaskJson, JwtManagerBuilderExt, JwtRejection, RejectExt, render_default_error,
    render_error,
};
pub use state::manager_for;

pub use crate::request::{BufferJson, DEFAULT_BODY_LIMIT};
pub use crate::requirement::{
    Access, AnyType, Fresh, Guard, Refresh, RefreshToRevoke, Requirement,
};
pub use crate::responses::BearerErrorStyle;

use actix_web::cookie::time::{Duration as CookieDuration, OffsetDateTime};
use actix_web::cookie::{Cookie, SameSite as ActixSameSite};
use actix_web::http::header::{self, HeaderValue};
use actix_web::{HttpResponse, HttpResponseBuilder};

use crate::config::SameSite;
use crate::cookies::{CookieSet, SetCookie};

/// Adds the cookies of a [`CookieSet`] (from `set_access_cookies`,
/// `unset_jwt_cookies`, …) to an actix response as `Set-Cookie` headers,
/// byte for byte the values the axum module sends (Werkzeug's layout).
///
/// ```
/// use actix_web::{HttpResponse, web};
/// use jwt_extended::{JwtManager, actix::{JwtCookiesExt, JwtRejection, RejectExt}};
///
/// async fn login(jwt: web::Data<JwtManager>) -> Result<HttpResponse, JwtRejection> {
///     let token = jwt.access_token("alice").issue().reject(&jwt)?;
///     let cookies = jwt.set_access_cookies(&token).await.reject(&jwt)?;
///     Ok(HttpResponse::Ok().jwt_cookies(&cookies).json(serde_json::json!({"login": true})))
/// }
///
/// async fn logout(jwt: web::Data<JwtManager>) -> HttpResponse {
///     let mut response = HttpResponse::Ok().json(serde_json::json!({"logout": true}));
///     response.jwt_cookies(&jwt.unset_jwt_cookies());
///     response
/// }
/// ```
pub trait JwtCookiesExt: sealed::Sealed {
    /// Appends one `Set-Cookie` header per cookie.
    fn jwt_cookies(&mut self, cookies: &CookieSet) -> &mut Self;
}

mod sealed {
    pub trait Sealed {}
    impl Sealed for actix_web::HttpResponseBuilder {}
    impl<B> Sealed for actix_web::HttpResponse<B> {}
}

/// The header values, the unencodable ones logged and dropped.
fn set_cookie_values(cookies: &CookieSet) -> impl Iterator<Item = HeaderValue> + '_ {
    cookies.header_values().filter_map(|value| {
        HeaderValue::from_str(&value)
            .inspect_err(|_| {
                // The name only: the value is a token.
                let name = value.split('=').next().unwrap_or_default();
                tracing::error!(cookie = name, "cookie is not a valid header value; dropped");
            })
            .ok()
    })
}

impl JwtCookiesExt for HttpResponseBuilder {
    fn jwt_cookies(&mut self, cookies: &CookieSet) -> &mut Self {
        for value in set_cookie_values(cookies) {
            self.append_header((header::SET_COOKIE, value));
        }
        self
    }
}

impl<B> JwtCookiesExt for HttpResponse<B> {
    fn jwt_cookies(&mut self, cookies: &CookieSet) -> &mut Self {
        for value in set_cookie_values(cookies) {
            self.headers_mut().append(header::SET_COOKIE, value);
        }
        self
    }
}

/// The cookie as actix's [`Cookie`] type, with the same attributes (for
/// apps that collect cookies with actix's own API, e.g.
/// `HttpResponseBuilder::cookie`). Its header text is actix's layout, not
/// Werkzeug's; [`JwtCookiesExt`] sends the reference's exact bytes.
///
/// ```
/// use actix_web::cookie::Cookie;
/// # let jwt = jwt_extended::JwtManager::new(jwt_extended::JwtConfig::new().with_secret_key("s"))?;
/// let unset = jwt.unset_access_cookies();
/// let cookie = Cookie::from(&unset.cookies()[0]);
/// assert_eq!((cookie.name(), cookie.value(), cookie.http_only()), ("access_token_cookie", "", Some(true)));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
impl From<&SetCookie> for Cookie<'static> {
    fn from(source: &SetCookie) -> Self {
        let mut cookie = Cookie::new(source.name().to_owned(), source.value().to_owned());
        cookie.set_path(source.path().to_owned());
        cookie.set_http_only(source.http_only());
        cookie.set_secure(source.secure());
        if let Some(domain) = source.domain() {
            cookie.set_domain(domain.to_owned());
        }
        if let Some(max_age) = source.max_age() {
            cookie.set_max_age(CookieDuration::seconds(
                i64::try_from(max_age).unwrap_or(i64::MAX),
            ));
        }
        if let Some(expires) = source.expires() {
            cookie.set_expires(OffsetDateTime::from(expires));
        }
        if let Some(same_site) = source.same_site() {
            cookie.set_same_site(match same_site {
                SameSite::Strict => ActixSameSite::Strict,
                SameSite::Lax => ActixSameSite::Lax,
                SameSite::None => ActixSameSite::None,
            });
        }
        cookie
    }
}
