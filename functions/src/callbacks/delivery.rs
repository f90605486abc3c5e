//! Delivering a callback to a front-end: one request per secret (the tenant's, else the load balancer's), until the receiver's answer
//! settles it. Outcomes are logged with the receiver's host only (callback URLs may carry tokens).

use http::StatusCode;

use scalelite_shared::model::Tenant;

use crate::Ctx;

/// The secrets callbacks for `tenant_id`'s meetings are signed with: the tenant's own, else (no tenant, or one
/// that is gone) the load balancer's.
pub(crate) async fn secrets_for(ctx: &Ctx, tenant_id: Option<&str>) -> Vec<String> {
    let tenant = match tenant_id {
        Some(id) => ctx.tenants.tenant(id).await.unwrap_or_else(|error| {
            tracing::warn!(%error, "callback: cannot read the tenant; the load-balancer secrets are used");
            None
        }),
        None => None,
    };
    secrets_of(ctx, tenant.as_ref())
}

/// The secrets a tenant's callbacks are signed with (the load balancer's without a tenant).
pub(crate) fn secrets_of(ctx: &Ctx, tenant: Option<&Tenant>) -> Vec<String> {
    tenant.map_or_else(|| ctx.config.secrets.clone(), |t| t.secrets.clone())
}

fn host(url: &str) -> String {
    reqwest::Url::parse(url).ok().and_then(|u| u.host_str().map(str::to_owned)).unwrap_or_default()
}

/// Sends `request(secret)` for each of `secrets` in turn until `settled` accepts the status. A receiver that
/// does not answer ends the delivery: another secret would not reach it either.
pub(crate) async fn each_secret(
    secrets: &[String],
    callback: &'static str,
    url: &str,
    request: impl Fn(&str) -> Option<reqwest::RequestBuilder>,
    settled: impl Fn(StatusCode) -> bool,
) {
    let host = host(url);
    for secret in secrets {
        let Some(request) = request(secret) else { return };
        match request.send().await {
            Ok(response) if settled(response.status()) => {
                tracing::info!(callback, %host, status = response.status().as_u16(), "callback delivered");
                return;
            }
            Ok(response) => {
                tracing::warn!(callback, %host, status = response.status().as_u16(), "callback refused; next secret");
            }
            Err(error) => {
                tracing::warn!(callback, %host, error = %error.without_url(), "callback receiver did not answer");
                return;
            }
        }
    }
    tracing::warn!(callback, %host, "callback not delivered: no secret was accepted");
}
