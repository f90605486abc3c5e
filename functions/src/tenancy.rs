//! Multitenancy: which tenant a call is for (the first label of its host name), the parameter layers its
//! settings add, and what each tenant's meetings hold. A host whose first label is no tenant is the main domain, served with the load-balancer
//! secrets: turning tenancy on never locks the main domain out.

use scalelite_shared::api::ApiRequest;
use scalelite_shared::balance::tenant::TenantUsage;
use scalelite_shared::bbb::error::ApiError;
use scalelite_shared::bbb::params::Params;
use scalelite_shared::model::{Meeting, Tenant};

use crate::Ctx;
use crate::reject::{Reject, Store};

/// The first DNS label of the request's host (`X-Forwarded-Host`, else `Host`), without a port.
fn host_label(req: &ApiRequest) -> Option<&str> {
    let label = req.host()?.split(['.', ':']).next()?;
    (!label.is_empty()).then_some(label)
}

/// The tenant the call is for; `None` with tenancy off, or on the main domain.
pub(crate) async fn tenant_of(ctx: &Ctx, req: &ApiRequest) -> Result<Option<Tenant>, Reject> {
    if !ctx.config.multitenancy {
        return Ok(None);
    }
    let Some(label) = host_label(req) else { return Ok(None) };
    ctx.tenants.tenant_by_name(label).await.map_err(Reject::store(Store::Tenants))
}

/// Every tenant, by name.
pub(crate) async fn all(ctx: &Ctx) -> Result<Vec<Tenant>, Reject> {
    ctx.tenants.tenants().await.map_err(Reject::store(Store::Tenants))
}

/// Each of `tenants` with what its live meetings hold (the status page and the metrics).
pub(crate) async fn usages(ctx: &Ctx, tenants: Vec<Tenant>) -> Result<Vec<(Tenant, TenantUsage)>, Reject> {
    let now = ctx.now_ms().await?;
    let mut usages = Vec::with_capacity(tenants.len());
    for tenant in tenants {
        let usage = ctx.meetings.tenant_usage(&tenant.id, now).await.map_err(Reject::store(Store::Meetings))?;
        usages.push((tenant, usage));
    }
    Ok(usages)
}

/// True when `meeting` may be seen by a call for `tenant` (the main domain sees every meeting).
pub(crate) fn owns(tenant: Option<&Tenant>, meeting: &Meeting) -> bool {
    tenant.is_none_or(|tenant| tenant.id == meeting.tenant_id)
}

/// For a tenant's call, `MeetingNotFound` unless meeting `id` is the tenant's (the main domain passes
/// without a read, so its joins keep their single store read).
pub(crate) async fn ensure_owns(ctx: &Ctx, tenant: Option<&Tenant>, id: &str) -> Result<(), Reject> {
    if tenant.is_none() {
        return Ok(());
    }
    let meeting = ctx.meetings.meeting(id, ctx.now_ms().await?).await.map_err(Reject::store(Store::Meetings))?;
    if meeting.is_some_and(|m| owns(tenant, &m)) { Ok(()) } else { Err(ApiError::MeetingNotFound.into()) }
}

/// The tenant's settings as two layers: below the configured defaults, and above the configured overrides.
#[derive(Default)]
pub(crate) struct TenantLayers {
    pub defaults: Params,
    pub overrides: Params,
}

impl TenantLayers {
    pub(crate) async fn of(ctx: &Ctx, tenant: Option<&Tenant>) -> Result<Self, Reject> {
        let mut layers = Self::default();
        let Some(tenant) = tenant else { return Ok(layers) };
        for setting in ctx.tenants.tenant_settings(Some(&tenant.id)).await.map_err(Reject::store(Store::Tenants))? {
            let layer = if setting.override_ { &mut layers.overrides } else { &mut layers.defaults };
            layer.set(&setting.param, &setting.value);
        }
        Ok(layers)
    }

    /// Defaults and overrides around the configured ones: tenant defaults, configured defaults, (the client),
    /// configured overrides, tenant overrides; the later layer wins.
    pub(crate) fn around(&self, defaults: &Params, overrides: &Params) -> (Params, Params) {
        let mut below = self.defaults.clone();
        below.layer(defaults);
        let mut above = overrides.clone();
        above.layer(&self.overrides);
        (below, above)
    }
}

#[cfg(test)]
mod tests {
    use http::header;

    use super::*;

    #[test]
    fn labels_and_layers() {
        let mut req = ApiRequest::get("/", "");
        req.headers.insert(header::HOST, "school.lb.example:8443".parse().unwrap());
        assert_eq!(host_label(&req), Some("school"));
        req.headers.insert("x-forwarded-host", "uni.lb.example".parse().unwrap());
        assert_eq!(host_label(&req), Some("uni"));

        let layers = TenantLayers { defaults: Params::parse(b"a=td&b=td"), overrides: Params::parse(b"c=to") };
        let (below, above) = layers.around(&Params::parse(b"b=cd"), &Params::parse(b"c=co&d=co"));
        assert_eq!((below.get("a"), below.get("b")), (Some("td"), Some("cd")));
        assert_eq!((above.get("c"), above.get("d")), (Some("to"), Some("co")));
    }
}
