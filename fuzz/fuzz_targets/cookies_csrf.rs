//! Cookie lookup (Werkzeug's `Cookie` parser) and CSRF double-submit
//! checking, including form and multipart CSRF fields.
//!
//! Input, split on 0x00: `[method][flags]`, cookie header, CSRF header,
//! content type, body. In the cookie header each 0x01 byte is replaced by a
//! valid token made at start-up (never expires, has a `csrf` claim), and in
//! the CSRF header and body each 0x01 by that token's CSRF value, so the
//! fuzzer can build requests that pass.
//!
//! Invariants: never a panic or a 5xx; only the start-up token is ever
//! accepted; on a CSRF-protected method it is accepted only when the request
//! carried its CSRF value in the header or the body (no CSRF bypass).
#![no_main]

use std::sync::LazyLock;

use http::{HeaderMap, HeaderValue, Method};
use jwt_extended::config::{Expiry, TokenLocation};
use jwt_extended::request::{RequestBody, RequestParts};
use jwt_extended::{JwtConfig, JwtManager, VerifyOptions};
use jwt_extended_fuzz::{block_on, check_client_error, manager, split_n};
use libfuzzer_sys::fuzz_target;

struct Fixture {
    jwt: JwtManager,
    access: String,
    refresh: String,
    access_csrf: String,
    refresh_csrf: String,
}

static FIXTURE: LazyLock<Fixture> = LazyLock::new(|| {
    let jwt = manager(
        JwtConfig::new()
            .with_token_location([TokenLocation::Cookies])
            .with_csrf_check_form(true)
            .with_access_token_expires(Expiry::Never)
            .with_refresh_token_expires(Expiry::Never),
    );
    let access = jwt.create_access_token("fuzz").unwrap_or_default();
    let refresh = jwt.create_refresh_token("fuzz").unwrap_or_default();
    let access_csrf = block_on(jwt.decode_csrf_token(&access)).unwrap_or_default();
    let refresh_csrf = block_on(jwt.decode_csrf_token(&refresh)).unwrap_or_default();
    Fixture {
        jwt,
        access,
        refresh,
        access_csrf,
        refresh_csrf,
    }
});

const METHODS: [Method; 5] = [
    Method::GET,
    Method::POST,
    Method::PUT,
    Method::DELETE,
    Method::HEAD,
];

fn expand(template: &[u8], with: &str) -> Vec<u8> {
    let mut out = Vec::with_capacity(template.len() + with.len());
    for &b in template {
        if b == 1 {
            out.extend_from_slice(with.as_bytes());
        } else {
            out.push(b);
        }
    }
    out
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    !needle.is_empty() && haystack.windows(needle.len()).any(|w| w == needle)
}

fuzz_target!(|data: &[u8]| {
    let fixture = &*FIXTURE;
    let [method, flags, rest @ ..] = data else {
        return;
    };
    let method = &METHODS[usize::from(*method) % METHODS.len()];
    let refresh = flags & 1 != 0;
    let (token, csrf) = if refresh {
        (&fixture.refresh, &fixture.refresh_csrf)
    } else {
        (&fixture.access, &fixture.access_csrf)
    };
    let parts = split_n(rest, 0, 4);
    let part = |i: usize| parts.get(i).copied().unwrap_or_default();
    let mut headers = HeaderMap::new();
    for cookie in expand(part(0), token).split(|b| *b == b'\n') {
        if let Ok(value) = HeaderValue::from_bytes(cookie) {
            headers.append(http::header::COOKIE, value);
        }
    }
    let csrf_header = expand(part(1), csrf);
    if flags & 2 != 0 {
        if let Ok(value) = HeaderValue::from_bytes(&csrf_header) {
            headers.append("x-csrf-token", value);
        }
    }
    if let Ok(value) = HeaderValue::from_bytes(part(2)) {
        headers.insert(http::header::CONTENT_TYPE, value);
    }
    let body = expand(part(3), csrf);
    let body = if flags & 4 != 0 {
        RequestBody::TooLarge
    } else {
        RequestBody::Buffered(&body)
    };
    let request = RequestParts::new(method, &headers, None).with_body(body);
    let options = VerifyOptions::new().refresh(refresh);
    match block_on(fixture.jwt.verify_request(&request, &options)) {
        Err(error) => check_client_error(&error),
        Ok(None) => panic!("a required token was waived"),
        Ok(Some(verified)) => {
            let expected = if refresh {
                &fixture.refresh
            } else {
                &fixture.access
            };
            // The signature segment may carry `=` padding: the same token to
            // PyJWT and to us (the signed text is unchanged).
            assert_eq!(
                verified.encoded().trim_end_matches('='),
                expected.as_str(),
                "accepted a foreign token"
            );
            let protected = method != Method::GET && method != Method::HEAD;
            if protected {
                let in_header = flags & 2 != 0 && contains(&csrf_header, csrf.as_bytes());
                let in_body = matches!(body, RequestBody::Buffered(b) if contains(b, csrf.as_bytes()));
                assert!(
                    in_header || in_body,
                    "CSRF-protected {method} accepted without the CSRF value"
                );
            }
        }
    }
});
