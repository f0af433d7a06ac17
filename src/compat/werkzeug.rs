//! Werkzeug's view of HTTP headers, as Flask applications see them: how a
//! WSGI server joins repeated headers and decodes them as Latin-1, how
//! Werkzeug's `parse_cookie` reads the `Cookie` header (including its quoted
//! values and escapes), and how it quotes a `Set-Cookie` value and path.
//!
//! Token lookup and the cookie helpers go through these functions so that a
//! request finds the same token here as in the reference, and a browser gets
//! the same `Set-Cookie` bytes.

use std::borrow::Cow;

use http::HeaderMap;

/// All values of a header joined with `", "`, as a WSGI server presents
/// repeated headers.
pub(crate) fn joined_header<'a>(
    headers: &'a HeaderMap,
    name: &http::HeaderName,
) -> Option<Cow<'a, [u8]>> {
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
pub(crate) fn latin1(bytes: &[u8]) -> Cow<'_, str> {
    if bytes.is_ascii() {
        // ASCII is valid UTF-8.
        Cow::Borrowed(std::str::from_utf8(bytes).unwrap_or_default())
    } else {
        Cow::Owned(bytes.iter().map(|b| char::from(*b)).collect())
    }
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
    let mut pos = 0;
    while pos <= header.len() {
        let (key, after_key) = scan_key(header, pos);
        let (value, after_value) = if byte_at(header, after_key) == b'=' {
            scan_value(header, after_key + 1)
        } else {
            (&[][..], after_key)
        };
        pos = skip_separator(header, after_value);
        let key = strip(key);
        if !key.is_empty() && key == name {
            return Some(cookie_value(value));
        }
    }
    None
}

/// The byte at `i`; positions past the end read as the `;` the parser
/// appends to the header.
fn byte_at(header: &[u8], i: usize) -> u8 {
    header.get(i).copied().unwrap_or(b';')
}

/// The key of the pair starting at `pos` (up to `=` or `;`), and where it
/// ends.
fn scan_key(header: &[u8], mut pos: usize) -> (&[u8], usize) {
    let len = header.len();
    let key_start = pos;
    while pos < len && !matches!(header[pos], b'=' | b';') {
        pos += 1;
    }
    (&header[key_start.min(len)..pos.min(len)], pos)
}

/// The value that starts after the `=` at `pos - 1`, and where it ends: a
/// quoted string when one closes before `\s*;`, else everything up to the
/// first `\s*;`.
fn scan_value(header: &[u8], mut pos: usize) -> (&[u8], usize) {
    let len = header.len();
    while pos < len && is_regex_space(header[pos]) {
        pos += 1;
    }
    let value_start = pos;
    let value_end = quoted_value_end(header, value_start)
        .unwrap_or_else(|| unquoted_value_end(header, value_start));
    (&header[value_start.min(len)..value_end.min(len)], value_end)
}

/// The end (past the closing quote) of a quoted value starting at `start`,
/// if the quotes close and only `\s*;` follows.
fn quoted_value_end(header: &[u8], start: usize) -> Option<usize> {
    let len = header.len();
    if !(start < len && header[start] == b'"') {
        return None;
    }
    let mut i = start + 1;
    while i < len {
        match header[i] {
            b'\\' if i + 1 < len && header[i + 1] != b'\n' => i += 2,
            b'"' => break,
            _ => i += 1,
        }
    }
    if i >= len {
        return None;
    }
    let mut j = i + 1;
    while j < len && is_regex_space(header[j]) {
        j += 1;
    }
    (byte_at(header, j) == b';').then_some(i + 1)
}

/// The regex's lazy `.*?` from `start` up to the first `\s*;`.
fn unquoted_value_end(header: &[u8], start: usize) -> usize {
    let len = header.len();
    let semi = header[start.min(len)..]
        .iter()
        .position(|b| *b == b';')
        .map_or(len, |p| start + p);
    let mut end = semi;
    while end > start && is_regex_space(header[end - 1]) {
        end -= 1;
    }
    end
}

/// Skips the separator `\s*;\s*` at `pos`.
fn skip_separator(header: &[u8], mut pos: usize) -> usize {
    let len = header.len();
    while pos < len && is_regex_space(header[pos]) {
        pos += 1;
    }
    pos += 1; // the ';'
    while pos < len && is_regex_space(header[pos]) {
        pos += 1;
    }
    pos
}

/// A value as Werkzeug hands it over: stripped, and unquoted when it is in
/// double quotes.
fn cookie_value(value: &[u8]) -> Cow<'_, [u8]> {
    let value = strip(value);
    if value.len() >= 2 && value[0] == b'"' && value[value.len() - 1] == b'"' {
        Cow::Owned(unslash(&value[1..value.len() - 1]))
    } else {
        Cow::Borrowed(value)
    }
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

/// Werkzeug quotes values with characters outside its no-quote set
/// (`\w` and ``!#$%&'()*+-./:<=>?@[]^`{|}~``) and slash-escapes the bytes
/// browsers would mangle. JWTs and UUIDs never need it.
pub(crate) fn quote_value(value: &str) -> String {
    let plain = value
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || b"_!#$%&'()*+-./:<=>?@[]^`{|}~".contains(&b));
    if plain {
        return value.to_owned();
    }
    let mut out = String::with_capacity(value.len() + 2);
    out.push('"');
    for b in value.bytes() {
        match b {
            b'"' => out.push_str("\\\""),
            b'\\' => out.push_str("\\\\"),
            0x00..=0x19 | b',' | b';' | 0x7f..=0xff => out.push_str(&format!("\\{b:03o}")),
            _ => out.push(char::from(b)),
        }
    }
    out.push('"');
    out
}

/// `urllib.parse.quote(path, safe="%!$&'()*+,/:=@")`.
pub(crate) fn quote_path(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    for b in path.bytes() {
        if b.is_ascii_alphanumeric() || b"_.-~%!$&'()*+,/:=@".contains(&b) {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn first(header: &str, name: &str) -> Option<String> {
        find_cookie(header.as_bytes(), name.as_bytes())
            .map(|v| String::from_utf8_lossy(&v).into_owned())
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
    fn quoting() {
        assert_eq!(quote_value("a b;"), "\"a b\\073\"");
        assert_eq!(quote_value("a=b/c(d)"), "a=b/c(d)");
        assert_eq!(quote_value("x\u{1a}\u{19}"), "\"x\u{1a}\\031\"");
        assert_eq!(quote_path("/a b"), "/a%20b");
    }
}
