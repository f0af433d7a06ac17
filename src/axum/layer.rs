//! Tower layers: [`JwtLayer`] (manager in the extensions, bounded body
//! buffering for the `json` location and CSRF form fields) and
//! [`RequireJwtLayer`] (protect a whole router).

use std::fmt;
use std::future::Future;
use std::marker::PhantomData;
use std::pin::Pin;
use std::task::{Context, Poll};

use axum_core::body::Body as AxumBody;
use axum_core::response::{IntoResponse, Response};
use bytes::{Bytes, BytesMut};
use http::{Method, Request};
use http_body::{Body as HttpBody, Frame, SizeHint};
use tower_layer::Layer;
use tower_service::Service;

use super::rejection::{JwtRejection, render_with_manager};
use super::state::{BufferedBody, VerifiedCache, request_parts};
use crate::manager::JwtManager;
use crate::requirement::{Access, Requirement, check};

pub use crate::request::{BufferJson, DEFAULT_BODY_LIMIT};

/// Puts the manager into each request's extensions and, when a token may be
/// in the body, buffers the body (up to a limit) so that extractors can read
/// it without consuming it: the handler still receives the whole body.
///
/// Needed for the `json` location and for `JWT_CSRF_CHECK_FORM`; optional
/// otherwise. A body larger than the limit is passed through untouched and a
/// token lookup in it answers 413.
///
/// A manager from this layer takes precedence over the one in the router
/// state, so one sub-router can use different settings (say, cookies for a
/// browser app and headers for an API).
///
/// Errors that handlers return with `?` (a [`JwtRejection`] made from an
/// [`Error`](crate::Error), say of a manual
/// [`decode_token`](JwtManager::decode_token)) get this manager's custom
/// responses and message key, like the extractors' errors; headers the
/// handler set beside the error are kept.
///
/// ```
/// use axum::{Router, routing::post};
/// use jwt_extended::{JwtConfig, JwtManager, config::TokenLocation, axum::{Jwt, JwtLayer}};
///
/// # fn build() -> Result<Router, Box<dyn std::error::Error>> {
/// let jwt = JwtManager::new(
///     JwtConfig::new()
///         .with_secret_key("secret")
///         .with_token_location([TokenLocation::Json]),
/// )?;
/// let app: Router = Router::new()
///     .route("/protected", post(|token: Jwt| async move { token.identity().to_string() }))
///     .layer(JwtLayer::new(jwt.clone()))
///     .with_state(jwt);
/// # Ok(app) }
/// ```
#[derive(Debug, Clone)]
pub struct JwtLayer {
    manager: JwtManager,
    limit: usize,
    json: BufferJson,
}

impl JwtLayer {
    /// A layer for this manager, with the default body limit.
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

    /// The manager this layer puts into the requests.
    ///
    /// ```
    /// use jwt_extended::{JwtConfig, JwtManager, axum::JwtLayer};
    ///
    /// let jwt = JwtManager::new(JwtConfig::new().with_secret_key("secret"))?;
    /// let layer = JwtLayer::new(jwt);
    /// assert_eq!(layer.manager().config().error_message_key(), "msg");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[must_use]
    pub fn manager(&self) -> &JwtManager {
        &self.manager
    }
}

impl<S> Layer<S> for JwtLayer {
    type Service = JwtService<S>;

    fn layer(&self, inner: S) -> Self::Service {
        JwtService {
            inner,
            layer: self.clone(),
        }
    }
}

/// The service of [`JwtLayer`], wrapping the inner service `S`.
///
/// Named `JwtService` rather than after tower's `XLayer`/`X` convention:
/// `Jwt` is the extractor, which handlers name far more often than anyone
/// names this type. [`RequireJwt`] and
/// [`ImplicitRefresh`](super::ImplicitRefresh) follow the convention.
///
/// ```
/// use jwt_extended::{JwtConfig, JwtManager, axum::{JwtLayer, JwtService}};
/// use tower::{Layer, service_fn};
///
/// let jwt = JwtManager::new(JwtConfig::new().with_secret_key("secret"))?;
/// let inner = service_fn(|_: axum::extract::Request| async {
///     Ok::<_, std::convert::Infallible>(axum::response::Response::new(axum::body::Body::empty()))
/// });
/// let mut service: JwtService<_> = JwtLayer::new(jwt).layer(inner);
/// let _inner = service.get_mut(); // also get_ref(), into_inner()
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone)]
pub struct JwtService<S> {
    inner: S,
    layer: JwtLayer,
}

impl<S> JwtService<S> {
    /// The inner service.
    pub fn get_ref(&self) -> &S {
        &self.inner
    }

    /// The inner service, mutably.
    pub fn get_mut(&mut self) -> &mut S {
        &mut self.inner
    }

    /// Consumes the service, returning the inner one.
    pub fn into_inner(self) -> S {
        self.inner
    }
}

