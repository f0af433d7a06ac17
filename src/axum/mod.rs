//! axum integration: extractors, rejections, cookie helpers and layers.
//!
//! | Reference | Here |
//! |---|---|
//! | `@jwt_required()` | [`Jwt`] (= `Jwt<Access>`) |
//! | `@jwt_required(optional=True)` | `Option<Jwt>` |
//! | `@jwt_required(fresh=True)` | [`Jwt<Fresh>`](Fresh) |
//! | `@jwt_required(refresh=True)` | [`Jwt<Refresh>`](Refresh) |
//! | `@jwt_required(verify_type=False)` | [`Jwt<AnyType>`](AnyType) |
//! | `locations=`, `skip_revocation_check=` | your own [`Requirement`] |
//! | a custom decorator checking claims (`admin_required`) | a [`Guard`]: `Jwt<(Access, Admin)>`, `Jwt<(Fresh, Admin)>`; 403 through [`forbidden_loader`](JwtManagerBuilderExt::forbidden_loader) |
//! | `verify_jwt_in_request()` | [`verify_jwt_in_request`]; the manager as the extractors find it: [`manager_for`] |
//! | `get_jwt()`, `get_jwt_identity()`, `get_jwt_header()` | methods of [`Jwt`] (via [`DecodedToken`](crate::DecodedToken)); [`Claims<T>`](Claims) |
//! | `current_user` | [`CurrentUser<U>`](CurrentUser) (or [`CurrentUserWith<U, R>`](CurrentUserWith)) |
//! | `set_access_cookies(resp, token)` | `jwt.set_access_cookies(&token).await?` in the response tuple |
//! | error callbacks | the `*_loader` methods [`JwtManagerBuilderExt`] adds to [`JwtManagerBuilder`](crate::JwtManagerBuilder) |
//! | app-wide error handlers for errors raised in a view | [`.reject(&jwt)?`](RejectExt), [`token.reject(error)`](Jwt::reject), or `?` behind a [`JwtLayer`] |
//! | protecting a whole blueprint | [`RequireJwtLayer`] |
//! | (no equivalent) publishing the public keys | [`JwksEndpoint`] (`/.well-known/jwks.json`), [`DiscoveryEndpoint`] (`/.well-known/openid-configuration`) |
//!
//! The manager is found in the request extensions (put there by
//! [`JwtLayer`]) or in the router state (`JwtManager: FromRef<S>`).
//!
//! # Errors and custom responses
//!
//! Every refusal is an [`Error`](crate::Error) with a kind, a stable code
//! ([`ErrorKind::as_str`](crate::ErrorKind::as_str)), a message and a status,
//! rendered as a [`JwtRejection`] by the manager's custom responses
//! ([`JwtManagerBuilderExt`]) or the reference's `{"msg": …}` default. One
//! closure gives the whole API one error schema
//! ([`error_response`](JwtManagerBuilderExt::error_response)).
//!
//! Errors a handler returns itself need the manager to get those responses:
//! write `.reject(&jwt)?` ([`RejectExt`]) or `token.reject(error)`
//! ([`Jwt::reject`]). A bare `?` on an `Error` only gets them behind a
//! [`JwtLayer`]; without one it is answered with the defaults.
//!
//! # Resource-server (OAuth) error style
//!
//! APIs called by OAuth clients can answer token errors the way RFC 6750
//! §3 describes instead of the reference's 422s: switch it on with
//! [`bearer_error_style`](JwtManagerBuilderExt::bearer_error_style). A
//! missing token gets 401 with `WWW-Authenticate: Bearer`; an invalid,
//! expired or revoked token 401 with `Bearer error="invalid_token",
//! error_description="…"`; a guard's refusal 403 with
//! `error="insufficient_scope"`, and `scope="…"` when the guard refuses
//! with [`Error::insufficient_scope`](crate::Error::insufficient_scope).
//! Bodies stay `{"msg": …}`; the app's own per-error responses still win.
//! [`BearerErrorStyle`] has the full table.
//!
//! ```
//! use jwt_extended::{Error, JwtConfig, JwtManager, Verified};
//! use jwt_extended::axum::{Access, BearerErrorStyle, Guard, Jwt, JwtManagerBuilderExt};
//!
//! /// Tokens granted the `write:posts` scope.
//! struct WritePosts;
//!
//! impl Guard for WritePosts {
//!     fn check(verified: &Verified) -> Result<(), Error> {
//!         let scopes = verified.token().claim("scope").and_then(|s| s.as_str()).unwrap_or("");
//!         if scopes.split(' ').any(|s| s == "write:posts") {
//!             Ok(())
//!         } else {
//!             Err(Error::insufficient_scope("write:posts")) // 403, scope="write:posts"
//!         }
//!     }
//! }
//!
//! async fn publish(token: Jwt<(Access, WritePosts)>) -> &'static str { "published" }
//!
//! let jwt = JwtManager::builder(JwtConfig::new().with_secret_key("secret"))
//!     .bearer_error_style(BearerErrorStyle::new().realm("blog"))
//!     .build()?;
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # Custom extractors
//!
//! Guards ([`Guard`]) cover checks on the token. For anything else, build
//! on [`Jwt`]: it finds the manager (honouring a [`JwtLayer`]), verifies
//! once per request (cached), and [`Jwt::reject`] answers with the
//! manager's responses.
//!
//! ```
//! use axum::{extract::{FromRef, FromRequestParts}, http::request::Parts};
//! use jwt_extended::{Error, JwtManager, axum::{Jwt, JwtRejection}};
//!
//! /// The token of the tenant named in the `X-Tenant` header.
//! struct TenantMember(Jwt);
//!
//! impl<S: Send + Sync> FromRequestParts<S> for TenantMember
//! where
//!     JwtManager: FromRef<S>,
//! {
//!     type Rejection = JwtRejection;
//!
//!     async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, JwtRejection> {
//!         let token = Jwt::from_request_parts(parts, state).await?;
//!         let tenant = parts.headers.get("x-tenant").and_then(|v| v.to_str().ok());
//!         let member = token.claim("tenant").and_then(|t| t.as_str());
//!         if tenant.is_some() && tenant == member {
//!             Ok(TenantMember(token))
//!         } else {
//!             Err(token.reject(Error::forbidden("Not a member of this tenant")))
//!         }
//!     }
//! }
//! ```
//!
//! # `OPTIONS` requests
//!
//! The reference skips every check for `OPTIONS` and runs the view. A
//! handler taking [`Jwt`] cannot run without a token, so for `OPTIONS` it is
//! answered `200 OK` with an empty body instead; `Option<Jwt>` gives `None`;
//! [`RequireJwtLayer`] lets `OPTIONS` through to the handler. Flask also
//! answers `OPTIONS` for every route automatically (200, `Allow` header):
//! axum does not; add `tower_http::cors::CorsLayer` for preflights, or route
//! `.options(...)` yourself. The ported examples show a small layer that
//! answers like Flask.

