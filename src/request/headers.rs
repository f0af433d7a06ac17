//! The `headers` location: the token in the `Authorization` header (or
//! `JWT_HEADER_NAME`), after the `Bearer` type (or `JWT_HEADER_TYPE`).

use std::borrow::Cow;

use super::{Found, RequestParts, check_size};
use crate::compat::python::{is_python_whitespace, split_python_whitespace};
use crate::compat::werkzeug::{joined_header, latin1};
use crate::error::{Error, ErrorKind};
use crate::messages;
use crate::settings::Settings;

pub(super) fn from_headers<'a>(
    settings: &Settings,
    request: &RequestParts<'a>,
) -> Result<Found<'a>, Error> {
    let raw = joined_header(request.headers, &settings.header_name);
    // One ASCII header value, the usual case: the token is borrowed from it.
    let token = match raw {
        Some(Cow::Borrowed(bytes)) => match latin1(bytes) {
            Cow::Borrowed(text) => Cow::Borrowed(header_token(settings, text)?.as_bytes()),
            Cow::Owned(text) => Cow::Owned(header_token(settings, &text)?.as_bytes().to_vec()),
        },
        Some(Cow::Owned(bytes)) => {
            Cow::Owned(header_token(settings, &latin1(&bytes))?.as_bytes().to_vec())
        }
        None => Cow::Borrowed(header_token(settings, "")?.as_bytes()),
    };
    check_size(settings, &token)?;
    Ok(Found { token, csrf: None })
}

/// The token in the text of the `Authorization` header (or
/// `JWT_HEADER_NAME`), with the reference's rules and messages.
fn header_token<'t>(settings: &Settings, text: &'t str) -> Result<&'t str, Error> {
    let name = settings.config.header_name();
    let header_type = settings.config.header_type();
    let value = text.trim_matches(is_python_whitespace).trim_matches(',');
    if value.is_empty() {
        return Err(Error::missing_token(messages::missing_header(name)));
    }
    let token = if header_type.is_empty() {
        let mut parts = split_python_whitespace(value).filter(|p| !p.is_empty());
        match (parts.next(), parts.next()) {
            (Some(token), None) => token,
            _ => {
                return Err(Error::new(
                    ErrorKind::InvalidHeader,
                    messages::bad_header(name, header_type),
                ));
            }
        }
    } else {
        let mut matching = split_fields(value).filter(|field| {
            split_python_whitespace(field)
                .find(|p| !p.is_empty())
                .is_some_and(|first| first == header_type)
        });
        let field = match (matching.next(), matching.next()) {
            (Some(field), None) => field,
            _ => {
                return Err(Error::missing_token(messages::missing_header_type(
                    name,
                    header_type,
                )));
            }
        };
        let mut parts = split_python_whitespace(field).filter(|p| !p.is_empty());
        match (parts.next(), parts.next(), parts.next()) {
            (Some(_), Some(token), None) => token,
            _ => {
                return Err(Error::new(
                    ErrorKind::InvalidHeader,
                    messages::bad_header(name, header_type),
                ));
            }
        }
    };
    Ok(token)
}

/// Splits on the regex `,\s*` (the reference's comma-list handling) and
/// skips empty fields (the post-4.7.1 fix of PR #567).
fn split_fields(value: &str) -> impl Iterator<Item = &str> {
    value
        .split(',')
        .map(|f| f.trim_start_matches(is_python_whitespace))
        .filter(|f| !f.is_empty())
}
