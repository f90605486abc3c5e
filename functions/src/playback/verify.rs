//! What the registry checks before a playback route runs: the path names a published recording, and the
//! caller may read it (a protected recording's files with its cookie, its token link with its one-time
//! token). The handler gets the recording it may read.

use http::StatusCode;
use scalelite_shared::api::ApiRequest;
use scalelite_shared::bbb::params::Params;
use scalelite_shared::model::Recording;
use serde::Deserialize;

use super::access::{has_cookie, published, resource_of, segments, split_path};
use crate::Ctx;
use crate::input::{FromCall, not_verified};
use crate::reject::{Reject, Store};
use crate::request::{Call, Verified};

/// Which playback route a request came to, and so what it must prove.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Route {
    /// `/<format>/<recordID>/…`: a protected recording's files with its cookie; refused with the 404 page.
    Resource,
    /// nginx's `auth_request` for the path in `X-Original-URI`, as `Resource`; refused with a bare 403.
    AuthRequest,
    /// `/captions/<recordID>/<file>`: a recording that is not protected; refused with the 404 page.
    Captions,
    /// `/recording/<recordID>/<format>?token=`: a protected recording's one-time token, taken here; refused
    /// with the 404 page.
    TokenLink,
}

/// A published recording the caller may read, and the format the path names (none for captions).
pub struct Readable {
    pub recording: Recording,
    pub format: Option<String>,
}

/// A playback request the registry let through, with the recording it may read.
pub struct Reading {
    pub req: ApiRequest,
    pub readable: Readable,
}

impl FromCall for Reading {
    fn from_call(call: Call) -> Result<Self, Reject> {
        match call.verified {
            Verified::Playback(readable) => Ok(Reading { req: call.req, readable }),
            _ => Err(not_verified("a readable recording")),
        }
    }
}

/// What a token was minted for.
#[derive(Deserialize)]
struct TokenFor {
    record_id: String,
    format: String,
}

/// A token as getRecordings mints them: 64 lower-case hex digits.
fn is_token(token: &str) -> bool {
    token.len() == 64 && token.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

/// Takes the request's `?token=` (it works once) and tells whether it was minted for this recording's format.
async fn token_opens(ctx: &Ctx, req: &ApiRequest, record_id: &str, format: &str) -> Result<bool, Reject> {
    let params = Params::parse(req.raw_query.as_bytes());
    let Some(token) = params.get("token").filter(|t| is_token(t)) else { return Ok(false) };
    let minted = ctx.tokens.take_token(token).await.map_err(Reject::store(Store::Meetings))?;
    Ok(minted
        .and_then(|value| serde_json::from_str::<TokenFor>(&value).ok())
        .is_some_and(|minted| minted.record_id == record_id && minted.format == format))
}

/// Whether protection applies to this recording.
fn protected(ctx: &Ctx, recording: &Recording) -> bool {
    ctx.config.recordings.protected && recording.protected
}

/// The recording of a resource path the request may read.
async fn resource(ctx: &Ctx, req: &ApiRequest, path: &str) -> Result<Option<Readable>, Reject> {
    let Some((format, record_id)) = resource_of(ctx, path) else { return Ok(None) };
    let Some(recording) = published(ctx, req, record_id, Some(format)).await? else { return Ok(None) };
    let open = !protected(ctx, &recording) || has_cookie(ctx, req, format, record_id);
    Ok(open.then(|| Readable { recording, format: Some(format.to_owned()) }))
}

/// The recording the request may read on `route`: `None` when there is none it may read, a refusal when a store
/// failed.
async fn readable(ctx: &Ctx, req: &ApiRequest, route: Route) -> Result<Option<Readable>, Reject> {
    match route {
        Route::Resource => resource(ctx, req, &req.path).await,
        Route::AuthRequest => {
            let original = req.headers.get("x-original-uri").and_then(|v| v.to_str().ok()).unwrap_or_default();
            resource(ctx, req, original.split('?').next().unwrap_or_default()).await
        }
        Route::Captions => {
            let Some(("captions", record_id)) = split_path(&req.path) else { return Ok(None) };
            let Some(recording) = published(ctx, req, record_id, None).await? else { return Ok(None) };
            Ok((!protected(ctx, &recording)).then_some(Readable { recording, format: None }))
        }
        Route::TokenLink => {
            let path = segments(&req.path);
            let Some(["recording", record_id, format]) = path.as_deref() else { return Ok(None) };
            let Some(recording) = published(ctx, req, record_id, Some(format)).await? else { return Ok(None) };
            let open = !protected(ctx, &recording) || token_opens(ctx, req, record_id, format).await?;
            Ok(open.then(|| Readable { recording, format: Some((*format).to_owned()) }))
        }
    }
}

/// The recording the request may read on `route`, or the route's refusal; a store failure is answered as
/// unavailable (503), never as not found or forbidden.
pub(crate) async fn verify(ctx: &Ctx, req: &ApiRequest, route: Route) -> Result<Readable, Reject> {
    match readable(ctx, req, route).await? {
        Some(readable) => Ok(readable),
        None if route == Route::AuthRequest => Err(Reject::Unverified(StatusCode::FORBIDDEN)),
        None => Err(Reject::NotFound),
    }
}
