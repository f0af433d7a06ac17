//! The `query_string` location: the token in the `jwt` query parameter (or
//! `JWT_QUERY_STRING_NAME`), after `JWT_QUERY_STRING_VALUE_PREFIX`.

use std::borrow::Cow;

use super::{Found, RequestParts, check_size};
use crate::error::{Error, ErrorKind};
use crate::messages;
use crate::settings::Settings;

pub(super) fn from_query<'a>(
    settings: &Settings,
    request: &RequestParts<'a>,
) -> Result<Found<'a>, Error> {
    let name = settings.config.query_string_name();
    let prefix = settings.config.query_string_value_prefix();
    let value = request.query.and_then(|q| {
        form_urlencoded::parse(q.as_bytes())
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.into_owned())
    });
    let value = value
        .filter(|v| !v.is_empty())
        .ok_or_else(|| Error::missing_token(messages::missing_query_param(name)))?;
    let Some(token) = value.strip_prefix(prefix) else {
        return Err(Error::new(
            ErrorKind::InvalidQueryParam,
            messages::invalid_query_param(name, prefix),
        ));
    };
    check_size(settings, token.as_bytes())?;
    Ok(Found {
        token: Cow::Owned(token.as_bytes().to_vec()),
        csrf: None,
    })
}