impl JwtLayer {
    fn wants_body<B>(&self, request: &Request<B>) -> bool {
        self.manager
            .wants_body(request.method(), request.headers(), self.json)
    }
}

/// Reads a body up to `limit` bytes. Over the limit, returns the bytes read
/// so far and the rest of the body, to be passed on untouched.
async fn read_limited(mut body: AxumBody, limit: usize) -> Result<Bytes, (Bytes, AxumBody)> {
    let mut buffer = BytesMut::new();
    loop {
        let frame = std::future::poll_fn(|cx| Pin::new(&mut body).poll_frame(cx)).await;
        match frame {
            None => return Ok(buffer.freeze()),
            Some(Ok(frame)) => {
                if let Ok(data) = frame.into_data() {
                    buffer.extend_from_slice(&data);
                    if buffer.len() > limit {
                        return Err((buffer.freeze(), body));
                    }
                }
            }
            // A broken body (client gone): hand on what arrived; the handler
            // sees the same truncated body.
            Some(Err(_)) => return Ok(buffer.freeze()),
        }
    }
}

/// A body that yields already-read bytes, then the rest of the original.
struct PrefixedBody {
    prefix: Option<Bytes>,
    rest: AxumBody,
}

impl HttpBody for PrefixedBody {
    type Data = Bytes;
    type Error = axum_core::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Self::Data>, Self::Error>>> {
        if let Some(prefix) = self.prefix.take() {
            return Poll::Ready(Some(Ok(Frame::data(prefix))));
        }
        Pin::new(&mut self.rest).poll_frame(cx)
    }

    fn is_end_stream(&self) -> bool {
        self.prefix.is_none() && self.rest.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        let mut hint = self.rest.size_hint();
        if let Some(prefix) = &self.prefix {
            let extra = prefix.len() as u64;
            hint.set_lower(hint.lower() + extra);
            if let Some(upper) = hint.upper() {
                hint.set_upper(upper + extra);
            }
        }
        hint
    }
}

impl<S> Service<Request<AxumBody>> for JwtService<S>
where
    S: Service<Request<AxumBody>, Response = Response> + Clone + Send + 'static,
    S::Future: Send + 'static,
{
    type Response = Response;
    type Error = S::Error;
    type Future = Pin<Box<dyn Future<Output = Result<Response, S::Error>> + Send>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, mut request: Request<AxumBody>) -> Self::Future {
        let manager = self.layer.manager.clone();
        request.extensions_mut().insert(manager.clone());
        let clone = self.inner.clone();
        let mut inner = std::mem::replace(&mut self.inner, clone);
        if !self.layer.wants_body(&request) {
            let response = inner.call(request);
            return Box::pin(async move {
                let response = response.await?;
                Ok(render_with_manager(&manager, response))
            });
        }
        let limit = self.layer.limit;
        Box::pin(async move {
            let (mut parts, body) = request.into_parts();
            let declared = parts
                .headers
                .get(http::header::CONTENT_LENGTH)
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.parse::<u64>().ok());
            let body = if declared.is_some_and(|len| len > limit as u64) {
                parts.extensions.insert(BufferedBody::TooLarge);
                body
            } else {
                match read_limited(body, limit).await {
                    Ok(bytes) => {
                        parts
                            .extensions
                            .insert(BufferedBody::Complete(bytes.clone()));
                        AxumBody::from(bytes)
                    }
                    Err((prefix, rest)) => {
                        parts.extensions.insert(BufferedBody::TooLarge);
                        AxumBody::new(PrefixedBody {
                            prefix: Some(prefix),
                            rest,
                        })
                    }
                }
            };
            let response = inner.call(Request::from_parts(parts, body)).await?;
            Ok(render_with_manager(&manager, response))
        })
    }
}

/// Protects every route of a router with one [`Requirement`]: the route-layer
/// form of `@jwt_required(...)`. Guards included: `RequireJwtLayer<(Fresh,
/// Admin)>` (see [`Guard`](super::Guard)). `OPTIONS` requests pass through unchecked,
/// as in the reference, so handlers still answer them. Handlers behind the
/// layer can take [`Jwt<R>`](super::Jwt) for free: the result is cached.
///
/// ```
/// use axum::{Router, routing::get};
/// use jwt_extended::{JwtConfig, JwtManager, axum::{Fresh, RequireJwtLayer}};
///
/// # fn build() -> Result<Router, Box<dyn std::error::Error>> {
/// let jwt = JwtManager::new(JwtConfig::new().with_secret_key("secret"))?;
/// let admin: Router = Router::new()
///     .route("/admin/settings", get(|| async { "ok" }))
///     .route_layer(RequireJwtLayer::<Fresh>::new(jwt.clone()));
/// # Ok(admin) }
/// ```
pub struct RequireJwtLayer<R = Access> {
    manager: JwtManager,
    _requirement: PhantomData<fn() -> R>,
}

