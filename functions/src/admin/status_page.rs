//! `GET /scalelite/status`: the pool at a glance as an HTML page, the figures of `scalelite status`, each
//! server's limits, and, once any tenant has limits, every tenant's limits and usage.
//!
//! Open to the admin checksum (call name `status`, the rule of `/scalelite/api/*`) or to `?token=` equal to
//! `STATUS_PAGE_TOKEN` (compared in constant time), which the registry checks; anything else gets the 401
//! page. Never cached.

use http::{HeaderValue, StatusCode, header};
use scalelite_shared::api::{ApiRequest, ApiResponse};
use scalelite_shared::bbb::params::Params;

use super::status_template::{UNAUTHORIZED, render};
use crate::Ctx;
use crate::registry::Outcome;
use crate::reject::{Reject, Store};
use crate::request::Call;
use crate::request::{Accepts, authorize, same_token};
use crate::tenancy;

/// The configured token given as `?token=`, or the admin checksum.
pub(crate) fn allowed(ctx: &Ctx, req: &ApiRequest) -> bool {
    if let Some(expected) = ctx.config.status_page_token.as_deref() {
        let params = Params::parse(req.raw_query.as_bytes());
        if params.get("token").is_some_and(|given| same_token(given, expected)) {
            return true;
        }
    }
    authorize(ctx, req, "status", Accepts::Form).is_ok()
}

fn html(status: StatusCode, body: String) -> ApiResponse {
    let mut response = ApiResponse::text(status, body);
    let headers = &mut response.headers;
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("text/html; charset=utf-8"));
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    headers.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    // No scripts, no outside resources; the token in the URL is not sent on as a referrer.
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static("default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'"),
    );
    headers.insert(header::REFERRER_POLICY, HeaderValue::from_static("no-referrer"));
    response
}

/// The 401 page.
pub(crate) fn locked() -> ApiResponse {
    html(StatusCode::UNAUTHORIZED, UNAUTHORIZED.to_owned())
}

pub async fn run(ctx: &Ctx, _: Call) -> Outcome {
    let mut servers = ctx.servers.servers().await.map_err(Reject::store(Store::Servers))?;
    servers.sort_by(|a, b| a.host().cmp(b.host()).then_with(|| a.id.cmp(&b.id)));
    let tenants = tenancy::all(ctx).await?;
    let limited = tenants.iter().any(|t| t.max_meetings.is_some() || t.max_participants.is_some());
    let tenants = if limited { tenancy::usages(ctx, tenants).await? } else { Vec::new() };
    Ok(html(StatusCode::OK, render(&servers, &tenants)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_match_only_exactly() {
        assert!(same_token("s3cret", "s3cret"));
        assert!(!same_token("s3cre", "s3cret"));
        assert!(!same_token("", "s3cret"));
        assert!(!same_token("s3cret ", "s3cret"));
    }
}
