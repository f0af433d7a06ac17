//! Finding the token in a request: headers, cookies, query string and JSON
//! body, with the reference's parsing rules and messages. Framework-free: it
//! works on `http` types.
//!
//! Only a *missing* token falls through to the next location. A bad token,
//! a bad `Authorization` layout, a wrong query prefix or a CSRF failure in an
//! earlier location is final, even if a later location holds a valid token.

use std::borrow::Cow;

use http::{HeaderMap, Method};

use crate::config::TokenLocation;
use crate::error::{Error, ErrorKind};
use crate::settings::Settings;
use crate::token::decode::is_python_whitespace;

/// What the framework glue could read of the request body (see
/// [`RequestParts`] for an example).
#[derive(Debug, Clone, Copy, Default)]
#[non_exhaustive]
pub enum Body<'a> {
    /// The body was not buffered (no layer, or not needed for this request).
    #[default]
    NotBuffered,
    /// The whole body, buffered by the layer (the handler still gets it).
    Buffered(&'a [u8]),
    /// The body was larger than the configured limit and was not read.
    TooLarge,
}

/// The parts of a request that token lookup reads, for
/// [`JwtManager::verify_request`](crate::JwtManager::verify_request) outside
/// axum.
///
/// ```
/// use http::{HeaderMap, Method};
/// use jwt_extended::{JwtConfig, JwtManager, VerifyOptions, config::TokenLocation};
/// use jwt_extended::request::{Body, RequestParts};
///
/// # async fn run() -> Result<(), Box<dyn std::error::Error>> {
/// let jwt = JwtManager::new(
///     JwtConfig::new().with_secret_key("s").with_token_location([TokenLocation::Json]),
/// )?;
/// let body = format!(r#"{{"access_token": "{}"}}"#, jwt.create_access_token("alice")?);
/// let mut headers = HeaderMap::new();
/// headers.insert("content-type", "application/json".parse()?);
/// let parts = RequestParts::new(&Method::POST, &headers, None)
///     .with_body(Body::Buffered(body.as_bytes()));
/// let verified = jwt.verify_request(&parts, &VerifyOptions::new()).await?;
/// assert_eq!(verified.map(|v| v.location()), Some(TokenLocation::Json));
/// # Ok(()) }
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// #     tokio::runtime::Builder::new_current_thread().enable_all().build()?.block_on(run())
/// # }
/// ```
#[derive(Debug, Clone, Copy)]
pub struct RequestParts<'a> {
    /// The request method.
    pub method: &'a Method,
    /// The request headers.
    pub headers: &'a HeaderMap,
    /// The raw query string (without `?`), if any.
    pub query: Option<&'a str>,
    /// The buffered body, for the `json` location and CSRF form fields.
    pub body: Body<'a>,
}

impl<'a> RequestParts<'a> {
    /// Lookup parts from the pieces of an `http` request.
    #[must_use]
    pub fn new(method: &'a Method, headers: &'a HeaderMap, query: Option<&'a str>) -> Self {
        Self {
            method,
            headers,
            query,
            body: Body::NotBuffered,
        }
    }

    /// Adds the buffered body.
    #[must_use]
    pub fn with_body(mut self, body: Body<'a>) -> Self {
        self.body = body;
        self
    }
}

/// A raw token found in a request, before decoding.
#[derive(Debug, Clone)]
pub(crate) struct Found<'a> {
    pub(crate) token: Cow<'a, [u8]>,
    pub(crate) csrf: Option<Cow<'a, [u8]>>,
}

/// Looks in one location. `Ok(None)`-like "missing" outcomes are returned as
/// `Err` with [`ErrorKind::MissingToken`] so that the caller can combine
/// their messages.
pub(crate) fn find_in<'a>(
    location: TokenLocation,
    settings: &Settings,
    request: &RequestParts<'a>,
    refresh: bool,
) -> Result<Found<'a>, Error> {
    match location {
        TokenLocation::Headers => from_headers(settings, request),
        TokenLocation::Cookies => from_cookies(settings, request, refresh),
        TokenLocation::QueryString => from_query(settings, request),
        TokenLocation::Json => from_json(settings, request, refresh),
    }
}

