//! `getTenants`: every tenant, or a message when there are none.

use http::StatusCode;

use super::answers::{Message, TenantObject, Tenants};
use super::described::{Answer, Described, schema};
use super::reply;
use crate::Ctx;
use crate::registry::Outcome;
use crate::reject::{Reject, Store};
use crate::request::Call;

/// How the OpenAPI document describes it.
pub const DOC: Described = Described {
    summary: "Every tenant, or a message when there is none.",
    query: &[],
    body: None,
    answers: &[Answer::success(StatusCode::OK, "The tenants, or a message.", schema::<Tenants>)],
};

pub async fn run(ctx: &Ctx, _: Call) -> Outcome {
    let tenants = ctx.tenants.tenants().await.map_err(Reject::store(Store::Tenants))?;
    let answer = if tenants.is_empty() {
        Tenants::None(Message { message: "No tenants exist".to_owned() })
    } else {
        Tenants::Listed(tenants.iter().map(TenantObject::summary).collect())
    };
    Ok(reply(StatusCode::OK, &answer))
}
