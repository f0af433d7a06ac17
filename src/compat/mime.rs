//! Werkzeug's reading of a request body's type and form fields: the
//! mimetype (`request.mimetype`), `request.is_json`, whether the body is a
//! form that fills `request.form`, and the first value of a non-file field
//! of an urlencoded or `multipart/form-data` body.
//!
//! The reference only looks for a token in a JSON body when `is_json` holds,
//! and for a CSRF form field when the body is a form; these functions draw
//! the same lines.

use http::HeaderMap;

use super::werkzeug::latin1;

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

/// The first value of form field `field` in `body`, an urlencoded or
/// `multipart/form-data` body as the `Content-Type` in `headers` says.
pub(crate) fn form_field_in(headers: &HeaderMap, body: &[u8], field: &str) -> Option<String> {
    if mimetype(headers) == "multipart/form-data" {
        let boundary = headers
            .get(http::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .and_then(multipart_boundary);
        return boundary.and_then(|b| multipart_field(body, &b, field));
    }
    form_urlencoded::parse(body)
        .find(|(k, _)| k == field)
        .map(|(_, v)| v.into_owned())
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

#[cfg(test)]
mod tests {
    use super::*;

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
