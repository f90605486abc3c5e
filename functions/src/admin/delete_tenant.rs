//! `deleteTenant` `{"id"}`: removes a tenant and its settings.

use http::StatusCode;
use serde_json::json;

use super::bodies::{Body, ById};
use super::reply;
use super::tenant_common::tenant_not_found;
use crate::Ctx;
use crate::registry::Outcome;
use crate::reject::{Reject, Store};

pub async fn run(ctx: &Ctx, Body(ById { id }): Body<ById>) -> Outcome {
    let id = id.unwrap_or_default();
    if ctx.tenants.delete_tenant(&id).await.map_err(Reject::store(Store::Tenants))? {
        Ok(reply(StatusCode::OK, &json!({ "success": format!("Tenant id={id} was destroyed") })))
    } else {
        Err(tenant_not_found(&id))
    }
}
