//! Behaviour tests written once, run per framework: [`TestServer::start`]
//! serves the same small app on axum or on actix-web on a free port, and
//! tests send real HTTP requests to it (reqwest), looping over
//! [`FRAMEWORKS`].
//!
//! The app (the reference's test routes): `/protected` (access token,
//! `{"foo": "bar"}`), `/fresh_protected`, `/refresh_protected`,
//! `/any_protected` (`verify_type=False`), `/optional_protected`
//! (`{"foo": "bar"}` with a token, `{"foo": "baz"}` without) and `/whoami`
//! (`{"sub": <identity>}`), each for GET and POST.

use std::net::TcpListener;

use axum::http::{HeaderMap, StatusCode};
use jwt_extended::{JwtManager, JwtManagerBuilder};
use serde_json::{Value, json};

use super::TestResponse;

/// The web frameworks the crate integrates with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Framework {
    Axum,
    Actix,
}

/// Every framework, for `for framework in FRAMEWORKS { … }`.
pub const FRAMEWORKS: [Framework; 2] = [Framework::Axum, Framework::Actix];

impl Framework {
    /// Registers the reference's `unauthorized_loader` through this
    /// framework's builder extension, answering `status` with `body`.
    pub fn unauthorized_response(
        self,
        builder: JwtManagerBuilder,
        status: u16,
        body: Value,
    ) -> JwtManagerBuilder {
        match self {
            Framework::Axum => {
                use jwt_extended::axum::{FlaskJson, JwtManagerBuilderExt};
                let status = StatusCode::from_u16(status).unwrap_or(StatusCode::IM_A_TEAPOT);
                builder.unauthorized_loader(move |_message: &str| (status, FlaskJson(body.clone())))
            }
            Framework::Actix => {
                use actix_web::http::StatusCode as ActixStatus;
                use jwt_extended::actix::{FlaskJson, JwtManagerBuilderExt};
                let status = ActixStatus::from_u16(status).unwrap_or(ActixStatus::IM_A_TEAPOT);
                builder.unauthorized_loader(move |_message: &str| {
                    FlaskJson(body.clone()).with_status(status)
                })
            }
        }
    }
}

/// The test app, served on `127.0.0.1:<free port>` until dropped.
pub struct TestServer {
    pub framework: Framework,
    base: String,
    client: reqwest::Client,
    stop: Option<Box<dyn FnOnce() + Send>>,
}

impl Drop for TestServer {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            stop();
        }
    }
}

impl TestServer {
    /// Serves the test app with `manager` on `framework`.
    pub async fn start(framework: Framework, manager: JwtManager) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap_or_else(|e| panic!("bind: {e}"));
        let addr = listener
            .local_addr()
            .unwrap_or_else(|e| panic!("local_addr: {e}"));
        let stop = match framework {
            Framework::Axum => axum_app::serve(listener, manager),
            Framework::Actix => actix_app::serve(listener, manager),
        };
        Self {
            framework,
            base: format!("http://{addr}"),
            client: reqwest::Client::new(),
            stop: Some(stop),
        }
    }

    /// Sends `method uri` with raw header values (repeated names allowed,
    /// bytes outside ASCII kept as they are).
    pub async fn send(
        &self,
        method: &str,
        uri: &str,
        headers: &[(&str, &[u8])],
        body: Option<&[u8]>,
    ) -> TestResponse {
        let method = reqwest::Method::from_bytes(method.as_bytes())
            .unwrap_or_else(|e| panic!("method: {e}"));
        let mut map = reqwest::header::HeaderMap::new();
        for (name, value) in headers {
            let name = reqwest::header::HeaderName::from_bytes(name.as_bytes())
                .unwrap_or_else(|e| panic!("header name: {e}"));
            let value = reqwest::header::HeaderValue::from_bytes(value)
                .unwrap_or_else(|e| panic!("header value: {e}"));
            map.append(name, value);
        }
        let mut request = self
            .client
            .request(method, format!("{}{uri}", self.base))
            .headers(map);
        if let Some(body) = body {
            request = request.body(body.to_vec());
        }
        let response = request
            .send()
            .await
            .unwrap_or_else(|e| panic!("{:?}: request failed: {e}", self.framework));
        let status = response.status();
        let headers: HeaderMap = response.headers().clone();
        let body = response
            .bytes()
            .await
            .unwrap_or_else(|e| panic!("body: {e}"))
            .to_vec();
        TestResponse {
            status,
            headers,
            body,
        }
    }

    /// `GET uri` with text headers.
    pub async fn get(&self, uri: &str, headers: &[(&str, &str)]) -> TestResponse {
        let raw: Vec<(&str, &[u8])> = headers.iter().map(|(n, v)| (*n, v.as_bytes())).collect();
        self.send("GET", uri, &raw, None).await
    }
}

