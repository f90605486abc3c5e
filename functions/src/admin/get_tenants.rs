//! `getTenants`: every tenant, or a message when there are none.

use http::StatusCode;
use scalelite_shared::api::ApiRequest;
use serde_json::{Value, json};

use super::tenant_common::{disabled, tenant_json};
use super::{input, reply};
use crate::Ctx;
use crate::api::store_failure;
use crate::registry::Outcome;

pub async fn run(ctx: &Ctx, req: ApiRequest) -> Outcome {
    if let Err(response) = input(ctx, &req, "getTenants")? {
        return Ok(response);
    }
    if !ctx.config.multitenancy {
        return Ok(disabled());
    }
    let tenants = ctx.tenants.tenants().await.map_err(store_failure)?;
    Ok(if tenants.is_empty() {
        reply(StatusCode::OK, &json!({ "message": "No tenants exist" }))
    } else {
        reply(StatusCode::OK, &Value::Array(tenants.iter().map(tenant_json).collect()))
    })
}