/// All values of a header joined with `", "`, as a WSGI server presents
/// repeated headers.
fn joined_header<'a>(headers: &'a HeaderMap, name: &http::HeaderName) -> Option<Cow<'a, [u8]>> {
    let mut values = headers.get_all(name).iter();
    let first = values.next()?;
    let Some(second) = values.next() else {
        return Some(Cow::Borrowed(first.as_bytes()));
    };
    let mut joined = first.as_bytes().to_vec();
    for value in std::iter::once(second).chain(values) {
        joined.extend_from_slice(b", ");
        joined.extend_from_slice(value.as_bytes());
    }
    Some(Cow::Owned(joined))
}

/// Header bytes as the Latin-1 text a WSGI server hands to Python.
fn latin1(bytes: &[u8]) -> Cow<'_, str> {
    if bytes.is_ascii() {
        // ASCII is valid UTF-8.
        Cow::Borrowed(std::str::from_utf8(bytes).unwrap_or_default())
    } else {
        Cow::Owned(bytes.iter().map(|b| char::from(*b)).collect())
    }
}

fn from_headers<'a>(settings: &Settings, request: &RequestParts<'a>) -> Result<Found<'a>, Error> {
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
    Ok(Found { token, csrf: None })
}

/// The token in the text of the `Authorization` header (or
/// `JWT_HEADER_NAME`), with the reference's rules and messages.
fn header_token<'t>(settings: &Settings, text: &'t str) -> Result<&'t str, Error> {
    let name = settings.config.header_name();
    let header_type = settings.config.header_type();
    let value = text.trim_matches(is_python_whitespace).trim_matches(',');
    if value.is_empty() {
        return Err(Error::missing_token(format!("Missing {name} Header")));
    }
    let token = if header_type.is_empty() {
        let mut parts = split_python_whitespace(value).filter(|p| !p.is_empty());
        match (parts.next(), parts.next()) {
            (Some(token), None) => token,
            _ => {
                return Err(Error::new(
                    ErrorKind::InvalidHeader,
                    format!("Bad {name} header. Expected '{name}: <JWT>'"),
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
                return Err(Error::missing_token(format!(
                    "Missing '{header_type}' type in '{name}' header. Expected '{name}: {header_type} <JWT>'"
                )));
            }
        };
        let mut parts = split_python_whitespace(field).filter(|p| !p.is_empty());
        match (parts.next(), parts.next(), parts.next()) {
            (Some(_), Some(token), None) => token,
            _ => {
                return Err(Error::new(
                    ErrorKind::InvalidHeader,
                    format!("Bad {name} header. Expected '{name}: {header_type} <JWT>'"),
                ));
            }
        }
    };
    Ok(token)
}

/// `s.split(is_python_whitespace)`, scanning bytes when `s` is ASCII (as
/// headers nearly always are): Python's whitespace is then ASCII too, and a
/// byte scan costs a fraction of decoding every character of a token.
fn split_python_whitespace(s: &str) -> impl Iterator<Item = &str> {
    let ascii = s.is_ascii();
    let mut rest = Some(s);
    std::iter::from_fn(move || {
        let current = rest?;
        let separator = if ascii {
            find_ascii_python_whitespace(current.as_bytes()).map(|at| (at, at + 1))
        } else {
            current
                .char_indices()
                .find(|(_, c)| is_python_whitespace(*c))
                .map(|(at, c)| (at, at + c.len_utf8()))
        };
        match separator {
            Some((start, end)) => {
                rest = Some(&current[end..]);
                Some(&current[..start])
            }
            None => {
                rest = None;
                Some(current)
            }
        }
    })
}

/// [`is_python_whitespace`] for an ASCII byte.
fn is_ascii_python_whitespace(b: u8) -> bool {
    b <= b' ' && matches!(b, b' ' | b'\t' | b'\n' | 0x0b | 0x0c | b'\r' | 0x1c..=0x1f)
}

/// The first [`is_ascii_python_whitespace`] byte. Such bytes are at most
/// `b' '`: 16-byte blocks without one are skipped by a test the compiler
/// vectorises, so a token costs a few instructions per block, not per byte.
fn find_ascii_python_whitespace(bytes: &[u8]) -> Option<usize> {
    let mut start = 0;
    for block in bytes.chunks_exact(16) {
        if block.iter().fold(false, |low, &b| low | (b <= b' ')) {
            break;
        }
        start += 16;
    }
    bytes[start..]
        .iter()
        .position(|&b| is_ascii_python_whitespace(b))
        .map(|at| start + at)
}

/// Splits on the regex `,\s*` (the reference's comma-list handling) and
/// skips empty fields (the post-4.7.1 fix of PR #567).
fn split_fields(value: &str) -> impl Iterator<Item = &str> {
    value
        .split(',')
        .map(|f| f.trim_start_matches(is_python_whitespace))
        .filter(|f| !f.is_empty())
}

fn from_cookies<'a>(
    settings: &Settings,
    request: &RequestParts<'a>,
    refresh: bool,
) -> Result<Found<'a>, Error> {
    let config = &settings.config;
    let (cookie_name, csrf_header, csrf_field) = if refresh {
        (
            config.refresh_cookie_name(),
            &settings.refresh_csrf_header,
            config.refresh_csrf_field_name(),
        )
    } else {
        (
            config.access_cookie_name(),
            &settings.access_csrf_header,
            config.access_csrf_field_name(),
        )
    };
    let token = cookie(request.headers, cookie_name.as_bytes())
        .filter(|v| !v.is_empty())
        .ok_or_else(|| Error::missing_token(format!("Missing cookie \"{cookie_name}\"")))?;

    let csrf = if config.cookie_csrf_protect()
        && crate::csrf::is_csrf_method(request.method.as_str(), config.csrf_methods())
    {
        let mut value = joined_header(request.headers, csrf_header).filter(|v| !v.is_empty());
        if value.is_none() && config.csrf_check_form() {
            value = form_field(request, csrf_field)?.map(|v| Cow::Owned(v.into_bytes()));
        }
        match value {
            Some(v) if !v.is_empty() => Some(v),
            _ => {
                tracing::debug!(
                    header = %csrf_header,
                    "cookie token without its CSRF value: the client must copy the CSRF cookie into the header"
                );
                return Err(Error::new(
                    ErrorKind::MissingCsrfToken,
                    "Missing CSRF token",
                ));
            }
        }
    } else {
        None
    };
    Ok(Found { token, csrf })
}

