//! `getTenantInfo?id=`: one tenant.

use http::StatusCode;

use super::answers::TenantObject;
use super::described::{Answer, Described, Query, schema};
use super::reply;
use super::tenant_common::tenant_not_found;
use crate::Ctx;
use crate::registry::Outcome;
use crate::reject::{Reject, Store};
use crate::request::Call;

/// How the OpenAPI document describes it.
pub const DOC: Described = Described {
    summary: "One tenant, with the limits it has and its Learning Record Store fields.",
    query: &[Query { name: "id", required: true, about: "The tenant's id." }],
    body: None,
    answers: &[
        Answer::success(StatusCode::OK, "The tenant.", schema::<TenantObject>),
        Answer::refused(StatusCode::NOT_FOUND, "No tenant has this id."),
    ],
};

pub async fn run(ctx: &Ctx, input: Call) -> Outcome {
    let id = input.params.get("id").unwrap_or_default().to_owned();
    match ctx.tenants.tenant(&id).await.map_err(Reject::store(Store::Tenants))? {
        Some(tenant) => Ok(reply(StatusCode::OK, &TenantObject::whole(&tenant))),
        None => Err(tenant_not_found(&id)),
    }
}
