//! A small cookie jar for the cookie, CSRF and location tests: it keeps what
//! `Set-Cookie` headers set, forgets what they delete, and parses attributes
//! the way the reference tests do (loosely, case-insensitive names).
#![allow(dead_code, unreachable_pub)]

use std::collections::BTreeMap;

use axum::http::Method;

use crate::common::{Target, TestResponse};

/// One parsed `Set-Cookie` line.
#[derive(Debug, Clone)]
pub struct ParsedCookie {
    pub name: String,
    pub value: String,
    /// Attribute names lower-cased; flags have no value.
    pub attrs: BTreeMap<String, Option<String>>,
    /// Attribute names in the order they were written.
    pub order: Vec<String>,
}

impl ParsedCookie {
    pub fn parse(line: &str) -> Self {
        let mut parts = line.split(';');
        let first = parts.next().unwrap_or_default();
        let (name, value) = first.split_once('=').unwrap_or((first, ""));
        let mut attrs = BTreeMap::new();
        let mut order = Vec::new();
        for part in parts {
            let part = part.trim();
            let (k, v) = match part.split_once('=') {
                Some((k, v)) => (k.trim(), Some(v.trim().to_owned())),
                None => (part, None),
            };
            order.push(k.to_owned());
            attrs.insert(k.to_ascii_lowercase(), v);
        }
        Self {
            name: name.trim().to_owned(),
            value: value.trim().to_owned(),
            attrs,
            order,
        }
    }

    pub fn has(&self, attr: &str) -> bool {
        self.attrs.contains_key(attr)
    }

    pub fn attr(&self, attr: &str) -> Option<&str> {
        self.attrs.get(attr).and_then(|v| v.as_deref())
    }

    /// Whether this line deletes the cookie (an `Expires` in 1970).
    pub fn is_deletion(&self) -> bool {
        self.attr("expires").is_some_and(|e| e.contains("1970"))
    }
}

/// All `Set-Cookie` lines of a response, parsed.
pub fn parsed(response: &TestResponse) -> Vec<ParsedCookie> {
    response
        .set_cookies()
        .iter()
        .map(|l| ParsedCookie::parse(l))
        .collect()
}

/// The parsed line for `name` (panics if absent).
#[track_caller]
pub fn cookie(response: &TestResponse, name: &str) -> ParsedCookie {
    parsed(response)
        .into_iter()
        .find(|c| c.name == name)
        .unwrap_or_else(|| panic!("no Set-Cookie for {name}: {:?}", response.set_cookies()))
}

/// A browser-ish client: one jar, requests through a router.
#[derive(Debug, Default, Clone)]
pub struct Client {
    pub jar: BTreeMap<String, String>,
}

impl Client {
    pub fn new() -> Self {
        Self::default()
    }

    /// Applies a response's `Set-Cookie` headers.
    pub fn absorb(&mut self, response: &TestResponse) {
        for c in parsed(response) {
            if c.is_deletion() {
                self.jar.remove(&c.name);
            } else {
                self.jar.insert(c.name, c.value);
            }
        }
    }

    pub fn get(&self, name: &str) -> Option<&str> {
        self.jar.get(name).map(String::as_str)
    }

    fn cookie_header(&self) -> Option<String> {
        if self.jar.is_empty() {
            return None;
        }
        Some(
            self.jar
                .iter()
                .map(|(k, v)| format!("{k}={v}"))
                .collect::<Vec<_>>()
                .join("; "),
        )
    }

    /// Sends a request with the jar's cookies and absorbs the answer.
    pub async fn send(
        &mut self,
        app: &impl Target,
        method: Method,
        uri: &str,
        headers: &[(&str, &str)],
        body: Option<(&str, Vec<u8>)>,
    ) -> TestResponse {
        let cookies = self.cookie_header();
        let mut raw: Vec<(&str, &[u8])> = Vec::new();
        if let Some(cookies) = &cookies {
            raw.push(("cookie", cookies.as_bytes()));
        }
        for (k, v) in headers {
            raw.push((k, v.as_bytes()));
        }
        if let Some((content_type, _)) = &body {
            raw.push(("content-type", content_type.as_bytes()));
        }
        let bytes = body.as_ref().map(|(_, b)| b.as_slice());
        let response = app.request(method.as_str(), uri, &raw, bytes).await;
        self.absorb(&response);
        response
    }

    pub async fn get_path(&mut self, app: &impl Target, uri: &str) -> TestResponse {
        self.send(app, Method::GET, uri, &[], None).await
    }

    pub async fn post_path(
        &mut self,
        app: &impl Target,
        uri: &str,
        headers: &[(&str, &str)],
    ) -> TestResponse {
        self.send(app, Method::POST, uri, headers, None).await
    }

    /// POST an urlencoded form.
    pub async fn post_form(
        &mut self,
        app: &impl Target,
        uri: &str,
        fields: &[(&str, &str)],
    ) -> TestResponse {
        let body = form_urlencoded(fields);
        self.send(
            app,
            Method::POST,
            uri,
            &[],
            Some(("application/x-www-form-urlencoded", body.into_bytes())),
        )
        .await
    }
}

pub fn form_urlencoded(fields: &[(&str, &str)]) -> String {
    fields
        .iter()
        .map(|(k, v)| format!("{}={}", encode(k), encode(v)))
        .collect::<Vec<_>>()
        .join("&")
}

fn encode(s: &str) -> String {
    s.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
                char::from(b).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

/// A `multipart/form-data` body with text fields: (content type, body).
pub fn multipart(fields: &[(&str, &str)]) -> (String, Vec<u8>) {
    let boundary = "----jwtextendedboundary7MA4YWxk";
    let mut body = Vec::new();
    for (name, value) in fields {
        body.extend_from_slice(
            format!(
                "--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n"
            )
            .as_bytes(),
        );
    }
    body.extend_from_slice(format!("--{boundary}--\r\n").as_bytes());
    (format!("multipart/form-data; boundary={boundary}"), body)
}
