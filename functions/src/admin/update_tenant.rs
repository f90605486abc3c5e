//! `updateTenant` `{"id", "tenant": {"name"?, "secrets"?}}`: renames a tenant or replaces its secrets.

use http::StatusCode;
use scalelite_shared::api::ApiRequest;
use scalelite_shared::store::StoreError;
use serde_json::json;

use super::tenant_common::{disabled, name_of, secrets_of, tenant_json, tenant_not_found};
use super::{error, id_of, input, reply};
use crate::Ctx;
use crate::api::store_failure;
use crate::registry::Outcome;

pub async fn run(ctx: &Ctx, req: ApiRequest) -> Outcome {
    let input = match input(ctx, &req, "updateTenant")? {
        Ok(input) => input,
        Err(response) => return Ok(response),
    };
    if !ctx.config.multitenancy {
        return Ok(disabled());
    }
    let id = id_of(&input.body).unwrap_or_default();
    let Some(mut tenant) = ctx.tenants.tenant(&id).await.map_err(store_failure)? else {
        return Ok(tenant_not_found(&id));
    };
    match name_of(&input.body) {
        Some(Ok(name)) => tenant.name = name,
        Some(Err(response)) => return Ok(response),
        None => {}
    }
    if let Some(secrets) = secrets_of(&input.body) {
        tenant.secrets = secrets;
    }
    Ok(match ctx.tenants.update_tenant(&tenant).await {
        Ok(Some(tenant)) => reply(StatusCode::OK, &json!({ "tenant": tenant_json(&tenant) })),
        Ok(None) => tenant_not_found(&id),
        Err(StoreError::Conflict(_)) => error(StatusCode::UNPROCESSABLE_ENTITY, "A tenant with that name exists"),
        Err(other) => return Err(store_failure(other)),
    })
}
