//! The HTTP adapter: hyper on a TCP listener, serving every function or the one a deployment names.

use std::convert::Infallible;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http::{Request, Response, StatusCode};
use http_body_util::{BodyExt, Full, Limited};
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use scalelite_shared::api::{ApiRequest, ApiResponse};
use scalelite_shared::bbb::error::ApiError;
use tokio::net::TcpListener;

use crate::Ctx;
use crate::registry::{self, Function};

/// Probes a single-function deployment answers besides its function (Knative and OpenFaaS).
const PROBES: &[&str] = &["live", "ready"];

/// Which functions a process serves.
#[derive(Clone, Copy)]
pub enum Mode {
    /// Every function, routed by path (the local runtime, an "all verbs" service).
    All,
    /// One function whatever the path (a per-verb Knative service, an OpenFaaS function, a Lambda).
    One(&'static Function),
}

/// A served application: the shared context and the functions it exposes.
pub struct App {
    pub ctx: Arc<Ctx>,
    pub mode: Mode,
}

impl App {
    /// The function that serves `path`: routed by path, or the deployment's one function (or a probe).
    pub fn route(&self, path: &str) -> Option<&'static Function> {
        match self.mode {
            Mode::All => registry::route(path),
            Mode::One(function) => {
                let probe =
                    PROBES.iter().filter_map(|name| registry::find(name)).find(|probe| probe.serves_exactly(path));
                Some(probe.unwrap_or(function))
            }
        }
    }

    /// Answers one request; a path no function serves is `unsupportedRequest`.
    pub async fn handle(&self, req: ApiRequest) -> ApiResponse {
        match self.route(&req.path) {
            Some(function) => registry::call(&self.ctx, function, req).await,
            None => ApiError::UnsupportedRequest.into(),
        }
    }

    /// The refusal of an upload whose token does not pass, answered before its (large) body is read.
    async fn refuse_before_body(&self, parts: &http::request::Parts) -> Option<ApiResponse> {
        let function = self.route(parts.uri.path())?;
        if function.name != registry::UPLOAD_RECORDING || !function.methods.contains(&parts.method) {
            return None;
        }
        crate::recordings::upload::authenticate(&self.ctx, &parts.headers).await.err()
    }

    /// The largest body a request to `path` may carry.
    fn body_limit(&self, path: &str) -> usize {
        let config = &self.ctx.config;
        self.route(path).map_or(config.max_body_bytes, |function| function.body_limit(config))
    }
}

/// Turns a handler's answer into a hyper response.
pub fn to_http(response: ApiResponse) -> Response<Full<Bytes>> {
    let mut http = Response::new(Full::new(response.body));
    *http.status_mut() = response.status;
    *http.headers_mut() = response.headers;
    http
}

async fn respond(app: &App, req: Request<Incoming>) -> Response<Full<Bytes>> {
    let (parts, body) = req.into_parts();
    if let Some(refusal) = app.refuse_before_body(&parts).await {
        return to_http(refusal);
    }
    let body = match Limited::new(body, app.body_limit(parts.uri.path())).collect().await {
        Ok(collected) => collected.to_bytes(),
        Err(_) => {
            return to_http(ApiResponse::json(StatusCode::PAYLOAD_TOO_LARGE, r#"{"error":"request body too large"}"#));
        }
    };
    let request = ApiRequest {
        method: parts.method,
        path: parts.uri.path().to_owned(),
        raw_query: parts.uri.query().unwrap_or_default().to_owned(),
        headers: parts.headers,
        body,
    };
    to_http(app.handle(request).await)
}

/// Serves `app` on `listener` until the task is dropped.
pub async fn serve(listener: TcpListener, app: Arc<App>) {
    loop {
        let stream = match listener.accept().await {
            Ok((stream, _)) => stream,
            Err(error) => {
                tracing::warn!(%error, "accept failed");
                tokio::time::sleep(Duration::from_millis(50)).await;
                continue;
            }
        };
        let _ = stream.set_nodelay(true);
        let app = app.clone();
        tokio::spawn(async move {
            let service = service_fn(|req| {
                let app = app.clone();
                async move { Ok::<_, Infallible>(respond(&app, req).await) }
            });
            if let Err(error) = http1::Builder::new().serve_connection(TokioIo::new(stream), service).await {
                tracing::debug!(%error, "connection closed with an error");
            }
        });
    }
}