/// The optional route's answer.
fn optional_body(identity: Option<&Value>) -> Value {
    match identity {
        Some(_) => json!({"foo": "bar"}),
        None => json!({"foo": "baz"}),
    }
}

mod axum_app {
    use std::net::TcpListener;

    use axum::Router;
    use axum::routing::get;
    use jwt_extended::JwtManager;
    use jwt_extended::axum::{AnyType, FlaskJson, Fresh, Jwt, Refresh};
    use serde_json::{Value, json};

    fn foo_bar() -> FlaskJson<Value> {
        FlaskJson(json!({"foo": "bar"}))
    }

    fn app(manager: JwtManager) -> Router {
        Router::new()
            .route(
                "/protected",
                get(|_: Jwt| async { foo_bar() }).post(|_: Jwt| async { foo_bar() }),
            )
            .route(
                "/fresh_protected",
                get(|_: Jwt<Fresh>| async { foo_bar() }).post(|_: Jwt<Fresh>| async { foo_bar() }),
            )
            .route(
                "/refresh_protected",
                get(|_: Jwt<Refresh>| async { foo_bar() })
                    .post(|_: Jwt<Refresh>| async { foo_bar() }),
            )
            .route(
                "/any_protected",
                get(|_: Jwt<AnyType>| async { foo_bar() })
                    .post(|_: Jwt<AnyType>| async { foo_bar() }),
            )
            .route(
                "/optional_protected",
                get(|t: Option<Jwt>| async move {
                    FlaskJson(super::optional_body(t.as_ref().map(|t| t.identity())))
                })
                .post(|t: Option<Jwt>| async move {
                    FlaskJson(super::optional_body(t.as_ref().map(|t| t.identity())))
                }),
            )
            .route(
                "/whoami",
                get(|t: Jwt| async move { FlaskJson(json!({"sub": t.identity()})) }),
            )
            .layer(jwt_extended::axum::JwtLayer::new(manager.clone()))
            .with_state(manager)
    }

    pub(super) fn serve(listener: TcpListener, manager: JwtManager) -> Box<dyn FnOnce() + Send> {
        listener
            .set_nonblocking(true)
            .unwrap_or_else(|e| panic!("nonblocking: {e}"));
        let listener =
            tokio::net::TcpListener::from_std(listener).unwrap_or_else(|e| panic!("listener: {e}"));
        let task = tokio::spawn(async move {
            let _ = axum::serve(listener, app(manager)).await;
        });
        Box::new(move || task.abort())
    }
}

mod actix_app {
    use std::net::TcpListener;

    use actix_web::{App, HttpServer, web};
    use jwt_extended::JwtManager;
    use jwt_extended::actix::{AnyType, FlaskJson, Fresh, Jwt, JwtMiddleware, Optional, Refresh};
    use serde_json::{Value, json};

    async fn foo_bar() -> FlaskJson<Value> {
        FlaskJson(json!({"foo": "bar"}))
    }

    async fn optional(Optional(token): Optional<Jwt>) -> FlaskJson<Value> {
        FlaskJson(super::optional_body(token.as_ref().map(|t| t.identity())))
    }

    async fn whoami(token: Jwt) -> FlaskJson<Value> {
        FlaskJson(json!({"sub": token.identity()}))
    }

    fn routes(cfg: &mut web::ServiceConfig) {
        cfg.route("/protected", web::route().to(|_: Jwt| foo_bar()))
            .route(
                "/fresh_protected",
                web::route().to(|_: Jwt<Fresh>| foo_bar()),
            )
            .route(
                "/refresh_protected",
                web::route().to(|_: Jwt<Refresh>| foo_bar()),
            )
            .route(
                "/any_protected",
                web::route().to(|_: Jwt<AnyType>| foo_bar()),
            )
            .route("/optional_protected", web::route().to(optional))
            .route("/whoami", web::get().to(whoami));
    }

    pub(super) fn serve(listener: TcpListener, manager: JwtManager) -> Box<dyn FnOnce() + Send> {
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            actix_web::rt::System::new().block_on(async move {
                let data = web::Data::new(manager.clone());
                let server = HttpServer::new(move || {
                    App::new()
                        .app_data(data.clone())
                        .wrap(JwtMiddleware::new(manager.clone()))
                        .configure(routes)
                })
                .workers(1)
                .disable_signals()
                .listen(listener)
                .unwrap_or_else(|e| panic!("listen: {e}"))
                .run();
                let _ = tx.send(server.handle());
                let _ = server.await;
            });
        });
        let handle = rx
            .recv()
            .unwrap_or_else(|e| panic!("actix server did not start: {e}"));
        Box::new(move || {
            drop(handle.stop(false));
        })
    }
}
