//! Who may see a recording's files: published recordings to everyone, protected ones to holders of the
//! signed cookie that a token link sets. Also the not-found page every refusal answers with, and the
//! unavailable page of a store outage.

use http::{HeaderValue, StatusCode, header};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use percent_encoding::percent_decode_str;
use scalelite_shared::api::{ApiRequest, ApiResponse};
use scalelite_shared::model::Recording;
use scalelite_shared::store::RecordingQuery;
use serde::{Deserialize, Serialize};

use super::same_site::takes_same_site_none;
use crate::Ctx;
use crate::reject::{Reject, Store};
use crate::tenancy::tenant_of;

/// The cookie's claims: the path it opens and its expiry.
#[derive(Debug, Deserialize, Serialize)]
struct Claims {
    sub: String,
    exp: u64,
}

/// The HTML page (404) every refused playback request gets.
pub(crate) fn not_found() -> ApiResponse {
    page(
        StatusCode::NOT_FOUND,
        "<!DOCTYPE html><html><head><title>Recording Not Found</title></head><body><h1>Recording Not Found</h1>\
         <p>The recording you are looking for does not exist or is not available.</p></body></html>",
    )
}

/// The HTML page (503) a playback request gets while a store it needs does not answer.
pub(crate) fn unavailable() -> ApiResponse {
    page(
        StatusCode::SERVICE_UNAVAILABLE,
        "<!DOCTYPE html><html><head><title>Recording Unavailable</title></head><body><h1>Recording Unavailable</h1>\
         <p>Recordings cannot be looked up right now. Please try again in a moment.</p></body></html>",
    )
}

fn page(status: StatusCode, html: &'static str) -> ApiResponse {
    let mut response = ApiResponse::text(status, html);
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
pub(crate) fn has_cookie(ctx: &Ctx, req: &ApiRequest, format: &str, record_id: &str) -> bool {
    let (Some(jwt), Some(key)) = (cookie(req, &cookie_name(format, record_id)), cookie_key(ctx)) else {
        return false;
    };
    let mut validation = Validation::new(Algorithm::HS256);
    validation.set_required_spec_claims(&["exp", "sub"]);
    validation.leeway = 0;
    jsonwebtoken::decode::<Claims>(jwt, &DecodingKey::from_secret(key), &validation)
        .is_ok_and(|data| data.claims.sub == cookie_path(format, record_id))
}

/// The published recording `record_id` if it has `format` (any format when `None`) and belongs to the tenant
/// whose host the request came to (the main domain sees every recording); `None` for anything else. A store
/// that fails is a refusal of its own (the unavailable page), never `None`: an outage is not an absence.
pub(crate) async fn published(
    ctx: &Ctx,
    req: &ApiRequest,
    record_id: &str,
    format: Option<&str>,
) -> Result<Option<Recording>, Reject> {
    let tenant = tenant_of(ctx, req).await?;
    let query = RecordingQuery {
        record_ids: vec![record_id.to_owned()],
        states: None,
        tenant_id: tenant.map(|t| t.id),
        ..RecordingQuery::default()
    };
    let found = ctx.recordings.recordings(&query).await.map_err(Reject::store(Store::Recordings))?;
    Ok(found
        .into_iter()
        .find(|r| r.published && format.is_none_or(|format| r.formats.iter().any(|f| f.format == format))))
}

/// Whether one path segment, decoded once, is a plain name: not empty, not `.` or `..`, and without `/`, `\`
/// or NUL (encoded or not), so nginx, which decodes the path again, stays in the directory it was allowed.
fn plain_segment(segment: &str) -> bool {
    let Ok(decoded) = percent_decode_str(segment).decode_utf8() else { return false };
    !matches!(decoded.as_ref(), "" | "." | "..")
        && !decoded.contains(['/', '\\', '\0'])
        && !segment.contains('\\')
        && !decoded.contains('%')
}

/// The segments of `path` (`/a/b/...`) when every one is a plain name, so the path stays inside the
/// directory it names.
pub(crate) fn segments(path: &str) -> Option<Vec<&str>> {
    let segments: Vec<&str> = path.strip_prefix('/')?.split('/').collect();
    segments.iter().all(|segment| plain_segment(segment)).then_some(segments)
}

/// `(top, recordID)` of a path `/<top>/<recordID>[/...]` whose every segment is a plain name.
pub(crate) fn split_path(path: &str) -> Option<(&str, &str)> {
    match segments(path)?.as_slice() {
        [top, record_id, ..] => Some((top, record_id)),
        _ => None,
    }
}

/// Whether a redirect to `location` stays on this site: a path (never `//host` or `/\host`, which browsers
/// take for another host), or an absolute URL on the request's own host.
pub(crate) fn stays_on_site(location: &str, host: Option<&str>) -> bool {
    if location.chars().any(|c| c.is_control() || c == '\\') {
        return false;
    }
    if let Some(path) = location.strip_prefix('/') {
        return !path.starts_with('/');
    }
    let Some(rest) = location.strip_prefix("https://").or_else(|| location.strip_prefix("http://")) else {
        return false;
    };
    let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
    host.is_some_and(|host| authority.eq_ignore_ascii_case(host))
}

/// `(format, recordID)` of a resource path `/<format>/<recordID>[/...]`, for a served format.
pub(crate) fn resource_of<'a>(ctx: &Ctx, path: &'a str) -> Option<(&'a str, &'a str)> {
    split_path(path).filter(|(format, _)| ctx.config.recordings.playback_formats.iter().any(|f| f == format))
}

#[cfg(test)]
mod tests {
    use super::split_path;

    #[test]
    fn plain_paths_split() {
        assert_eq!(split_path("/presentation/r-1/slides/1.png"), Some(("presentation", "r-1")));
        assert_eq!(split_path("/captions/r-1"), Some(("captions", "r-1")));
        assert_eq!(split_path("/presentation/r%2D1/x"), Some(("presentation", "r%2D1")), "harmless escapes pass");
    }

    #[test]
    fn redirects_stay_on_site() {
        use super::stays_on_site;
        assert!(stays_on_site("/playback/presentation/2.3/r", None));
        assert!(stays_on_site("https://lb.example.org/playback/x", Some("lb.example.org")));
        for away in
            ["//evil.example/x", "/\\evil.example/x", "https://evil.example/x", "javascript:alert(1)", "x", "/a\nb"]
        {
            assert!(!stays_on_site(away, Some("lb.example.org")), "{away}");
        }
    }

    #[test]
    fn climbing_out_is_refused_however_it_is_written() {
        for hostile in [
            "/presentation/pub/../sec/x",
            "/presentation/pub/..%2fsec/x",
            "/presentation/pub/..%2Fsec/x",
            "/presentation/pub/%2e%2e/sec/x",
            "/presentation/pub/%2E./sec",
            "/presentation/pub/.%2e%2fsec",
            "/presentation/pub%2f..%2fsec/x",
            "/presentation/pub/..%5csec/x",
            "/presentation/pub\\..\\sec",
            "/presentation/pub/%00/x",
            "/presentation/pub/./x",
            "/presentation/pub//x",
            "/presentation/pub/%252e%252e/x",
            "/presentation/pub/%ff/x",
            "/presentation/",
            "/presentation",
        ] {
            assert_eq!(split_path(hostile), None, "{hostile}");
        }
    }
}