mod extract;
mod jwks;
mod layer;
mod refresh;
mod rejection;
mod state;

pub use crate::requirement::{
    Access, AnyType, Fresh, Guard, Refresh, RefreshToRevoke, Requirement,
};
pub use crate::responses::BearerErrorStyle;
pub use extract::{Claims, ClaimsWith, CurrentUser, CurrentUserWith, Jwt, verify_jwt_in_request};
pub use jwks::{DEFAULT_JWKS_MAX_AGE, DiscoveryEndpoint, JwksEndpoint};
pub use layer::{
    BufferJson, DEFAULT_BODY_LIMIT, JwtLayer, JwtService, RequireJwt, RequireJwtLayer,
};
pub use refresh::{ImplicitRefresh, ImplicitRefreshLayer};
pub use rejection::{
    ErrorResponses, FlaskJson, JwtManagerBuilderExt, JwtRejection, RejectExt, render_default_error,
    render_error,
};
#[allow(deprecated)]
pub use rejection::{default_error_response, error_response};
pub use state::manager_for;

use axum_core::response::{IntoResponseParts, ResponseParts};
use http::HeaderValue;

use crate::cookies::CookieSet;

/// Adds the cookies as `Set-Cookie` headers.
///
/// ```
/// use axum::response::IntoResponse;
/// # async fn handler(jwt: jwt_extended::JwtManager) -> Result<axum::response::Response, jwt_extended::axum::JwtRejection> {
/// let token = jwt.create_access_token("alice")?;
/// let cookies = jwt.set_access_cookies(&token).await?;
/// Ok((cookies, axum::Json(serde_json::json!({"login": true}))).into_response())
/// # }
/// ```
impl IntoResponseParts for CookieSet {
    type Error = std::convert::Infallible;

    fn into_response_parts(self, mut res: ResponseParts) -> Result<ResponseParts, Self::Error> {
        for value in self.header_values() {
            match HeaderValue::from_str(&value) {
                Ok(value) => {
                    res.headers_mut().append(http::header::SET_COOKIE, value);
                }
                Err(_) => {
                    // The name only: the value is a token.
                    let name = value.split('=').next().unwrap_or_default();
                    tracing::error!(cookie = name, "cookie is not a valid header value; dropped")
                }
            }
        }
        Ok(res)
    }
}
