//! CSRF double-submit protection, the framework-free part.
//!
//! When a token is read from a cookie on a method listed in
//! `JWT_CSRF_METHODS`, the request must also carry the token's `csrf` claim
//! in the CSRF header (`X-CSRF-TOKEN` by default) or, with
//! `JWT_CSRF_CHECK_FORM`, in a form field. A cross-site page can make the
//! browser send the cookie, but cannot read the CSRF cookie to copy its value
//! into a header, so a forged request fails.
//!
//! The server never reads the CSRF *cookie*: that would defeat the scheme.
//! See the [cookie manual](crate::manual::cookies_and_csrf) for the full
//! browser flow.
//!
//! This module is also reachable as `jwt_extended::csrf`.

use std::borrow::Cow;

use super::{RequestParts, body_bytes};
use crate::compat::mime::{form_field_in, is_form};
use crate::compat::werkzeug::joined_header;
use crate::error::{Error, ErrorKind};
use crate::messages;
use crate::settings::Settings;

/// Whether `method` (as sent, e.g. `POST`) is one of the configured CSRF
/// methods. Like the reference, the request method is upper-cased and the
/// comparison with the configured names is case-sensitive.
///
/// ```
/// use jwt_extended::csrf::is_csrf_method;
///
/// let defaults = ["POST", "PUT", "PATCH", "DELETE"].map(String::from);
/// assert!(is_csrf_method("POST", &defaults));
/// assert!(!is_csrf_method("GET", &defaults));
/// // A lower-case configured name never matches.
/// assert!(!is_csrf_method("POST", &["post".to_owned()]));
/// ```
#[must_use]
pub fn is_csrf_method(method: &str, csrf_methods: &[String]) -> bool {
    if method.bytes().any(|b| b.is_ascii_lowercase()) {
        let upper = method.to_ascii_uppercase();
        csrf_methods.contains(&upper)
    } else {
        csrf_methods.iter().any(|m| m == method)
    }
}

/// The CSRF value that must come with a cookie token on a CSRF-protected
/// method: from the CSRF header, or (with `JWT_CSRF_CHECK_FORM`) a form
/// field. `None` when the method or configuration does not ask for one.
pub(super) fn csrf_value<'a>(
    settings: &Settings,
    request: &RequestParts<'a>,
    refresh: bool,
) -> Result<Option<Cow<'a, [u8]>>, Error> {
    let config = &settings.config;
    if !(config.cookie_csrf_protect()
        && is_csrf_method(request.method.as_str(), config.csrf_methods()))
    {
        return Ok(None);
    }
    let (csrf_header, csrf_field) = if refresh {
        (
            &settings.refresh_csrf_header,
            config.refresh_csrf_field_name(),
        )
    } else {
        (
            &settings.access_csrf_header,
            config.access_csrf_field_name(),
        )
    };
    let mut value = joined_header(request.headers, csrf_header).filter(|v| !v.is_empty());
    if value.is_none() && config.csrf_check_form() {
        value = form_field(request, csrf_field)?.map(|v| Cow::Owned(v.into_bytes()));
    }
    match value {
        Some(v) if !v.is_empty() => Ok(Some(v)),
        _ => {
            tracing::debug!(
                header = %csrf_header,
                "cookie token without its CSRF value: the client must copy the CSRF cookie into the header"
            );
            Err(Error::new(
                ErrorKind::MissingCsrfToken,
                messages::MISSING_CSRF_TOKEN,
            ))
        }
    }
}

/// The first value of a form field, from an urlencoded or multipart body.
fn form_field(request: &RequestParts<'_>, field: &str) -> Result<Option<String>, Error> {
    if !is_form(request.headers) {
        return Ok(None);
    }
    let bytes = body_bytes(request, "CSRF form fields (JWT_CSRF_CHECK_FORM)")?;
    Ok(form_field_in(request.headers, bytes, field))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::secure::constant_time_eq;

    #[test]
    fn compares_exactly() {
        assert!(constant_time_eq(b"abc", b"abc"));
        assert!(!constant_time_eq(b"abc", b"abd"));
        assert!(!constant_time_eq(b"abc", b"abcd"));
        assert!(!constant_time_eq(b"", b"a"));
    }

    #[test]
    fn method_match_is_case_sensitive_on_config() {
        let methods = vec!["POST".to_owned(), "put".to_owned()];
        assert!(is_csrf_method("POST", &methods));
        assert!(is_csrf_method("post", &methods));
        assert!(!is_csrf_method("PUT", &methods));
        assert!(!is_csrf_method("GET", &methods));
    }
}
