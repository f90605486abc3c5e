//! `getTenantInfo?id=`: one tenant.

use http::StatusCode;

use super::reply;
use super::tenant_common::{tenant_json, tenant_not_found};
use crate::Ctx;
use crate::registry::Outcome;
use crate::reject::{Reject, Store};
use crate::request::Call;

pub async fn run(ctx: &Ctx, input: Call) -> Outcome {
    let id = input.params.get("id").unwrap_or_default().to_owned();
    match ctx.tenants.tenant(&id).await.map_err(Reject::store(Store::Tenants))? {
        Some(tenant) => Ok(reply(StatusCode::OK, &tenant_json(&tenant))),
        None => Err(tenant_not_found(&id)),
    }
}
