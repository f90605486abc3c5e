//! `index`: the API root, no checksum.

use scalelite_shared::api::{ApiRequest, ApiResponse};
use scalelite_shared::bbb::xml::XmlResponse;

use crate::Ctx;
use crate::registry::Outcome;

pub async fn run(ctx: &Ctx, _req: ApiRequest) -> Outcome {
    let mut response = XmlResponse::success();
    response.element("version", "2.0");
    if let Some(build) = &ctx.config.build_number {
        response.element("build", build);
    }
    Ok(ApiResponse::xml(response.finish()))
}
