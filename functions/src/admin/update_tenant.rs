//! `updateTenant` `{"id", "tenant": {"name"?, "secrets"?, LRS fields?, limits?}}`: renames a tenant, replaces its
//! secrets, replaces (all LRS fields blank: removes) its Learning Record Store settings, or sets its limits.

use http::StatusCode;
use scalelite_shared::store::StoreError;

use super::answers::{TenantAnswer, TenantObject};
use super::bodies::{Body, TenantBody};
use super::described::{Answer, Described, schema};
use super::reply;
use super::tenant_common::{lrs_of, name_of, secrets_of, tenant_not_found};
use crate::Ctx;
use crate::refusal::Refusal;
use crate::registry::Outcome;
use crate::reject::{Reject, Store};

/// How the OpenAPI document describes it.
pub const DOC: Described = Described {
    summary: "Renames a tenant, replaces its secrets, replaces (all LRS fields blank: removes) its Learning Record Store, or sets its limits (0, null or blank: none).",
    query: &[],
    body: Some(schema::<TenantBody>),
    answers: &[
        Answer::success(StatusCode::OK, "The tenant as changed.", schema::<TenantAnswer>),
        Answer::refused(
            StatusCode::BAD_REQUEST,
            "A name that is not a host label, incomplete LRS fields, or a limit that is not a whole number.",
        ),
        Answer::refused(StatusCode::NOT_FOUND, "No tenant has this id."),
        Answer::refused(StatusCode::UNPROCESSABLE_ENTITY, "Another tenant has that name."),
    ],
};

pub async fn run(ctx: &Ctx, Body(TenantBody { id, tenant: fields }): Body<TenantBody>) -> Outcome {
    let id = id.unwrap_or_default();
    let Some(mut tenant) = ctx.tenants.tenant(&id).await.map_err(Reject::store(Store::Tenants))? else {
        return Err(tenant_not_found(&id));
    };
    match name_of(&fields) {
        Some(Ok(name)) => tenant.name = name,
        Some(Err(refusal)) => return Err(refusal),
        None => {}
    }
    if let Some(secrets) = secrets_of(&fields) {
        tenant.secrets = secrets;
    }
    if let Some(lrs) = lrs_of(&fields.lrs).transpose()? {
        tenant.lrs = lrs;
    }
    if let Some(max) = fields.max_meetings.change("max_meetings")? {
        tenant.max_meetings = max;
    }
    if let Some(max) = fields.max_participants.change("max_participants")? {
        tenant.max_participants = max;
    }
    match ctx.tenants.update_tenant(&tenant).await {
        Ok(Some(tenant)) => Ok(reply(StatusCode::OK, &TenantAnswer { tenant: TenantObject::whole(&tenant) })),
        Ok(None) => Err(tenant_not_found(&id)),
        Err(StoreError::Conflict(_)) => Err(Refusal::TenantExists.into()),
        Err(other) => Err(Reject::Store(Store::Tenants, other)),
    }
}
