//! `deleteTenantSetting` `{"id"}`: removes one tenant setting.

use http::StatusCode;
use serde_json::json;

use super::bodies::{Body, ById};
use super::reply;
use crate::Ctx;
use crate::refusal::Refusal;
use crate::registry::Outcome;
use crate::reject::{Reject, Store};

pub async fn run(ctx: &Ctx, Body(ById { id }): Body<ById>) -> Outcome {
    let id = id.unwrap_or_default();
    if ctx.tenants.delete_tenant_setting(&id).await.map_err(Reject::store(Store::Tenants))? {
        Ok(reply(StatusCode::OK, &json!({ "success": format!("TenantSetting id={id} was destroyed") })))
    } else {
        Err(Refusal::TenantSettingNotFound(id).into())
    }
}
