//! How a browser is sent a file of a recording: nginx sends it from the tree, or the browser is redirected to
//! the object's time-limited signed URL, as the recording files port answers.

use http::{HeaderValue, StatusCode, header};
use percent_encoding::percent_decode_str;
use scalelite_shared::api::ApiResponse;
use scalelite_shared::store::Delivery;

use super::access::segments;
use crate::registry::Outcome;
use crate::reject::Reject;

/// The file a path `/<top>/<recordID>/...` names below its recording's directory, decoded (empty for the
/// directory itself); `None` when a segment is not a plain name.
pub(crate) fn file_below(path: &str) -> Option<String> {
    let parts = segments(path)?;
    let decoded: Option<Vec<String>> =
        parts.get(2..)?.iter().map(|p| percent_decode_str(p).decode_utf8().ok().map(|d| d.into_owned())).collect();
    Some(decoded?.join("/"))
}

/// The answer for a file the port delivers: `from_tree` (an `X-Accel-Redirect`), or a 307 to its signed URL;
/// a failure is logged and answers the not-found page.
pub(crate) fn answer(
    delivery: std::io::Result<Delivery>,
    record_id: &str,
    from_tree: impl FnOnce() -> ApiResponse,
) -> Outcome {
    match delivery {
        Ok(Delivery::FromTree) => Ok(from_tree()),
        Ok(Delivery::SignedUrl(url)) => {
            let location = HeaderValue::from_str(&url).map_err(|_| Reject::NotFound)?;
            let mut response = ApiResponse::empty(StatusCode::TEMPORARY_REDIRECT);
            response.headers.insert(header::LOCATION, location);
            response.headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
            Ok(response)
        }
        Err(error) => {
            tracing::error!(record = record_id, %error, "playback: cannot sign the file's URL");
            Err(Reject::NotFound)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::file_below;

    #[test]
    fn files_below_the_recording_directory() {
        assert_eq!(file_below("/presentation/r-1/slides/a%20b.png").as_deref(), Some("slides/a b.png"));
        assert_eq!(file_below("/video/r-1").as_deref(), Some(""));
        assert_eq!(file_below("/video/r-1/%2e%2e/x"), None);
    }
}