/// The first value of cookie `name`, parsed the way Werkzeug parses the
/// `Cookie` header(s).
pub(crate) fn cookie<'a>(headers: &'a HeaderMap, name: &[u8]) -> Option<Cow<'a, [u8]>> {
    let mut all = headers.get_all(http::header::COOKIE).iter();
    let first = all.next()?;
    let rest: Vec<_> = all.collect();
    if rest.is_empty() {
        return find_cookie(first.as_bytes(), name).map(|v| match v {
            Cow::Borrowed(b) => Cow::Borrowed(b),
            Cow::Owned(o) => Cow::Owned(o),
        });
    }
    let mut joined = first.as_bytes().to_vec();
    for value in rest {
        joined.push(b';');
        joined.extend_from_slice(value.as_bytes());
    }
    find_cookie(&joined, name).map(|v| Cow::Owned(v.into_owned()))
}

fn is_regex_space(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\n' | b'\r' | b'\x0b' | b'\x0c')
}

fn is_strip_space(b: u8) -> bool {
    is_regex_space(b) || matches!(b, 0x1c..=0x1f | 0x85 | 0xa0)
}

fn strip(bytes: &[u8]) -> &[u8] {
    let start = bytes
        .iter()
        .position(|b| !is_strip_space(*b))
        .unwrap_or(bytes.len());
    let end = bytes
        .iter()
        .rposition(|b| !is_strip_space(*b))
        .map_or(start, |e| e + 1);
    bytes.get(start..end).unwrap_or_default()
}

