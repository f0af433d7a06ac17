//! The `cookies` location: the token in the access (or refresh) cookie, and
//! on CSRF-protected methods the CSRF value that must come with it (see
//! [`csrf`](super::csrf)).

use super::{Found, RequestParts, check_size, csrf};
use crate::compat::werkzeug::cookie;
use crate::error::Error;
use crate::messages;
use crate::settings::Settings;

pub(super) fn from_cookies<'a>(
    settings: &Settings,
    request: &RequestParts<'a>,
    refresh: bool,
    check_csrf: bool,
) -> Result<Found<'a>, Error> {
    let config = &settings.config;
    let cookie_name = if refresh {
        config.refresh_cookie_name()
    } else {
        config.access_cookie_name()
    };
    let token = cookie(request.headers, cookie_name.as_bytes())
        .filter(|v| !v.is_empty())
        .ok_or_else(|| Error::missing_token(messages::missing_cookie(cookie_name)))?;
    // Before the CSRF check: an oversized token is refused wherever it sits.
    check_size(settings, &token)?;

    let csrf = if check_csrf {
        csrf::csrf_value(settings, request, refresh)?
    } else {
        None
    };
    Ok(Found { token, csrf })
}