impl<R> RequireJwtLayer<R> {
    /// A layer requiring `R` with this manager.
    #[must_use]
    pub fn new(manager: JwtManager) -> Self {
        Self {
            manager,
            _requirement: PhantomData,
        }
    }

    /// The manager used when no [`JwtLayer`] put one in the request.
    ///
    /// ```
    /// use jwt_extended::{JwtConfig, JwtManager, axum::RequireJwtLayer};
    ///
    /// let jwt = JwtManager::new(JwtConfig::new().with_secret_key("secret"))?;
    /// let layer = RequireJwtLayer::<jwt_extended::axum::Access>::new(jwt);
    /// assert_eq!(layer.manager().config().error_message_key(), "msg");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[must_use]
    pub fn manager(&self) -> &JwtManager {
        &self.manager
    }
}

impl<R> Clone for RequireJwtLayer<R> {
    fn clone(&self) -> Self {
        Self::new(self.manager.clone())
    }
}

impl<R> fmt::Debug for RequireJwtLayer<R> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RequireJwtLayer")
            .field("requirement", &std::any::type_name::<R>())
            .finish_non_exhaustive()
    }
}

impl<S, R> Layer<S> for RequireJwtLayer<R> {
    type Service = RequireJwt<S, R>;

    fn layer(&self, inner: S) -> Self::Service {
        RequireJwt {
            inner,
            manager: self.manager.clone(),
            _requirement: PhantomData,
        }
    }
}

/// The service of [`RequireJwtLayer`], wrapping the inner service `S`.
///
/// It reads only the request's head (and the body a [`JwtLayer`] buffered
/// into the extensions, for the `json` location), so it takes any request
/// body type; the inner service must answer with axum's
/// [`Response`], the type of the rejections.
///
/// ```
/// use jwt_extended::{JwtConfig, JwtManager, axum::{Access, RequireJwt, RequireJwtLayer}};
/// use tower::{Layer, service_fn};
///
/// let jwt = JwtManager::new(JwtConfig::new().with_secret_key("secret"))?;
/// let inner = service_fn(|_: axum::http::Request<String>| async {
///     Ok::<_, std::convert::Infallible>(axum::response::Response::new(axum::body::Body::empty()))
/// });
/// let service: RequireJwt<_, Access> = RequireJwtLayer::new(jwt).layer(inner);
/// let _inner = service.into_inner(); // also get_ref(), get_mut()
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub struct RequireJwt<S, R = Access> {
    inner: S,
    manager: JwtManager,
    _requirement: PhantomData<fn() -> R>,
}

impl<S, R> RequireJwt<S, R> {
    /// The inner service.
    pub fn get_ref(&self) -> &S {
        &self.inner
    }

    /// The inner service, mutably.
    pub fn get_mut(&mut self) -> &mut S {
        &mut self.inner
    }

    /// Consumes the service, returning the inner one.
    pub fn into_inner(self) -> S {
        self.inner
    }
}

impl<S: Clone, R> Clone for RequireJwt<S, R> {
    fn clone(&self) -> Self {
        Self {
            inner: self.inner.clone(),
            manager: self.manager.clone(),
            _requirement: PhantomData,
        }
    }
}

impl<S, R> fmt::Debug for RequireJwt<S, R> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RequireJwt")
            .field("requirement", &std::any::type_name::<R>())
            .finish_non_exhaustive()
    }
}

impl<S, R, B> Service<Request<B>> for RequireJwt<S, R>
where
    S: Service<Request<B>, Response = Response> + Clone + Send + 'static,
    S::Future: Send + 'static,
    R: Requirement,
    B: Send + 'static,
{
    type Response = Response;
    type Error = S::Error;
    type Future = Pin<Box<dyn Future<Output = Result<Response, S::Error>> + Send>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: Request<B>) -> Self::Future {
        let clone = self.inner.clone();
        let mut inner = std::mem::replace(&mut self.inner, clone);
        if request.method() == Method::OPTIONS {
            return Box::pin(inner.call(request));
        }
        let manager = request
            .extensions()
            .get::<JwtManager>()
            .cloned()
            .unwrap_or_else(|| self.manager.clone());
        Box::pin(async move {
            let (mut parts, body) = request.into_parts();
            let options = R::OPTIONS.optional(false);
            let outcome = manager
                .verify_request(&request_parts(&parts), &options)
                .await;
            match outcome {
                Ok(verified) => {
                    let checked = verified.as_ref().map_or(Ok(()), check::<R>);
                    VerifiedCache::insert(&mut parts.extensions, options, verified);
                    match checked {
                        Ok(()) => inner.call(Request::from_parts(parts, body)).await,
                        Err(error) => Ok(JwtRejection::new(error, &manager).into_response()),
                    }
                }
                Err(error) => Ok(JwtRejection::new(error, &manager).into_response()),
            }
        })
    }
}