/// Werkzeug's `parse_cookie` (a regex scan over `header + ";"`), returning
/// the first value of `name`.
fn find_cookie<'a>(header: &'a [u8], name: &[u8]) -> Option<Cow<'a, [u8]>> {
    let len = header.len();
    // Positions past the end behave as the appended ';'.
    let at = |i: usize| -> u8 { header.get(i).copied().unwrap_or(b';') };
    let mut pos = 0;
    while pos < len + 1 {
        let key_start = pos;
        while pos < len && !matches!(header[pos], b'=' | b';') {
            pos += 1;
        }
        let key = &header[key_start.min(len)..pos.min(len)];
        let mut value: &[u8] = &[];
        if at(pos) == b'=' {
            pos += 1;
            while pos < len && is_regex_space(header[pos]) {
                pos += 1;
            }
            let value_start = pos;
            let mut end = None;
            if at(pos) == b'"' && pos < len {
                let mut i = pos + 1;
                while i < len {
                    match header[i] {
                        b'\\' if i + 1 < len && header[i + 1] != b'\n' => i += 2,
                        b'"' => break,
                        _ => i += 1,
                    }
                }
                if i < len {
                    // Closing quote at i: valid if followed by \s*;
                    let mut j = i + 1;
                    while j < len && is_regex_space(header[j]) {
                        j += 1;
                    }
                    if at(j) == b';' {
                        end = Some(i + 1);
                    }
                }
            }
            let value_end = end.unwrap_or_else(|| {
                // Lazy `.*?` up to the first `\s*;`.
                let semi = header[value_start.min(len)..]
                    .iter()
                    .position(|b| *b == b';')
                    .map_or(len, |p| value_start + p);
                let mut e = semi;
                while e > value_start && is_regex_space(header[e - 1]) {
                    e -= 1;
                }
                e
            });
            value = &header[value_start.min(len)..value_end.min(len)];
            pos = value_end;
        }
        // \s*;\s*
        while pos < len && is_regex_space(header[pos]) {
            pos += 1;
        }
        pos += 1; // the ';'
        while pos < len && is_regex_space(header[pos]) {
            pos += 1;
        }
        let key = strip(key);
        if !key.is_empty() && key == name {
            let value = strip(value);
            if value.len() >= 2 && value[0] == b'"' && value[value.len() - 1] == b'"' {
                return Some(Cow::Owned(unslash(&value[1..value.len() - 1])));
            }
            return Some(Cow::Borrowed(value));
        }
    }
    None
}

/// Werkzeug's cookie unquoting: `\ooo` octal escapes and `\x` for any `x`.
fn unslash(quoted: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(quoted.len());
    let mut i = 0;
    while i < quoted.len() {
        if quoted[i] == b'\\' && i + 1 < quoted.len() {
            let rest = &quoted[i + 1..];
            if rest.len() >= 3
                && (b'0'..=b'3').contains(&rest[0])
                && (b'0'..=b'7').contains(&rest[1])
                && (b'0'..=b'7').contains(&rest[2])
            {
                out.push((rest[0] - b'0') * 64 + (rest[1] - b'0') * 8 + (rest[2] - b'0'));
                i += 4;
            } else {
                out.push(rest[0]);
                i += 2;
            }
        } else {
            out.push(quoted[i]);
            i += 1;
        }
    }
    out
}

