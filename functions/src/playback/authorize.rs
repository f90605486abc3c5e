//! `GET /scalelite/recordings/authorize`: the check nginx's `auth_request` makes before it serves a file of
//! the published tree itself. The original path comes in `X-Original-URI`; 204 allows, 403 refuses.

use http::StatusCode;
use scalelite_shared::api::ApiResponse;

use super::access::{may_read, resource_of};
use crate::Ctx;
use crate::registry::Outcome;
use crate::request::Call;

pub async fn run(ctx: &Ctx, Call { req, .. }: Call) -> Outcome {
    let original = req.headers.get("x-original-uri").and_then(|v| v.to_str().ok()).unwrap_or_default();
    let path = original.split('?').next().unwrap_or_default();
    let allowed = match resource_of(ctx, path) {
        Some((format, record_id)) => may_read(ctx, &req, format, record_id).await,
        None => false,
    };
    Ok(ApiResponse::text(if allowed { StatusCode::NO_CONTENT } else { StatusCode::FORBIDDEN }, ""))
}
