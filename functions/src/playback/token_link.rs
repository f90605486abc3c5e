//! `GET /recording/<recordID>/<format>?token=…`: the link getRecordings hands out. A protected recording's
//! single-use token is taken and swapped for the playback cookie; then a 307 to the playback page.

use http::{HeaderValue, StatusCode, header};
use scalelite_shared::api::ApiResponse;

use super::access::{set_cookie, stays_on_site};
use super::verify::{Readable, Reading};
use crate::Ctx;
use crate::registry::Outcome;
use crate::reject::Reject;

pub async fn run(ctx: &Ctx, Reading { req, readable: Readable { recording, format } }: Reading) -> Outcome {
    let (format, record_id) = (format.unwrap_or_default(), recording.record_id.as_str());
    let mut response = ApiResponse::text(StatusCode::TEMPORARY_REDIRECT, "");
    if ctx.config.recordings.protected && recording.protected {
        let Some(cookie) = set_cookie(ctx, &req, &format, record_id).and_then(|c| HeaderValue::from_str(&c).ok())
        else {
            tracing::error!("playback: no key to sign cookies with (set SECRET_KEY_BASE)");
            return Err(Reject::NotFound);
        };
        response.headers.insert(header::SET_COOKIE, cookie);
    }
    let url = recording.formats.iter().find(|f| f.format == format).map(|f| f.url.clone()).unwrap_or_default();
    if !stays_on_site(&url, req.host()) {
        tracing::warn!(record = record_id, format, "playback: the recording's link leads off this site; refused");
        return Err(Reject::NotFound);
    }
    let Ok(location) = HeaderValue::from_str(&url) else { return Err(Reject::NotFound) };
    response.headers.insert(header::LOCATION, location);
    Ok(response)
}
