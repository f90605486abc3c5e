//! `deleteTenant` `{"id"}`: removes a tenant and its settings.

use http::StatusCode;
use scalelite_shared::api::ApiRequest;
use serde_json::json;

use super::tenant_common::{disabled, tenant_not_found};
use super::{id_of, input, reply};
use crate::Ctx;
use crate::api::store_failure;
use crate::registry::Outcome;

pub async fn run(ctx: &Ctx, req: ApiRequest) -> Outcome {
    let input = match input(ctx, &req, "deleteTenant")? {
        Ok(input) => input,
        Err(response) => return Ok(response),
    };
    if !ctx.config.multitenancy {
        return Ok(disabled());
    }
    let id = id_of(&input.body).unwrap_or_default();
    Ok(if ctx.tenants.delete_tenant(&id).await.map_err(store_failure)? {
        reply(StatusCode::OK, &json!({ "success": format!("Tenant id={id} was destroyed") }))
    } else {
        tenant_not_found(&id)
    })
}
