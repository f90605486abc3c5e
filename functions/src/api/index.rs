//! `index`: the API root, no checksum.

use scalelite_shared::api::ApiResponse;
use scalelite_shared::bbb::xml::XmlResponse;

use crate::Ctx;
use crate::registry::Outcome;
use crate::request::Call;

pub async fn run(ctx: &Ctx, _: Call) -> Outcome {
    let mut response = XmlResponse::success();
    response.element("version", "2.0");
    if let Some(build) = &ctx.config.build_number {
        response.element("build", build);
    }
    Ok(ApiResponse::xml(response.finish()))
}
