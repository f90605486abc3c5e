//! `addTenant` `{"tenant": {"name", "secrets"}}`: a new tenant, reached at `<name>.<host>`.

use http::StatusCode;
use scalelite_shared::api::ApiRequest;
use scalelite_shared::model::Tenant;
use scalelite_shared::store::StoreError;
use serde_json::json;

use super::tenant_common::{disabled, name_of, secrets_of, tenant_json};
use super::{error, input, reply};
use crate::Ctx;
use crate::api::store_failure;
use crate::registry::Outcome;

pub async fn run(ctx: &Ctx, req: ApiRequest) -> Outcome {
    let input = match input(ctx, &req, "addTenant")? {
        Ok(input) => input,
        Err(response) => return Ok(response),
    };
    if !ctx.config.multitenancy {
        return Ok(disabled());
    }
    let (Some(name), Some(secrets)) = (name_of(&input.body), secrets_of(&input.body)) else {
        return Ok(reply(
            StatusCode::BAD_REQUEST,
            &json!({ "message": "Error: both name and secrets are required to create a Tenant" }),
        ));
    };
    let name = match name {
        Ok(name) => name,
        Err(response) => return Ok(response),
    };
    let tenant = Tenant { id: uuid::Uuid::new_v4().to_string(), name, secrets };
    Ok(match ctx.tenants.add_tenant(&tenant).await {
        Ok(()) => reply(StatusCode::CREATED, &json!({ "tenant": tenant_json(&tenant) })),
        Err(StoreError::Conflict(_)) => error(StatusCode::UNPROCESSABLE_ENTITY, "A tenant with that name exists"),
        Err(other) => return Err(store_failure(other)),
    })
}
