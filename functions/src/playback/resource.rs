//! `GET /<format>/<recordID>/…`: a recording's files. Allowed requests get an empty 200 with
//! `X-Accel-Redirect: /static-resource<path>`, and nginx sends the file from the published tree; with the
//! files in a bucket, a 307 to a time-limited signed URL of the object instead (`index.html` for the
//! format directory itself).

use http::{HeaderValue, header};

use super::access::accel_redirect;
use super::delivery::{answer, file_below};
use super::verify::{Readable, Reading};
use crate::Ctx;
use crate::registry::Outcome;
use crate::reject::Reject;

/// Formats whose files play in the browser; the others are offered as downloads.
const INLINE_FORMATS: &[&str] = &["presentation", "video", "screenshare"];

pub async fn run(ctx: &Ctx, Reading { req, readable: Readable { recording, format } }: Reading) -> Outcome {
    let (format, record_id) = (format.unwrap_or_default(), recording.record_id);
    let file = file_below(&req.path).ok_or(Reject::NotFound)?;
    let file = if file.is_empty() { "index.html".to_owned() } else { file };
    answer(ctx.files.deliver(&format, &record_id, &file).await, &record_id, || {
        let full_path =
            if req.raw_query.is_empty() { req.path.clone() } else { format!("{}?{}", req.path, req.raw_query) };
        let mut response = accel_redirect(&format!("/static-resource{full_path}"));
        if !INLINE_FORMATS.contains(&format.as_str()) {
            response.headers.insert(header::CONTENT_DISPOSITION, HeaderValue::from_static("attachment"));
        }
        response
    })
}