fn from_query<'a>(settings: &Settings, request: &RequestParts<'a>) -> Result<Found<'a>, Error> {
    let name = settings.config.query_string_name();
    let prefix = settings.config.query_string_value_prefix();
    let value = request.query.and_then(|q| {
        form_urlencoded::parse(q.as_bytes())
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.into_owned())
    });
    let value = value
        .filter(|v| !v.is_empty())
        .ok_or_else(|| Error::missing_token(format!("Missing '{name}' query paramater")))?;
    let Some(token) = value.strip_prefix(prefix) else {
        return Err(Error::new(
            ErrorKind::InvalidQueryParam,
            format!(
                "Invalid value for query parameter '{name}'. Expected the value to start with '{prefix}'"
            ),
        ));
    };
    Ok(Found {
        token: Cow::Owned(token.as_bytes().to_vec()),
        csrf: None,
    })
}

/// The request's mimetype: the content type before `;`, trimmed, lower-case.
fn mimetype(headers: &HeaderMap) -> String {
    headers
        .get(http::header::CONTENT_TYPE)
        .map(|v| {
            let text = latin1(v.as_bytes());
            text.split(';')
                .next()
                .unwrap_or_default()
                .trim()
                .to_ascii_lowercase()
        })
        .unwrap_or_default()
}

/// Werkzeug's `request.is_json`.
pub(crate) fn is_json(headers: &HeaderMap) -> bool {
    let mt = mimetype(headers);
    mt == "application/json" || (mt.starts_with("application/") && mt.ends_with("+json"))
}

/// Whether the request body is a form Werkzeug would parse into
/// `request.form`.
pub(crate) fn is_form(headers: &HeaderMap) -> bool {
    let mt = mimetype(headers);
    mt == "application/x-www-form-urlencoded" || mt == "multipart/form-data"
}

fn body_bytes<'a>(request: &RequestParts<'a>, purpose: &str) -> Result<&'a [u8], Error> {
    match request.body {
        Body::Buffered(bytes) => Ok(bytes),
        Body::TooLarge => Err(Error::new(
            ErrorKind::BodyTooLarge,
            "Request body is too large to look for a token",
        )),
        Body::NotBuffered => Err(Error::misconfigured(format!(
            "jwt-extended needs the request body for {purpose}, but it was not buffered: add `JwtLayer` to the router (`.layer(JwtLayer::new(manager))`)"
        ))),
    }
}

fn from_json<'a>(
    settings: &Settings,
    request: &RequestParts<'a>,
    refresh: bool,
) -> Result<Found<'a>, Error> {
    if !is_json(request.headers) {
        return Err(Error::missing_token(
            "Invalid content-type. Must be application/json.",
        ));
    }
    let key = if refresh {
        settings.config.refresh_json_key()
    } else {
        settings.config.json_key()
    };
    let bytes = body_bytes(request, "the `json` token location")?;
    let missing = || Error::missing_token(format!("Missing \"{key}\" key in json data."));
    let value = match serde_json::from_slice::<serde_json::Value>(bytes) {
        Ok(serde_json::Value::Object(mut map)) => map.remove(key),
        // Not an object (the reference crashes on arrays): no key there.
        _ => None,
    };
    match value {
        None => Err(missing()),
        Some(v) if crate::token::decode::is_falsy(&v) => Err(missing()),
        Some(serde_json::Value::String(token)) => Ok(Found {
            token: Cow::Owned(token.into_bytes()),
            csrf: None,
        }),
        Some(_) => Err(Error::malformed(
            "Invalid token type. Token must be a <class 'bytes'>",
        )),
    }
}

