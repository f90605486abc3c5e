//! The HTTP adapter: hyper on a TCP listener, guarded against slow and numerous clients and drained on
//! SIGTERM; routing is the shared [`App`](crate::runtime::app::App)'s.

use std::convert::Infallible;
use std::sync::Arc;
use std::time::Duration;

use bytes::{Bytes, BytesMut};
use futures::StreamExt;
use http::{Request, Response};
use http_body_util::{BodyExt, Full, LengthLimitError, Limited};
use hyper::body::{Body, Incoming};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use scalelite_shared::api::{ApiRequest, ApiResponse, BodyError, BodyStream, StreamedBody};
use tokio::net::TcpListener;
use tokio::sync::Semaphore;

use crate::runtime::app::{App, BodyPolicy};

/// Turns a handler's answer into a hyper response.
pub fn to_http(response: ApiResponse) -> Response<Full<Bytes>> {
    let mut http = Response::new(Full::new(response.body));
    *http.status_mut() = response.status;
    *http.headers_mut() = response.headers;
    http
}

/// A body's pieces as they arrive, up to `limit` bytes in all; a body that pauses longer than `pause` between
/// two pieces is given up.
fn body_pieces(body: Incoming, limit: usize, pause: Duration) -> BodyStream {
    let pieces = futures::stream::unfold(Some(Limited::new(body, limit)), move |body| async move {
        let mut body = body?;
        let piece = loop {
            match tokio::time::timeout(pause, body.frame()).await {
                Err(_) => break Err(BodyError::Stalled),
                Ok(None) => return None,
                Ok(Some(Ok(frame))) => match frame.into_data() {
                    Ok(data) => break Ok(data),
                    Err(_trailers) => continue,
                },
                Ok(Some(Err(error))) if error.is::<LengthLimitError>() => break Err(BodyError::TooLarge),
                Ok(Some(Err(_))) => break Err(BodyError::Broken),
            }
        };
        let rest = piece.is_ok().then_some(body);
        Some((piece, rest))
    });
    pieces.boxed()
}

/// The whole body, gathered from its pieces.
async fn read_body(mut pieces: BodyStream) -> Result<Bytes, BodyError> {
    let mut collected = BytesMut::new();
    while let Some(piece) = pieces.next().await {
        collected.extend_from_slice(&piece?);
    }
    Ok(collected.freeze())
}

/// The JSON refusal of a body.
fn refused_body(error: BodyError) -> ApiResponse {
    ApiResponse::json(error.status(), serde_json::json!({ "error": error.to_string() }).to_string())
}

async fn respond(app: &App, req: Request<Incoming>) -> Response<Full<Bytes>> {
    let (parts, body) = req.into_parts();
    if let Some(refusal) = app.refuse_before_body(&parts).await {
        return to_http(refusal);
    }
    let pause = app.ctx.config.http.body_timeout;
    let BodyPolicy { limit, streamed: streams } = app.body_policy(&parts);
    let announced = parts.headers.get(http::header::CONTENT_LENGTH).and_then(|v| v.to_str().ok()?.parse::<u64>().ok());
    let mut streamed = StreamedBody::default();
    let body = if announced.is_some_and(|length| length > limit as u64) {
        Err(BodyError::TooLarge)
    } else if body.is_end_stream() {
        // A GET's empty body: nothing to wait for.
        Ok(Bytes::new())
    } else if streams {
        streamed = StreamedBody::new(body_pieces(body, limit, pause));
        Ok(Bytes::new())
    } else {
        read_body(body_pieces(body, limit, pause)).await
    };
    let body = match body {
        Ok(body) => body,
        Err(error) => {
            let mut response = to_http(refused_body(error));
            response.headers_mut().insert(http::header::CONNECTION, http::HeaderValue::from_static("close"));
            return response;
        }
    };
    let request = ApiRequest {
        method: parts.method,
        path: parts.uri.path().to_owned(),
        raw_query: parts.uri.query().unwrap_or_default().to_owned(),
        headers: parts.headers,
        body,
        streamed,
    };
    to_http(app.handle(request).await)
}

/// How many connections to serve at once: the configured number, but never so many that the open-file limit
/// (raised to its hard limit first) runs out; the rest of the files are left to stores and BBB calls.
fn connection_slots(configured: usize) -> usize {
    let open_files = rlimit::increase_nofile_limit(u64::MAX).unwrap_or(1024);
    let affordable = usize::try_from(open_files / 2).unwrap_or(usize::MAX);
    configured.min(affordable).max(1)
}

/// Resolves when the process is asked to stop (SIGTERM, as Kubernetes and Knative send, or Ctrl-C).
pub async fn stop_requested() {
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    tokio::select! {
        _ = terminate => {}
        _ = tokio::signal::ctrl_c() => {}
    }
}

/// Serves `app` on `listener` until the process is asked to stop, then drains.
pub async fn serve(listener: TcpListener, app: Arc<App>) {
    serve_until(listener, app, stop_requested()).await;
}

/// Serves `app` on `listener` until `stop` resolves: headers must arrive within `HTTP_HEADER_TIMEOUT`,
/// at most `HTTP_MAX_CONNECTIONS` connections are served at once (more wait in the listen queue), and on
/// `stop` no new connection is taken while in-flight requests get `SHUTDOWN_DRAIN_TIMEOUT` to finish.
pub async fn serve_until(listener: TcpListener, app: Arc<App>, stop: impl Future<Output = ()>) {
    let limits = app.ctx.config.http;
    let slots = Arc::new(Semaphore::new(connection_slots(limits.max_connections)));
    let graceful = GracefulShutdown::new();
    let mut builder = http1::Builder::new();
    builder.timer(TokioTimer::new()).header_read_timeout(limits.header_timeout);
    tokio::pin!(stop);
    loop {
        let accepted = tokio::select! {
            () = &mut stop => break,
            slot = slots.clone().acquire_owned() => match slot {
                Ok(slot) => tokio::select! {
                    () = &mut stop => break,
                    accepted = listener.accept() => accepted.map(|(stream, _)| (stream, slot)),
                },
                Err(_) => break,
            },
        };
        let (stream, slot) = match accepted {
            Ok(accepted) => accepted,
            Err(error) => {
                tracing::warn!(%error, "accept failed");
                tokio::time::sleep(Duration::from_millis(50)).await;
                continue;
            }
        };
        let _ = stream.set_nodelay(true);
        let app = app.clone();
        let service = service_fn(move |req| {
            let app = app.clone();
            async move { Ok::<_, Infallible>(respond(&app, req).await) }
        });
        let connection = graceful.watch(builder.serve_connection(TokioIo::new(stream), service));
        tokio::spawn(async move {
            if let Err(error) = connection.await {
                tracing::debug!(%error, "connection closed with an error");
            }
            drop(slot);
        });
    }
    drop(listener);
    tracing::info!("stopping: no new connections; draining the requests in flight");
    if tokio::time::timeout(limits.drain_timeout, graceful.shutdown()).await.is_err() {
        tracing::warn!("requests still in flight after the drain timeout; stopping anyway");
    }
}
