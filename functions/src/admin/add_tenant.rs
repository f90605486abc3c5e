//! `addTenant` `{"tenant": {"name", "secrets", LRS fields?, limits?}}`: a new tenant, reached at `<name>.<host>`,
//! with its Learning Record Store when the LRS fields are given (upstream takes those from rake tasks only) and
//! its limits when given.

use http::StatusCode;
use scalelite_shared::model::Tenant;
use scalelite_shared::store::StoreError;

use super::answers::{TenantAnswer, TenantObject};
use super::bodies::{Body, TenantBody};
use super::described::{Answer, Described, schema};
use super::reply;
use super::tenant_common::{lrs_of, name_of, secrets_of};
use crate::Ctx;
use crate::refusal::Refusal;
use crate::registry::Outcome;
use crate::reject::{Reject, Store};

/// How the OpenAPI document describes it.
pub const DOC: Described = Described {
    summary: "A new tenant, reached at `<name>.<host>`, with its Learning Record Store when the LRS fields are given, and its limits when given.",
    query: &[],
    body: Some(schema::<TenantBody>),
    answers: &[
        Answer::success(StatusCode::CREATED, "The new tenant.", schema::<TenantAnswer>),
        Answer::refused(
            StatusCode::BAD_REQUEST,
            "No name or secrets, a name that is not a host label, incomplete LRS fields, or a limit that is not a whole number.",
        ),
        Answer::refused(StatusCode::UNPROCESSABLE_ENTITY, "A tenant with that name exists."),
    ],
};

pub async fn run(ctx: &Ctx, Body(TenantBody { tenant: fields, .. }): Body<TenantBody>) -> Outcome {
    let (Some(name), Some(secrets)) = (name_of(&fields), secrets_of(&fields)) else {
        return Err(Refusal::MissingTenantFields.into());
    };
    let name = match name {
        Ok(name) => name,
        Err(refusal) => return Err(refusal),
    };
    let lrs = lrs_of(&fields.lrs).transpose()?.flatten();
    let tenant = Tenant {
        lrs,
        max_meetings: fields.max_meetings.change("max_meetings")?.flatten(),
        max_participants: fields.max_participants.change("max_participants")?.flatten(),
        ..Tenant::new(uuid::Uuid::new_v4().to_string(), name, secrets)
    };
    match ctx.tenants.add_tenant(&tenant).await {
        Ok(()) => Ok(reply(StatusCode::CREATED, &TenantAnswer { tenant: TenantObject::whole(&tenant) })),
        Err(StoreError::Conflict(_)) => Err(Refusal::TenantExists.into()),
        Err(other) => Err(Reject::Store(Store::Tenants, other)),
    }
}