/// The first value of a form field, from an urlencoded or multipart body.
fn form_field(request: &RequestParts<'_>, field: &str) -> Result<Option<String>, Error> {
    if !is_form(request.headers) {
        return Ok(None);
    }
    let bytes = body_bytes(request, "CSRF form fields (JWT_CSRF_CHECK_FORM)")?;
    if mimetype(request.headers) == "multipart/form-data" {
        let boundary = request
            .headers
            .get(http::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .and_then(multipart_boundary);
        return Ok(boundary.and_then(|b| multipart_field(bytes, &b, field)));
    }
    Ok(form_urlencoded::parse(bytes)
        .find(|(k, _)| k == field)
        .map(|(_, v)| v.into_owned()))
}

fn multipart_boundary(content_type: &str) -> Option<String> {
    content_type.split(';').skip(1).find_map(|param| {
        let (k, v) = param.split_once('=')?;
        (k.trim().eq_ignore_ascii_case("boundary")).then(|| v.trim().trim_matches('"').to_owned())
    })
}

/// A non-file field of a `multipart/form-data` body.
fn multipart_field(body: &[u8], boundary: &str, field: &str) -> Option<String> {
    let delimiter = format!("--{boundary}");
    let delimiter = delimiter.as_bytes();
    let mut parts = Vec::new();
    let mut rest = body;
    while let Some(at) = find(rest, delimiter) {
        parts.push(&rest[..at]);
        rest = &rest[at + delimiter.len()..];
    }
    for part in parts.into_iter().skip(1) {
        let part = part.strip_prefix(b"\r\n").unwrap_or(part);
        let Some(split) = find(part, b"\r\n\r\n") else {
            continue;
        };
        let head = String::from_utf8_lossy(&part[..split]);
        let content = &part[split + 4..];
        let content = content.strip_suffix(b"\r\n").unwrap_or(content);
        let disposition = head
            .lines()
            .find(|l| l.to_ascii_lowercase().starts_with("content-disposition:"))?;
        let mut name = None;
        let mut is_file = false;
        for param in disposition.split(';').skip(1) {
            if let Some((k, v)) = param.split_once('=') {
                match k.trim().to_ascii_lowercase().as_str() {
                    "name" => name = Some(v.trim().trim_matches('"').to_owned()),
                    "filename" => is_file = true,
                    _ => {}
                }
            }
        }
        if !is_file && name.as_deref() == Some(field) {
            return Some(String::from_utf8_lossy(content).into_owned());
        }
    }
    None
}

/// The first occurrence of `needle` in `haystack`, in time linear in both
/// (`memchr`'s two-way search). The boundary comes from the client: a naive
/// scan costs `body x boundary` on a body of dashes and a boundary of dashes,
/// seconds of CPU per request at the 1 MiB body limit.
fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    if needle.is_empty() {
        return None;
    }
    memchr::memmem::find(haystack, needle)
}

