//! Requests carrying a token, for tests that drive a `Router` (or any
//! `http` service) directly.

use http::request::Builder;

use crate::JwtManager;

/// Adds `token` to a request the way `jwt` reads it from headers:
/// `Authorization: Bearer <token>` with the default configuration,
/// following `JWT_HEADER_NAME` and `JWT_HEADER_TYPE` otherwise (an empty
/// header type sends the bare token).
///
/// An invalid header name or value (from an unusual configuration) is
/// reported by the builder's `body()`, like any other `header()` call.
///
/// ```
/// use axum::body::Body;
/// use axum::http::Request;
/// use jwt_extended::{JwtConfig, JwtManager, testing};
///
/// let jwt = JwtManager::new(JwtConfig::new().with_secret_key("0123456789abcdef0123456789abcdef"))?;
/// let token = jwt.create_access_token("alice")?;
/// let request = testing::bearer(Request::get("/protected"), &jwt, &token).body(Body::empty())?;
/// assert_eq!(request.headers()["authorization"], format!("Bearer {token}"));
///
/// let custom = JwtManager::new(
///     JwtConfig::new()
///         .with_secret_key("0123456789abcdef0123456789abcdef")
///         .with_header_name("X-Token")
///         .with_header_type(""),
/// )?;
/// let request = testing::bearer(Request::get("/"), &custom, &token).body(Body::empty())?;
/// assert_eq!(request.headers()["x-token"], token.as_str());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn bearer(request: Builder, jwt: &JwtManager, token: &str) -> Builder {
    let config = jwt.config();
    let value = match config.header_type() {
        "" => token.to_owned(),
        scheme => format!("{scheme} {token}"),
    };
    request.header(config.header_name(), value)
}
