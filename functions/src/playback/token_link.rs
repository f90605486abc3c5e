//! `GET /recording/<recordID>/<format>?token=…`: the link getRecordings hands out. A protected recording's
//! single-use token is taken and swapped for the playback cookie; then a 307 to the playback page.

use http::{HeaderValue, StatusCode, header};
use scalelite_shared::api::{ApiRequest, ApiResponse};
use scalelite_shared::bbb::params::Params;
use scalelite_shared::clock::now_ms;
use serde::Deserialize;

use super::access::{published, segments, set_cookie, stays_on_site};
use crate::Ctx;
use crate::registry::Outcome;
use crate::reject::Reject;
use crate::request::Call;

/// What a token was minted for.
#[derive(Deserialize)]
struct TokenFor {
    record_id: String,
    format: String,
}

fn is_token(token: &str) -> bool {
    token.len() == 64 && token.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

/// True when the request's token was minted for this recording and format (it is used up either way).
async fn token_opens(ctx: &Ctx, req: &ApiRequest, record_id: &str, format: &str) -> bool {
    let params = Params::parse(req.raw_query.as_bytes());
    let Some(token) = params.get("token").filter(|t| is_token(t)) else { return false };
    match ctx.tokens.take_token(token, now_ms()).await {
        Ok(Some(value)) => serde_json::from_str::<TokenFor>(&value)
            .is_ok_and(|minted| minted.record_id == record_id && minted.format == format),
        Ok(None) => false,
        Err(error) => {
            tracing::error!(%error, "playback: token store failure");
            false
        }
    }
}

pub async fn run(ctx: &Ctx, Call { req, .. }: Call) -> Outcome {
    let path = segments(&req.path);
    let Some(["recording", record_id, format]) = path.as_deref() else {
        return Err(Reject::NotFound);
    };
    let (record_id, format) = (*record_id, *format);
    let Some(recording) = published(ctx, &req, record_id, Some(format)).await else { return Err(Reject::NotFound) };
    let mut response = ApiResponse::text(StatusCode::TEMPORARY_REDIRECT, "");
    if ctx.config.recordings.protected && recording.protected {
        if !token_opens(ctx, &req, record_id, format).await {
            return Err(Reject::NotFound);
        }
        let Some(cookie) = set_cookie(ctx, &req, format, record_id).and_then(|c| HeaderValue::from_str(&c).ok()) else {
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
