//! `GET /scalelite/recordings/authorize`: the check nginx's `auth_request` makes before it serves a file of
//! the published tree itself. The original path comes in `X-Original-URI`; 204 allows, 403 refuses.

use http::StatusCode;
use scalelite_shared::api::ApiResponse;

use super::verify::Reading;
use crate::Ctx;
use crate::registry::Outcome;

pub async fn run(_: &Ctx, _: Reading) -> Outcome {
    Ok(ApiResponse::text(StatusCode::NO_CONTENT, ""))
}
