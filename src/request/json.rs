//! The `json` location: the token under `access_token` (or `JWT_JSON_KEY`;
//! `refresh_token` / `JWT_REFRESH_JSON_KEY` for refresh tokens) in a JSON
//! body. The body is only read when Werkzeug would call the request JSON.

use std::borrow::Cow;

use super::{Found, RequestParts, body_bytes, check_content_size};
use crate::compat::mime::is_json;
use crate::compat::python::is_falsy;
use crate::error::Error;
use crate::messages;
use crate::settings::Settings;

pub(super) fn from_json<'a>(
    settings: &Settings,
    request: &RequestParts<'a>,
    refresh: bool,
) -> Result<Found<'a>, Error> {
    if !is_json(request.headers) {
        return Err(Error::missing_token(messages::INVALID_JSON_CONTENT_TYPE));
    }
    let key = if refresh {
        settings.config.refresh_json_key()
    } else {
        settings.config.json_key()
    };
    let bytes = body_bytes(request, "the `json` token location")?;
    let missing = || Error::missing_token(messages::missing_json_key(key));
    let value = match serde_json::from_slice::<serde_json::Value>(bytes) {
        Ok(serde_json::Value::Object(mut map)) => map.remove(key),
        // Not an object (the reference crashes on arrays): no key there.
        _ => None,
    };
    match value {
        None => Err(missing()),
        Some(v) if is_falsy(&v) => Err(missing()),
        Some(serde_json::Value::String(token)) => {
            check_content_size(settings, token.as_bytes())?;
            Ok(Found {
                token: Cow::Owned(token.into_bytes()),
                csrf: None,
            })
        }
        Some(_) => Err(Error::malformed(messages::TOKEN_NOT_A_STRING)),
    }
}
