//! `addTenantSetting` `{"setting": {"tenant_id", "param", "value", "override"?}}`: a create and join parameter
//! of a tenant, below the client's (a default) or, with `"override": true`, above it.

use http::StatusCode;
use scalelite_shared::model::TenantSetting;
use serde_json::json;

use super::bodies::{Body, SettingBody};
use super::reply;
use super::tenant_common::{ensure_tenant, setting_json};
use crate::Ctx;
use crate::refusal::Refusal;
use crate::registry::Outcome;
use crate::reject::{Reject, Store};

pub async fn run(ctx: &Ctx, Body(SettingBody { setting: fields }): Body<SettingBody>) -> Outcome {
    let param = fields.param.map(|param| param.trim().to_owned()).filter(|param| !param.is_empty());
    let (Some(tenant_id), Some(param), Some(value)) = (fields.tenant_id, param, fields.value) else {
        return Err(Refusal::MissingSettingFields.into());
    };
    ensure_tenant(ctx, &tenant_id).await?;
    let id = uuid::Uuid::new_v4().to_string();
    let setting = TenantSetting { id, tenant_id, param, value, override_: fields.override_ };
    ctx.tenants.add_tenant_setting(&setting).await.map_err(Reject::store(Store::Tenants))?;
    Ok(reply(StatusCode::CREATED, &json!({ "setting": setting_json(&setting) })))
}
