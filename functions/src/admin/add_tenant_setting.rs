//! `addTenantSetting` `{"setting": {"tenant_id", "param", "value", "override"?}}`: a create and join parameter
//! of a tenant, below the client's (a default) or, with `"override": true`, above it.

use http::StatusCode;
use scalelite_shared::model::TenantSetting;

use super::answers::{SettingAnswer, SettingObject};
use super::bodies::{Body, SettingBody};
use super::described::{Answer, Described, schema};
use super::reply;
use super::tenant_common::ensure_tenant;
use crate::Ctx;
use crate::refusal::Refusal;
use crate::registry::Outcome;
use crate::reject::{Reject, Store};

/// How the OpenAPI document describes it.
pub const DOC: Described = Described {
    summary: "A create and join parameter of a tenant: a default below the client's, or with `override` above it.",
    query: &[],
    body: Some(schema::<SettingBody>),
    answers: &[
        Answer::success(StatusCode::CREATED, "The new setting.", schema::<SettingAnswer>),
        Answer::refused(StatusCode::BAD_REQUEST, "No tenant_id, param or value."),
        Answer::refused(StatusCode::NOT_FOUND, "No tenant has this tenant_id."),
    ],
};

pub async fn run(ctx: &Ctx, Body(SettingBody { setting: fields }): Body<SettingBody>) -> Outcome {
    let param = fields.param.map(|param| param.trim().to_owned()).filter(|param| !param.is_empty());
    let (Some(tenant_id), Some(param), Some(value)) = (fields.tenant_id, param, fields.value) else {
        return Err(Refusal::MissingSettingFields.into());
    };
    ensure_tenant(ctx, &tenant_id).await?;
    let id = uuid::Uuid::new_v4().to_string();
    let setting = TenantSetting { id, tenant_id, param, value, override_: fields.override_ };
    ctx.tenants.add_tenant_setting(&setting).await.map_err(Reject::store(Store::Tenants))?;
    Ok(reply(StatusCode::CREATED, &SettingAnswer { setting: SettingObject::of(&setting) }))
}
