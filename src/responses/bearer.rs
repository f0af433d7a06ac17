//! The resource-server error style of RFC 6750 §3 (opt-in): token errors
//! answered with a `WWW-Authenticate: Bearer …` challenge, as OAuth clients
//! expect.

use std::borrow::Cow;

use http::{HeaderValue, StatusCode};

use crate::error::{Error, ErrorCategory, ErrorKind};

/// The resource-server error style of RFC 6750 §3, switched on with
/// [`bearer_error_style`](crate::axum::JwtManagerBuilderExt::bearer_error_style).
/// Off by default: the reference's answers (422 for an invalid token, …)
/// stay the default.
///
/// With the style on, token errors carry a `WWW-Authenticate` challenge and
/// the status the RFC gives them; the JSON body is the usual one
/// (`{"<message key>": "<message>"}`):
///
/// | error | status | `WWW-Authenticate` |
/// |---|---|---|
/// | no token ([`MissingToken`](ErrorKind::MissingToken), also a header of another scheme) | 401 | `Bearer` (no error code, §3.1) |
/// | a `Bearer` header or query value with a bad layout ([`InvalidHeader`](ErrorKind::InvalidHeader), [`InvalidQueryParam`](ErrorKind::InvalidQueryParam)) | 400 | `Bearer error="invalid_request", error_description="…"` |
/// | every other invalid token (malformed, bad signature or claims, wrong type), an expired or a revoked one | 401 | `Bearer error="invalid_token", error_description="…"` |
/// | a guard's refusal ([`Forbidden`](ErrorKind::Forbidden)) | 403 | `Bearer error="insufficient_scope", error_description="…"`, plus `scope="…"` when the error names one ([`Error::insufficient_scope`]) |
///
/// The style is framework-free: the `axum` and `actix` modules both switch
/// it on with their builder extension's `bearer_error_style`.
///
/// Each challenge starts with `realm="…"` when one is set with
/// [`realm`](Self::realm). The description is the error's message, with
/// `"` and `\` escaped and any character outside printable ASCII replaced
/// by `?` (the RFC allows nothing else there).
///
/// The other errors keep their answers: the CSRF errors (cookies are not a
/// bearer-token mechanism), fresh token required, claims verification,
/// user lookup, the size limits and server faults. Responses the app
/// registers for an error kind or category (`invalid_token_loader`,
/// `error_kind_response`, …) still win over the style; the catch-all
/// [`error_response`](crate::axum::JwtManagerBuilderExt::error_response) renders
/// only the errors the style leaves alone.
///
/// ```
/// use jwt_extended::{JwtConfig, JwtManager};
/// use jwt_extended::axum::{BearerErrorStyle, JwtManagerBuilderExt};
///
/// let jwt = JwtManager::builder(JwtConfig::new().with_secret_key("secret"))
///     .bearer_error_style(BearerErrorStyle::new().realm("example"))
///     .build()?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[must_use]
pub struct BearerErrorStyle {
    realm: Option<Cow<'static, str>>,
}

impl BearerErrorStyle {
    /// The style without a realm.
    pub const fn new() -> Self {
        Self { realm: None }
    }

    /// Names the protection space: every challenge starts with
    /// `realm="<realm>"`.
    ///
    /// ```
    /// use jwt_extended::axum::BearerErrorStyle;
    ///
    /// let style = BearerErrorStyle::new().realm("api");
    /// ```
    pub fn realm(mut self, realm: impl Into<Cow<'static, str>>) -> Self {
        self.realm = Some(realm.into());
        self
    }

    /// The status and `WWW-Authenticate` value for `error`, or `None` when
    /// the style leaves the error alone.
    pub(crate) fn challenge(&self, error: &Error) -> Option<(StatusCode, HeaderValue)> {
        let (status, code) = classify(error.kind())?;
        let mut params: Vec<(&str, &str)> = Vec::with_capacity(4);
        if let Some(realm) = &self.realm {
            params.push(("realm", realm));
        }
        if let Some(code) = code {
            params.push(("error", code));
            params.push(("error_description", error.message()));
            if let Some(scope) = error.scope().filter(|_| status == StatusCode::FORBIDDEN) {
                params.push(("scope", scope));
            }
        }
        let value = HeaderValue::from_str(&header_text(&params)).ok()?;
        Some((status, value))
    }
}