/// Builds the combined "missing" message of several locations:
/// `Missing JWT in a, b or c (m1; m2; m3)`.
pub(crate) fn combined_missing(locations: &[TokenLocation], messages: &[String]) -> String {
    match locations {
        [] => String::new(),
        [_] => messages.first().cloned().unwrap_or_default(),
        [init @ .., last] => {
            let start: Vec<&str> = init.iter().map(|l| l.as_str()).collect();
            format!(
                "Missing JWT in {} or {} ({})",
                start.join(", "),
                last.as_str(),
                messages.join("; ")
            )
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn first(header: &str, name: &str) -> Option<String> {
        find_cookie(header.as_bytes(), name.as_bytes())
            .map(|v| String::from_utf8_lossy(&v).into_owned())
    }

    #[test]
    fn whitespace_split_matches_the_char_split() {
        let samples = [
            "",
            " ",
            "Bearer abc.def.ghi",
            "  Bearer\t\tabc  ",
            "a\x0bb\x0cc\rd\ne\x1cf\x1fg",
            "a\x1bb",
            "Bearer\u{a0}tok",
            "Bearer\u{85}tok en",
            "Bearer\u{2003}tok\u{3000}",
            "é b",
        ];
        for s in samples {
            let ours: Vec<&str> = split_python_whitespace(s).collect();
            let chars: Vec<&str> = s.split(is_python_whitespace).collect();
            assert_eq!(ours, chars, "{s:?}");
        }
        for b in 0..=0x7fu8 {
            assert_eq!(
                is_ascii_python_whitespace(b),
                is_python_whitespace(char::from(b)),
                "{b:#x}"
            );
        }
        // The block scan, at every position and around block edges, with
        // non-whitespace control bytes in the way.
        for len in [0, 1, 15, 16, 17, 31, 32, 33, 300] {
            for at in 0..len {
                for (filler, hit) in [(b'x', b' '), (0x01, b'\t'), (0x1b, 0x1f)] {
                    let mut bytes = vec![b'a'; len];
                    if at > 0 {
                        bytes[at - 1] = filler;
                    }
                    bytes[at] = hit;
                    assert_eq!(find_ascii_python_whitespace(&bytes), Some(at));
                    bytes[at] = filler;
                    assert_eq!(find_ascii_python_whitespace(&bytes), None);
                }
            }
        }
    }

    #[test]
    fn cookies_parse_like_werkzeug() {
        assert_eq!(first("a=1; b=2", "b").as_deref(), Some("2"));
        assert_eq!(first("a=1; a=2", "a").as_deref(), Some("1"));
        assert_eq!(first("a = 1 ;b=2", "a").as_deref(), Some("1"));
        assert_eq!(first(r#"a="x\"y"; b=2"#, "a").as_deref(), Some("x\"y"));
        assert_eq!(first(r#"a="\101b""#, "a").as_deref(), Some("Ab"));
        assert_eq!(first("a=b=c", "a").as_deref(), Some("b=c"));
        assert_eq!(first("a", "a").as_deref(), Some(""));
        assert_eq!(first(";;; a=1", "a").as_deref(), Some("1"));
        assert_eq!(first("", "a"), None);
        assert_eq!(first("b=1", "a"), None);
    }

    #[test]
    fn cookie_parser_is_total() {
        let samples = [
            "\"",
            "a=\"",
            "a=\"\\",
            "=;=;",
            "a=\"x\" y;",
            "\\",
            ";",
            "a=;b",
            "\u{a0}a=1",
        ];
        for s in samples {
            let _ = find_cookie(s.as_bytes(), b"a");
        }
    }

    #[test]
    fn combined_message_format() {
        use TokenLocation::*;
        let msg = combined_missing(
            &[Headers, Cookies, QueryString, Json],
            &["a".into(), "b".into(), "c".into(), "d".into()],
        );
        assert_eq!(
            msg,
            "Missing JWT in headers, cookies, query_string or json (a; b; c; d)"
        );
        assert_eq!(
            combined_missing(&[Cookies, Headers], &["x".into(), "y".into()]),
            "Missing JWT in cookies or headers (x; y)"
        );
    }

    #[test]
    fn find_is_a_substring_search() {
        assert_eq!(find(b"hello world", b"world"), Some(6));
        assert_eq!(find(b"aaab", b"aab"), Some(1));
        assert_eq!(find(b"abababc", b"ababc"), Some(2));
        assert_eq!(find(b"abc", b"abcd"), None);
        assert_eq!(find(b"abc", b""), None);
        assert_eq!(find(b"", b"a"), None);
        assert_eq!(find(b"--XX\r\n", b"--XX"), Some(0));
        // Quadratic for a naive scan: a dash body and a dash boundary.
        let body = vec![b'-'; 1 << 20];
        let mut needle = vec![b'-'; 100_000];
        needle.push(b'x');
        let started = std::time::Instant::now();
        assert_eq!(find(&body, &needle), None);
        assert!(started.elapsed() < std::time::Duration::from_secs(2));
    }

    #[test]
    fn multipart_fields() {
        let body = b"--XX\r\nContent-Disposition: form-data; name=\"csrf_token\"\r\n\r\nabc\r\n--XX\r\nContent-Disposition: form-data; name=\"f\"; filename=\"a\"\r\n\r\nzzz\r\n--XX--\r\n";
        assert_eq!(
            multipart_field(body, "XX", "csrf_token").as_deref(),
            Some("abc")
        );
        assert_eq!(multipart_field(body, "XX", "f"), None);
        assert_eq!(
            multipart_boundary("multipart/form-data; boundary=\"XX\"").as_deref(),
            Some("XX")
        );
    }
}
