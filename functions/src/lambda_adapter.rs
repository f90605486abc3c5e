//! The AWS Lambda adapter. Only API Gateway HTTP API (payload 2.0) and Function URLs keep the raw query
//! string that checksums are computed over; REST API and ALB events re-order and re-encode it.

use std::convert::Infallible;
use std::sync::Arc;

use bytes::Bytes;
use lambda_http::{Body, Request, Response};
use scalelite_shared::api::{ApiRequest, ApiResponse};

use crate::app::App;

/// A Lambda request as a handler sees it.
pub fn from_lambda(req: Request) -> ApiRequest {
    let (parts, body) = req.into_parts();
    ApiRequest {
        method: parts.method,
        path: parts.uri.path().to_owned(),
        raw_query: parts.uri.query().unwrap_or_default().to_owned(),
        headers: parts.headers,
        body: Bytes::copy_from_slice(body.as_ref()),
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

/// Runs `app` under the Lambda runtime (requires `AWS_LAMBDA_RUNTIME_API` and the other Lambda variables).
pub async fn run(app: Arc<App>) -> Result<(), lambda_http::Error> {
    lambda_http::run(lambda_http::service_fn(move |req: Request| {
        let app = app.clone();
        async move { Ok::<_, Infallible>(to_lambda(app.handle(from_lambda(req)).await)) }
    }))
    .await
}
