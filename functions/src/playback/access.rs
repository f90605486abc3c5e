//! Who may see a recording's files: published recordings to everyone, protected ones to holders of the
//! signed cookie that a token link sets. Also the not-found page every refusal answers with.

use http::{HeaderValue, StatusCode, header};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use scalelite_shared::api::{ApiRequest, ApiResponse};
use scalelite_shared::model::Recording;
use scalelite_shared::store::RecordingQuery;
use serde::{Deserialize, Serialize};

use super::same_site::takes_same_site_none;
use crate::Ctx;

/// The cookie's claims: the path it opens and its expiry.
#[derive(Debug, Deserialize, Serialize)]
struct Claims {
    sub: String,
    exp: u64,
}

/// The HTML page (404) every refused playback request gets.
pub(crate) fn not_found() -> ApiResponse {
    let mut response = ApiResponse::text(
        StatusCode::NOT_FOUND,
        "<!DOCTYPE html><html><head><title>Recording Not Found</title></head><body><h1>Recording Not Found</h1>\
         <p>The recording you are looking for does not exist or is not available.</p></body></html>",
    );
    response.headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("text/html; charset=utf-8"));
    response
}

/// An empty 200 that tells nginx to send `internal_path` (an `internal` location of its own).
pub(crate) fn accel_redirect(internal_path: &str) -> ApiResponse {
    let Ok(redirect) = HeaderValue::from_str(internal_path) else { return not_found() };
    let mut response = ApiResponse::text(StatusCode::OK, "");
    response.headers.remove(header::CONTENT_TYPE);
    response.headers.insert("x-accel-redirect", redirect);
    response
}

/// The key cookies are signed with: `SECRET_KEY_BASE`, else the first load-balancer secret (shared by every
/// replica either way).
fn cookie_key(ctx: &Ctx) -> Option<&[u8]> {
    ctx.config
        .recordings
        .secret_key_base
        .as_deref()
        .or(ctx.config.secrets.first().map(String::as_str))
        .map(str::as_bytes)
}

/// The cookie name and path of one format of a recording.
pub(crate) fn cookie_name(format: &str, record_id: &str) -> String {
    format!("recording_{format}_{record_id}")
}

fn cookie_path(format: &str, record_id: &str) -> String {
    format!("/{format}/{record_id}")
}

/// A `Set-Cookie` value opening `/<format>/<recordID>` for `PROTECTED_RECORDINGS_TIMEOUT`; `SameSite=None`
/// unless the browser (by its User-Agent) mishandles it.
pub(crate) fn set_cookie(ctx: &Ctx, req: &ApiRequest, format: &str, record_id: &str) -> Option<String> {
    let lifetime = ctx.config.recordings.cookie_timeout;
    let exp = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).ok()?.as_secs() + lifetime.as_secs();
    let claims = Claims { sub: cookie_path(format, record_id), exp };
    let jwt =
        jsonwebtoken::encode(&Header::new(Algorithm::HS256), &claims, &EncodingKey::from_secret(cookie_key(ctx)?))
            .ok()?;
    let user_agent = req.headers.get(header::USER_AGENT).and_then(|v| v.to_str().ok()).unwrap_or_default();
    let same_site = if takes_same_site_none(user_agent) { "; SameSite=None" } else { "" };
    Some(format!(
        "{}={jwt}; Path={}; Max-Age={}; Secure; HttpOnly{same_site}",
        cookie_name(format, record_id),
        cookie_path(format, record_id),
        lifetime.as_secs()
    ))
}

/// The value of cookie `name` in the request.
fn cookie<'a>(req: &'a ApiRequest, name: &str) -> Option<&'a str> {
    req.headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(key, _)| *key == name)
        .map(|(_, value)| value)
}

/// True when the request carries a valid, unexpired cookie for this format of the recording.
fn has_cookie(ctx: &Ctx, req: &ApiRequest, format: &str, record_id: &str) -> bool {
    let (Some(jwt), Some(key)) = (cookie(req, &cookie_name(format, record_id)), cookie_key(ctx)) else {
        return false;
    };
    let mut validation = Validation::new(Algorithm::HS256);
    validation.set_required_spec_claims(&["exp", "sub"]);
    validation.leeway = 0;
    jsonwebtoken::decode::<Claims>(jwt, &DecodingKey::from_secret(key), &validation)
        .is_ok_and(|data| data.claims.sub == cookie_path(format, record_id))
}

/// The published recording `record_id` if it has `format` (any format when `None`); `None` for anything else
/// (or a store failure, which is logged).
pub(crate) async fn published(ctx: &Ctx, record_id: &str, format: Option<&str>) -> Option<Recording> {
    let query = RecordingQuery { record_ids: vec![record_id.to_owned()], states: None, ..RecordingQuery::default() };
    match ctx.recordings.recordings(&query).await {
        Ok(found) => found
            .into_iter()
            .find(|r| r.published && format.is_none_or(|format| r.formats.iter().any(|f| f.format == format))),
        Err(error) => {
            tracing::error!(%error, "playback: store failure");
            None
        }
    }
}

/// `(top, recordID)` of a path `/<top>/<recordID>[/...]` that stays inside the recording's directory (nginx
/// resolves it again, so nothing in it may climb out).
pub(crate) fn split_path(path: &str) -> Option<(&str, &str)> {
    let mut parts = path.strip_prefix('/')?.split('/');
    let (top, record_id) = (parts.next()?, parts.next()?);
    let climbs = path.split('/').any(|segment| segment == ".." || segment == ".")
        || path.contains('\\')
        || path.to_ascii_lowercase().contains("%2e");
    (!record_id.is_empty() && !climbs).then_some((top, record_id))
}

/// `(format, recordID)` of a resource path `/<format>/<recordID>[/...]`, for a served format.
pub(crate) fn resource_of<'a>(ctx: &Ctx, path: &'a str) -> Option<(&'a str, &'a str)> {
    split_path(path).filter(|(format, _)| ctx.config.recordings.playback_formats.iter().any(|f| f == format))
}

/// Whether the request may read the files of this format of the recording.
pub(crate) async fn may_read(ctx: &Ctx, req: &ApiRequest, format: &str, record_id: &str) -> bool {
    match published(ctx, record_id, Some(format)).await {
        None => false,
        Some(recording) => {
            !(ctx.config.recordings.protected && recording.protected) || has_cookie(ctx, req, format, record_id)
        }
    }
}
