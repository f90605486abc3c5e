//! `deleteTenantSetting` `{"id"}`: removes one tenant setting.

use http::StatusCode;

use super::answers::Success;
use super::bodies::{Body, ById};
use super::described::{Answer, Described, schema};
use super::reply;
use crate::Ctx;
use crate::refusal::Refusal;
use crate::registry::Outcome;
use crate::reject::{Reject, Store};

/// How the OpenAPI document describes it.
pub const DOC: Described = Described {
    summary: "Removes one tenant setting.",
    query: &[],
    body: Some(schema::<ById>),
    answers: &[
        Answer::success(StatusCode::OK, "The setting is removed.", schema::<Success>),
        Answer::refused(StatusCode::NOT_FOUND, "No tenant setting has this id."),
    ],
};

pub async fn run(ctx: &Ctx, Body(ById { id }): Body<ById>) -> Outcome {
    let id = id.unwrap_or_default();
    if ctx.tenants.delete_tenant_setting(&id).await.map_err(Reject::store(Store::Tenants))? {
        Ok(reply(StatusCode::OK, &Success { success: format!("TenantSetting id={id} was destroyed") }))
    } else {
        Err(Refusal::TenantSettingNotFound(id).into())
    }
}
