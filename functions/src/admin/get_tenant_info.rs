//! `getTenantInfo?id=`: one tenant.

use http::StatusCode;
use scalelite_shared::api::ApiRequest;

use super::tenant_common::{disabled, tenant_json, tenant_not_found};
use super::{input, reply};
use crate::Ctx;
use crate::api::store_failure;
use crate::registry::Outcome;

pub async fn run(ctx: &Ctx, req: ApiRequest) -> Outcome {
    let input = match input(ctx, &req, "getTenantInfo")? {
        Ok(input) => input,
        Err(response) => return Ok(response),
    };
    if !ctx.config.multitenancy {
        return Ok(disabled());
    }
    let id = input.query.get("id").unwrap_or_default().to_owned();
    Ok(match ctx.tenants.tenant(&id).await.map_err(store_failure)? {
        Some(tenant) => reply(StatusCode::OK, &tenant_json(&tenant)),
        None => tenant_not_found(&id),
    })
}
