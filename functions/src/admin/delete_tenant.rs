//! `deleteTenant` `{"id"}`: removes a tenant and its settings.

use http::StatusCode;

use super::answers::Success;
use super::bodies::{Body, ById};
use super::described::{Answer, Described, schema};
use super::reply;
use super::tenant_common::tenant_not_found;
use crate::Ctx;
use crate::registry::Outcome;
use crate::reject::{Reject, Store};

/// How the OpenAPI document describes it.
pub const DOC: Described = Described {
    summary: "Removes a tenant and its settings.",
    query: &[],
    body: Some(schema::<ById>),
    answers: &[
        Answer::success(StatusCode::OK, "The tenant is removed.", schema::<Success>),
        Answer::refused(StatusCode::NOT_FOUND, "No tenant has this id."),
    ],
};

pub async fn run(ctx: &Ctx, Body(ById { id }): Body<ById>) -> Outcome {
    let id = id.unwrap_or_default();
    if ctx.tenants.delete_tenant(&id).await.map_err(Reject::store(Store::Tenants))? {
        Ok(reply(StatusCode::OK, &Success { success: format!("Tenant id={id} was destroyed") }))
    } else {
        Err(tenant_not_found(&id))
    }
}
