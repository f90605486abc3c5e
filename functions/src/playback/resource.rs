//! `GET /<format>/<recordID>/…`: a recording's files. Allowed requests get an empty 200 with
//! `X-Accel-Redirect: /static-resource<path>`, and nginx sends the file from the published tree.

use http::{HeaderValue, StatusCode, header};
use scalelite_shared::api::{ApiRequest, ApiResponse};

use super::access::{may_read, not_found, resource_of};
use crate::Ctx;
use crate::registry::Outcome;

/// Formats whose files play in the browser; the others are offered as downloads.
const INLINE_FORMATS: &[&str] = &["presentation", "video", "screenshare"];

pub async fn run(ctx: &Ctx, req: ApiRequest) -> Outcome {
    let Some((format, record_id)) = resource_of(ctx, &req.path) else { return Ok(not_found()) };
    if !may_read(ctx, &req, format, record_id).await {
        return Ok(not_found());
    }
    let full_path = if req.raw_query.is_empty() { req.path.clone() } else { format!("{}?{}", req.path, req.raw_query) };
    let Ok(redirect) = HeaderValue::from_str(&format!("/static-resource{full_path}")) else { return Ok(not_found()) };
    let mut response = ApiResponse::text(StatusCode::OK, "");
    response.headers.remove(header::CONTENT_TYPE);
    response.headers.insert("x-accel-redirect", redirect);
    if !INLINE_FORMATS.contains(&format) {
        response.headers.insert(header::CONTENT_DISPOSITION, HeaderValue::from_static("attachment"));
    }
    Ok(response)
}
