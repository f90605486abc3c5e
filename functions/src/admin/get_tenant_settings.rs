//! `getTenantSettings?tenant_id=`: the create and join parameters tenants set, of one tenant or of every tenant,
//! or a message when there are none.

use http::StatusCode;

use super::answers::{Message, SettingObject, TenantSettings};
use super::described::{Answer, Described, Query, schema};
use super::reply;
use super::tenant_common::ensure_tenant;
use crate::Ctx;
use crate::registry::Outcome;
use crate::reject::{Reject, Store};
use crate::request::Call;

/// How the OpenAPI document describes it.
pub const DOC: Described = Described {
    summary: "The create and join parameters of one tenant or of all, or a message when there is none.",
    query: &[Query { name: "tenant_id", required: false, about: "Only this tenant's settings." }],
    body: None,
    answers: &[
        Answer::success(StatusCode::OK, "The settings, or a message.", schema::<TenantSettings>),
        Answer::refused(StatusCode::NOT_FOUND, "No tenant has this tenant_id."),
    ],
};

pub async fn run(ctx: &Ctx, Call { params, .. }: Call) -> Outcome {
    let tenant_id = params.non_blank("tenant_id");
    if let Some(id) = tenant_id {
        ensure_tenant(ctx, id).await?;
    }
    let settings = ctx.tenants.tenant_settings(tenant_id).await.map_err(Reject::store(Store::Tenants))?;
    let answer = if settings.is_empty() {
        TenantSettings::None(Message { message: "No tenant settings exist".to_owned() })
    } else {
        TenantSettings::Listed(settings.iter().map(SettingObject::of).collect())
    };
    Ok(reply(StatusCode::OK, &answer))
}
