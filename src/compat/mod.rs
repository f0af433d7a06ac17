//! Emulation of Python, Werkzeug and Flask behaviour, fenced off in one place.
//!
//! The crate is wire-compatible with Flask-JWT-Extended: the same token bytes,
//! the same error messages, the same cookies, the same JSON bodies. Much of
//! that depends on how Python and the libraries under the reference behave,
//! not on any JWT or HTTP standard. Everything of that kind lives here, so the
//! rest of the crate reads as plain Rust and a reader can tell at a glance
//! which rules exist only for compatibility.
//!
//! | File | Emulates | Why |
//! |---|---|---|
//! | [`json`] | `json.dumps(..., separators=(",", ":"))` and Flask's `jsonify` | a token made here has the bytes PyJWT makes; response bodies match Flask's |
//! | [`pyjson`] | the error texts of `json.loads` | a token with a broken header or payload gets the reference's message |
//! | [`python`] | truthiness, `int()`, `str()`/`repr()`, `str.isspace()` | claims and headers are accepted or refused where Python does |
//! | [`werkzeug`] | WSGI header joining, `parse_cookie`, `Set-Cookie` quoting | the same cookie is found, and the same `Set-Cookie` bytes are sent |
//! | [`mime`] | `request.mimetype`, `is_json`, form and multipart fields | the JSON body and CSRF form field are read when the reference reads them |
//!
//! These are hot paths (every request goes through the whitespace split and
//! the cookie parser): keep their fast paths when changing them.

pub(crate) mod json;
pub(crate) mod mime;
pub(crate) mod pyjson;
pub(crate) mod python;
pub(crate) mod werkzeug;
