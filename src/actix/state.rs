//! The per-request state of the actix glue: how a request finds its
//! manager, what the middleware leaves in the request extensions (the
//! buffered body), the verified-token cache, and the request view the core
//! reads (actix-web 4 speaks `http` 0.2; the core speaks `http` 1).

use actix_web::web::{Bytes, Data};
use actix_web::{HttpMessage, HttpRequest};
use http::{HeaderMap, HeaderName, HeaderValue, Method};

use crate::error::Error;
use crate::manager::{JwtManager, Verified, VerifyOptions};
use crate::request::{RequestBody, RequestParts};

/// The request body as [`JwtMiddleware`](super::JwtMiddleware) buffered it.
#[derive(Debug, Clone)]
pub(crate) enum BufferedBody {
    Complete(Bytes),
    TooLarge,
}

/// Results already computed for this request, one entry per set of
/// options, so that several extractors verify once.
#[derive(Default)]
pub(crate) struct VerifiedCache(Vec<(VerifyOptions, Option<Verified>)>);

impl VerifiedCache {
    pub(crate) fn get(request: &HttpRequest, options: &VerifyOptions) -> Option<Option<Verified>> {
        let extensions = request.extensions();
        let cache = extensions.get::<VerifiedCache>()?;
        cache
            .0
            .iter()
            .find(|(o, _)| o == options)
            .map(|(_, v)| v.clone())
    }

    /// The last successful verification of the request, if any (what an
    /// implicit refresh renews).
    pub(crate) fn last_verified(request: &HttpRequest) -> Option<Verified> {
        let extensions = request.extensions();
        let cache = extensions.get::<VerifiedCache>()?;
        cache.0.iter().rev().find_map(|(_, v)| v.clone())
    }

    pub(crate) fn insert(
        request: &HttpRequest,
        options: VerifyOptions,
        verified: Option<Verified>,
    ) {
        let mut extensions = request.extensions_mut();
        if extensions.get::<VerifiedCache>().is_none() {
            extensions.insert(VerifiedCache::default());
        }
        if let Some(cache) = extensions.get_mut::<VerifiedCache>() {
            match cache.0.iter_mut().find(|(o, _)| *o == options) {
                Some(entry) => entry.1 = verified,
                None => cache.0.push((options, verified)),
            }
        }
    }
}

/// The manager for this request, found as the built-in extractors find it:
/// the one a [`JwtMiddleware`](super::JwtMiddleware) put in the request
/// extensions, else the app data (`web::Data<JwtManager>`, or a plain
/// `JwtManager` registered with `App::app_data`). For custom extractors.
///
/// ```
/// use actix_web::{HttpRequest, HttpResponse};
/// use jwt_extended::actix::manager_for;
///
/// async fn message_key(request: HttpRequest) -> HttpResponse {
///     match manager_for(&request) {
///         Ok(manager) => HttpResponse::Ok().body(manager.config().error_message_key().to_owned()),
///         Err(_) => HttpResponse::InternalServerError().finish(),
///     }
/// }
/// ```
///
/// # Errors
/// [`ErrorKind::Misconfigured`](crate::ErrorKind::Misconfigured) when the
/// app registered no manager (a 500 whose log line names the fix).
pub fn manager_for(request: &HttpRequest) -> Result<JwtManager, Error> {
    if let Some(manager) = request.extensions().get::<JwtManager>() {
        return Ok(manager.clone());
    }
    request
        .app_data::<Data<JwtManager>>()
        .map(|data| data.get_ref().clone())
        .or_else(|| request.app_data::<JwtManager>().cloned())
        .ok_or_else(|| {
            Error::misconfigured(
                "no JwtManager for this request: register one with \
                 App::new().app_data(web::Data::new(manager)) or wrap the app in JwtMiddleware",
            )
        })
}

/// The request headers the core reads (see
/// `JwtManager::request_header_names`), as the core's `http` 1 types. The
/// others are not copied: a request pays for a handful of values, not for
/// all of its headers.
pub(crate) fn headers(request: &HttpRequest, manager: &JwtManager) -> HeaderMap {
    headers_named(request, &manager.request_header_names())
}

/// The values of the headers called `names` (lower case, as `http` keeps
/// them), in the request's order.
pub(crate) fn headers_named(request: &HttpRequest, names: &[&HeaderName]) -> HeaderMap {
    let mut map = HeaderMap::new();
    for (name, value) in request.headers() {
        let Some(name) = names.iter().find(|n| n.as_str() == name.as_str()) else {
            continue;
        };
        if let Ok(value) = HeaderValue::from_bytes(value.as_bytes()) {
            map.append((*name).clone(), value);
        }
    }
    map
}

/// The request's method as the core's `http` 1 type.
pub(crate) fn method(request: &HttpRequest) -> Method {
    Method::from_bytes(request.method().as_str().as_bytes()).unwrap_or_default()
}

/// The request as the core's types, owned, so that the view can outlive a
/// borrow of the request's extensions.
pub(crate) struct RequestView {
    method: Method,
    headers: HeaderMap,
    query: Option<String>,
    body: Option<BufferedBody>,
}

impl RequestView {
    pub(crate) fn of(request: &HttpRequest, manager: &JwtManager) -> Self {
        Self {
            method: method(request),
            headers: headers(request, manager),
            query: request.uri().query().map(str::to_owned),
            body: request.extensions().get::<BufferedBody>().cloned(),
        }
    }

    pub(crate) fn parts(&self) -> RequestParts<'_> {
        let body = match &self.body {
            Some(BufferedBody::Complete(bytes)) => RequestBody::Buffered(bytes),
            Some(BufferedBody::TooLarge) => RequestBody::TooLarge,
            None => RequestBody::NotBuffered,
        };
        RequestParts::new(&self.method, &self.headers, self.query.as_deref()).with_body(body)
    }
}
