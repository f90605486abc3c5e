//! The HTTP adapter: hyper on a TCP listener; routing is the shared [`App`](crate::app::App)'s.

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
use tokio::net::TcpListener;

pub use crate::app::{App, Mode};

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
