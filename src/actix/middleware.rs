//! [`JwtMiddleware`]: the manager in the request extensions and bounded
//! body buffering for the `json` location and CSRF form fields.

use std::future::{Future, Ready, ready};
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll};

use actix_web::dev::{Payload, Service, ServiceRequest, ServiceResponse, Transform};
use actix_web::error::PayloadError;
use actix_web::web::{Bytes, BytesMut};
use actix_web::{Error as ActixError, HttpMessage};
use futures_core::Stream;

use super::state::{BufferedBody, headers_named, method};
use crate::manager::JwtManager;
use crate::request::{BufferJson, DEFAULT_BODY_LIMIT};

/// Puts the manager into each request's extensions and, when a token may be
/// in the body, buffers the body (up to a limit, [`DEFAULT_BODY_LIMIT`] by
/// default, as axum's `JwtLayer`) so that extractors can read it while the
/// handler still receives the whole body. Needed for the `json` location
/// and `JWT_CSRF_CHECK_FORM`. A larger body is passed through untouched and
/// a token lookup in it answers 413.
///
/// A manager from the middleware takes precedence over the app data.
///
/// ```
/// use actix_web::{App, web};
/// use jwt_extended::{JwtConfig, JwtManager, config::TokenLocation, actix::{Jwt, JwtMiddleware}};
///
/// # fn build() -> Result<(), Box<dyn std::error::Error>> {
/// let jwt = JwtManager::new(
///     JwtConfig::new().with_secret_key("secret").with_token_location([TokenLocation::Json]),
/// )?;
/// let app = App::new()
///     .wrap(JwtMiddleware::new(jwt))
///     .route("/protected", web::post().to(|token: Jwt| async move { token.identity().to_string() }));
/// # Ok(()) }
/// ```
#[derive(Debug, Clone)]
pub struct JwtMiddleware {
    manager: JwtManager,
    limit: usize,
    json: BufferJson,
}

impl JwtMiddleware {
    /// The middleware for this manager, with the default body limit.
    #[must_use]
    pub fn new(manager: JwtManager) -> Self {
        Self {
            manager,
            limit: DEFAULT_BODY_LIMIT,
            json: BufferJson::default(),
        }
    }

    /// The largest body buffered (default [`DEFAULT_BODY_LIMIT`]).
    #[must_use]
    pub fn body_limit(mut self, bytes: usize) -> Self {
        self.limit = bytes;
        self
    }

    /// When JSON bodies are buffered.
    #[must_use]
    pub fn buffer_json(mut self, when: BufferJson) -> Self {
        self.json = when;
        self
    }

    /// The manager this middleware puts into the requests.
    #[must_use]
    pub fn manager(&self) -> &JwtManager {
        &self.manager
    }
}

impl<S, B> Transform<S, ServiceRequest> for JwtMiddleware
where
    S: Service<ServiceRequest, Response = ServiceResponse<B>, Error = ActixError> + 'static,
    B: 'static,
{
    type Response = ServiceResponse<B>;
    type Error = ActixError;
    type Transform = JwtMiddlewareService<S>;
    type InitError = ();
    type Future = Ready<Result<Self::Transform, ()>>;

    fn new_transform(&self, service: S) -> Self::Future {
        ready(Ok(JwtMiddlewareService {
            service: Rc::new(service),
            config: self.clone(),
        }))
    }
}

/// The service of [`JwtMiddleware`], wrapping the inner service `S`.
#[derive(Debug)]
pub struct JwtMiddlewareService<S> {
    service: Rc<S>,
    config: JwtMiddleware,
}

type LocalResponse<B> = Pin<Box<dyn Future<Output = Result<ServiceResponse<B>, ActixError>>>>;

impl<S, B> Service<ServiceRequest> for JwtMiddlewareService<S>
where
    S: Service<ServiceRequest, Response = ServiceResponse<B>, Error = ActixError> + 'static,
    B: 'static,
{
    type Response = ServiceResponse<B>;
    type Error = ActixError;
    type Future = LocalResponse<B>;

    actix_web::dev::forward_ready!(service);

    fn call(&self, request: ServiceRequest) -> Self::Future {
        request.extensions_mut().insert(self.config.manager.clone());
        let wants_body = self.config.manager.wants_body(
            &method(request.request()),
            &headers_named(request.request(), &[&http::header::CONTENT_TYPE]),
            self.config.json,
        );
        if !wants_body {
            return Box::pin(self.service.call(request));
        }
        let service = Rc::clone(&self.service);
        let limit = self.config.limit;
        Box::pin(async move {
            let request = buffer(request, limit).await;
            service.call(request).await
        })
    }
}

/// Buffers the body into the request extensions and hands the handler the
/// same bytes (or, over the limit, the bytes read and the rest, untouched).
async fn buffer(mut request: ServiceRequest, limit: usize) -> ServiceRequest {
    let declared = request
        .headers()
        .get(actix_web::http::header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|len| len > limit as u64) {
        request.extensions_mut().insert(BufferedBody::TooLarge);
        return request;
    }
    let payload = request.take_payload();
    match read_limited(payload, limit).await {
        Ok(bytes) => {
            request
                .extensions_mut()
                .insert(BufferedBody::Complete(bytes.clone()));
            request.set_payload(Payload::from(bytes));
        }
        Err((prefix, rest)) => {
            request.extensions_mut().insert(BufferedBody::TooLarge);
            let stream: Pin<Box<dyn Stream<Item = Result<Bytes, PayloadError>>>> =
                Box::pin(Prefixed {
                    prefix: Some(prefix),
                    rest,
                });
            request.set_payload(Payload::from(stream));
        }
    }
    request
}

/// Reads a payload up to `limit` bytes; over it, the bytes read so far and
/// the rest of the payload.
async fn read_limited(mut payload: Payload, limit: usize) -> Result<Bytes, (Bytes, Payload)> {
    let mut buffer = BytesMut::new();
    loop {
        match std::future::poll_fn(|cx| Pin::new(&mut payload).poll_next(cx)).await {
            None => return Ok(buffer.freeze()),
            Some(Ok(chunk)) => {
                buffer.extend_from_slice(&chunk);
                if buffer.len() > limit {
                    return Err((buffer.freeze(), payload));
                }
            }
            // A broken body (client gone): hand on what arrived.
            Some(Err(_)) => return Ok(buffer.freeze()),
        }
    }
}

/// Already-read bytes, then the rest of the original payload.
struct Prefixed {
    prefix: Option<Bytes>,
    rest: Payload,
}

impl Stream for Prefixed {
    type Item = Result<Bytes, PayloadError>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        if let Some(prefix) = self.prefix.take() {
            return Poll::Ready(Some(Ok(prefix)));
        }
        Pin::new(&mut self.rest).poll_next(cx)
    }
}
