//! `GET /<format>/<recordID>/…`: a recording's files. Allowed requests get an empty 200 with
//! `X-Accel-Redirect: /static-resource<path>`, and nginx sends the file from the published tree; with the
//! files in a bucket, a 307 to a time-limited signed URL of the object instead (`index.html` for the
//! format directory itself).

use http::{HeaderValue, StatusCode, header};
use percent_encoding::percent_decode_str;
use scalelite_shared::api::ApiResponse;
use scalelite_shared::store::Delivery;

use super::access::{accel_redirect, may_read, resource_of, segments};
use crate::Ctx;
use crate::registry::Outcome;
use crate::reject::Reject;
use crate::request::Call;

/// Formats whose files play in the browser; the others are offered as downloads.
const INLINE_FORMATS: &[&str] = &["presentation", "video", "screenshare"];

/// The file a resource path names below `/<format>/<recordID>/`, decoded (`index.html` when none).
fn file_of(path: &str) -> Option<String> {
    let parts = segments(path)?;
    let decoded: Option<Vec<String>> =
        parts.get(2..)?.iter().map(|p| percent_decode_str(p).decode_utf8().ok().map(|d| d.into_owned())).collect();
    let file = decoded?.join("/");
    Some(if file.is_empty() { "index.html".to_owned() } else { file })
}

pub async fn run(ctx: &Ctx, Call { req, .. }: Call) -> Outcome {
    let Some((format, record_id)) = resource_of(ctx, &req.path) else { return Err(Reject::NotFound) };
    if !may_read(ctx, &req, format, record_id).await {
        return Err(Reject::NotFound);
    }
    let file = file_of(&req.path).ok_or(Reject::NotFound)?;
    match ctx.files.deliver(format, record_id, &file).await {
        Ok(Delivery::FromTree) => {}
        Ok(Delivery::SignedUrl(url)) => {
            let location = HeaderValue::from_str(&url).map_err(|_| Reject::NotFound)?;
            let mut response = ApiResponse::empty(StatusCode::TEMPORARY_REDIRECT);
            response.headers.insert(header::LOCATION, location);
            response.headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
            return Ok(response);
        }
        Err(error) => {
            tracing::error!(record = record_id, format, %error, "playback: cannot sign the file's URL");
            return Err(Reject::NotFound);
        }
    }
    let full_path = if req.raw_query.is_empty() { req.path.clone() } else { format!("{}?{}", req.path, req.raw_query) };
    let mut response = accel_redirect(&format!("/static-resource{full_path}"));
    if !INLINE_FORMATS.contains(&format) {
        response.headers.insert(header::CONTENT_DISPOSITION, HeaderValue::from_static("attachment"));
    }
    Ok(response)
}

#[cfg(test)]
mod tests {
    use super::file_of;

    #[test]
    fn files_below_the_format_directory() {
        assert_eq!(file_of("/presentation/r-1/slides/a%20b.png").as_deref(), Some("slides/a b.png"));
        assert_eq!(file_of("/video/r-1").as_deref(), Some("index.html"));
        assert_eq!(file_of("/video/r-1/%2e%2e/x"), None);
    }
}
