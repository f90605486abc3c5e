//! `GET /metrics`: Prometheus text format, no checksum (expose it on an internal network only).

use http::{HeaderValue, StatusCode, header};
use scalelite_shared::api::ApiResponse;

use crate::Ctx;
use crate::registry::Outcome;
use crate::reject::{Reject, Store};
use crate::request::Call;
use crate::tenancy;

pub async fn run(ctx: &Ctx, _: Call) -> Outcome {
    let servers = ctx.servers.servers().await.map_err(Reject::store(Store::Servers))?;
    let tenants = tenancy::usages(ctx, tenancy::all(ctx).await?).await?;
    let mut response = ApiResponse::text(StatusCode::OK, ctx.metrics.render(&servers, &tenants));
    response.headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("text/plain; version=0.0.4"));
    Ok(response)
}