/// The status and RFC 6750 error code of a kind, `None` for the kinds the
/// style leaves alone.
fn classify(kind: ErrorKind) -> Option<(StatusCode, Option<&'static str>)> {
    match (kind, kind.category()) {
        (ErrorKind::MissingToken, _) => Some((StatusCode::UNAUTHORIZED, None)),
        (ErrorKind::InvalidHeader | ErrorKind::InvalidQueryParam, _) => {
            Some((StatusCode::BAD_REQUEST, Some("invalid_request")))
        }
        (_, ErrorCategory::InvalidToken | ErrorCategory::Expired | ErrorCategory::Revoked) => {
            Some((StatusCode::UNAUTHORIZED, Some("invalid_token")))
        }
        (_, ErrorCategory::Forbidden) => Some((StatusCode::FORBIDDEN, Some("insufficient_scope"))),
        _ => None,
    }
}

/// `Bearer` followed by the parameters as quoted strings.
fn header_text(params: &[(&str, &str)]) -> String {
    let mut text = String::from("Bearer");
    for (i, (name, value)) in params.iter().enumerate() {
        text.push_str(if i == 0 { " " } else { ", " });
        text.push_str(name);
        text.push_str("=\"");
        push_quoted(&mut text, value);
        text.push('"');
    }
    text
}

/// Appends `value` as the inside of a quoted string: `"` and `\` escaped,
/// anything but printable ASCII replaced by `?`.
fn push_quoted(text: &mut String, value: &str) {
    for c in value.chars() {
        match c {
            '"' | '\\' => {
                text.push('\\');
                text.push(c);
            }
            ' '..='~' => text.push(c),
            _ => text.push('?'),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn header(style: &BearerErrorStyle, error: &Error) -> Option<(u16, String)> {
        style.challenge(error).map(|(status, value)| {
            (
                status.as_u16(),
                value.to_str().unwrap_or_default().to_owned(),
            )
        })
    }

    #[test]
    fn missing_token_has_no_error_code() {
        let error = Error::new(ErrorKind::MissingToken, "Missing Authorization Header");
        assert_eq!(
            header(&BearerErrorStyle::new(), &error),
            Some((401, "Bearer".to_owned()))
        );
        assert_eq!(
            header(&BearerErrorStyle::new().realm("api"), &error),
            Some((401, r#"Bearer realm="api""#.to_owned()))
        );
    }

    #[test]
    fn descriptions_and_realms_are_escaped() {
        let style = BearerErrorStyle::new().realm(r#"a "b" \c"#);
        let error = Error::new(ErrorKind::InvalidSignature, "say \"hi\"\né");
        assert_eq!(
            header(&style, &error),
            Some((
                401,
                r#"Bearer realm="a \"b\" \\c", error="invalid_token", error_description="say \"hi\"??""#
                    .to_owned()
            ))
        );
    }

    #[test]
    fn scope_only_on_forbidden() {
        let style = BearerErrorStyle::new();
        let error = Error::insufficient_scope("write:posts");
        assert_eq!(
            header(&style, &error),
            Some((
                403,
                r#"Bearer error="insufficient_scope", error_description="Missing scope write:posts", scope="write:posts""#
                    .to_owned()
            ))
        );
        let other = Error::new(ErrorKind::ExpiredToken, "Token has expired").with_scope("x");
        assert_eq!(
            header(&style, &other),
            Some((
                401,
                r#"Bearer error="invalid_token", error_description="Token has expired""#.to_owned()
            ))
        );
    }

    #[test]
    fn other_kinds_are_left_alone() {
        let style = BearerErrorStyle::new();
        for kind in [
            ErrorKind::MissingCsrfToken,
            ErrorKind::CsrfMismatch,
            ErrorKind::FreshTokenRequired,
            ErrorKind::ClaimsVerificationFailed,
            ErrorKind::UserLookupFailed,
            ErrorKind::BlocklistUnavailable,
            ErrorKind::TokenTooLarge,
            ErrorKind::Misconfigured,
        ] {
            assert_eq!(header(&style, &Error::new(kind, "x")), None, "{kind:?}");
        }
        let bad_layout = Error::new(ErrorKind::InvalidHeader, "Bad header");
        assert_eq!(
            header(&style, &bad_layout).map(|(status, _)| status),
            Some(400)
        );
    }
}
