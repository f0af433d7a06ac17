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
//! | `verify_jwt_in_request()` | [`verify_jwt_in_request`] |
//! | `get_jwt()`, `get_jwt_identity()`, `get_jwt_header()` | methods of [`Jwt`] (via [`DecodedToken`](crate::DecodedToken)) |
//! | `current_user` | [`CurrentUser<U>`](CurrentUser) |
//! | `set_access_cookies(resp, token)` | `jwt.set_access_cookies(&token).await?` in the response tuple |
//! | error callbacks | the `*_loader` methods [`JwtManagerBuilderExt`] adds to [`JwtManagerBuilder`](crate::JwtManagerBuilder) |
//! | protecting a whole blueprint | [`RequireJwtLayer`] |
//!
//! The manager is found in the request extensions (put there by
//! [`JwtLayer`]) or in the router state (`JwtManager: FromRef<S>`).
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
mod layer;
mod refresh;
mod rejection;
mod requirement;
mod state;

pub use extract::{Claims, CurrentUser, Jwt, verify_jwt_in_request};
pub use layer::{
    BufferJson, DEFAULT_BODY_LIMIT, JwtLayer, JwtService, RequireJwt, RequireJwtLayer,
};
pub use refresh::{ImplicitRefresh, ImplicitRefreshLayer};
pub use rejection::{
    ErrorResponses, FlaskJson, JwtManagerBuilderExt, JwtRejection, default_error_response,
    error_response,
};
pub use requirement::{Access, AnyType, Fresh, Refresh, Requirement};

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
