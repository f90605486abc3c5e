//! `GET /metrics`: Prometheus text format, no checksum (expose it on an internal network only).

use http::{HeaderValue, StatusCode, header};
use scalelite_shared::api::{ApiRequest, ApiResponse};

use super::store_failure;
use crate::Ctx;
use crate::registry::Outcome;

pub async fn run(ctx: &Ctx, _req: ApiRequest) -> Outcome {
    let servers = ctx.servers.servers().await.map_err(store_failure)?;
    let mut response = ApiResponse::text(StatusCode::OK, ctx.metrics.render(&servers));
    response.headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("text/plain; version=0.0.4"));
    Ok(response)
}
