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

use subtle::ConstantTimeEq as _;

/// Compares two secrets in constant time (for equal lengths; the length
/// itself is not secret).
///
/// ```
/// use jwt_extended::csrf::constant_time_eq;
///
/// assert!(constant_time_eq(b"4f1a-csrf", b"4f1a-csrf"));
/// assert!(!constant_time_eq(b"4f1a-csrf", b"4f1a-csrF"));
/// ```
#[must_use]
pub fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && bool::from(a.ct_eq(b))
}

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

#[cfg(test)]
mod tests {
    use super::*;

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
