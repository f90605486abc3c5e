//! The AWS Lambda adapter. Only API Gateway HTTP API (payload 2.0) and Function URLs keep the raw query
//! string that checksums are computed over; REST API (payload 1.0) and ALB events re-order and re-encode it,
//! so they are answered with a clear error instead of failing every checksum.

use std::convert::Infallible;
use std::sync::Arc;

use bytes::Bytes;
use lambda_http::request::RequestContext;
use lambda_http::{Body, Request, RequestExt, Response};
use scalelite_shared::api::{ApiRequest, ApiResponse, StreamedBody};
use scalelite_shared::bbb::error::ApiError;

use crate::runtime::app::App;

/// A Lambda request as a handler sees it.
pub fn from_lambda(req: Request) -> ApiRequest {
    let (parts, body) = req.into_parts();
    ApiRequest {
        method: parts.method,
        path: parts.uri.path().to_owned(),
        raw_query: parts.uri.query().unwrap_or_default().to_owned(),
        headers: parts.headers,
        body: Bytes::copy_from_slice(body.as_ref()),
        streamed: StreamedBody::default(),
    }
}

/// A handler's answer as Lambda returns it.
pub fn to_lambda(response: ApiResponse) -> Response<Body> {
    let body = match String::from_utf8(response.body.to_vec()) {
        Ok(text) if text.is_empty() => Body::Empty,
        Ok(text) => Body::Text(text),
        Err(bytes) => Body::Binary(bytes.into_bytes()),
    };
    let mut lambda = Response::new(body);
    *lambda.status_mut() = response.status;
    *lambda.headers_mut() = response.headers;
    lambda
}

/// The answer to an event from a front door that loses the raw query (API Gateway REST API, ALB).
fn unsupported_front_door(kind: &str) -> ApiResponse {
    let message = format!(
        "This load balancer answers API Gateway HTTP API (payload 2.0) and Lambda Function URL events; {kind} \
         events re-encode the query string, so no checksum could be checked."
    );
    ApiError::Internal(message.into()).into()
}

/// Answers one Lambda event through `app`, or refuses events whose front door loses the raw query.
pub async fn answer(app: &App, req: Request) -> Response<Body> {
    let refused = match req.request_context_ref() {
        Some(RequestContext::ApiGatewayV1(_)) => Some("API Gateway REST API"),
        Some(RequestContext::Alb(_)) => Some("Application Load Balancer"),
        _ => None,
    };
    if let Some(kind) = refused {
        tracing::error!(kind, "unsupported Lambda front door");
        return to_lambda(unsupported_front_door(kind));
    }
    to_lambda(app.handle(from_lambda(req)).await)
}

/// Runs `app` under the Lambda runtime (requires `AWS_LAMBDA_RUNTIME_API` and the other Lambda variables).
pub async fn run(app: Arc<App>) -> Result<(), lambda_http::Error> {
    lambda_http::run(lambda_http::service_fn(move |req: Request| {
        let app = app.clone();
        async move { Ok::<_, Infallible>(answer(&app, req).await) }
    }))
    .await
}
