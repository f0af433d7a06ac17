//! The `Authorization` header parser and everything behind it, through the
//! public request flow (`JwtManager::verify_request`).
//!
//! Input: one or more header values separated by `\n` (repeated headers are
//! joined with ", " like a WSGI server does). The first byte picks the
//! header configuration: the default (`Authorization: Bearer <JWT>`), an empty
//! header type (`Authorization: <JWT>`), or `X-Auth: JWT <JWT>`.
//!
//! Invariants: never accepted (no seed holds a token signed with the fuzz
//! secret), never a 5xx, never a panic, always an answer.
#![no_main]

use std::sync::LazyLock;

use http::{HeaderMap, HeaderName, HeaderValue, Method};
use jwt_extended::request::RequestParts;
use jwt_extended::{JwtConfig, JwtManager, VerifyOptions};
use jwt_extended_fuzz::{block_on, check_client_error, manager};
use libfuzzer_sys::fuzz_target;

static MANAGERS: LazyLock<[(HeaderName, JwtManager); 3]> = LazyLock::new(|| {
    [
        (http::header::AUTHORIZATION, manager(JwtConfig::new())),
        (
            http::header::AUTHORIZATION,
            manager(JwtConfig::new().with_header_type("")),
        ),
        (
            HeaderName::from_static("x-auth"),
            manager(
                JwtConfig::new()
                    .with_header_name("X-Auth")
                    .with_header_type("JWT"),
            ),
        ),
    ]
});

fuzz_target!(|data: &[u8]| {
    let Some((&selector, rest)) = data.split_first() else {
        return;
    };
    let (name, jwt) = &MANAGERS[usize::from(selector) % 3];
    let mut headers = HeaderMap::new();
    for value in rest.split(|b| *b == b'\n') {
        // What `http` refuses (control characters) never reaches us.
        if let Ok(value) = HeaderValue::from_bytes(value) {
            headers.append(name.clone(), value);
        }
    }
    let request = RequestParts::new(&Method::GET, &headers, None);
    match block_on(jwt.verify_request(&request, &VerifyOptions::new())) {
        Ok(verified) => panic!("accepted a token without the secret: {verified:?}"),
        Err(error) => check_client_error(&error),
    }
});
