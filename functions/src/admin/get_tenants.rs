//! `getTenants`: every tenant, or a message when there are none.

use http::StatusCode;
use serde_json::{Value, json};

use super::reply;
use super::tenant_common::tenant_summary_json;
use crate::Ctx;
use crate::registry::Outcome;
use crate::reject::{Reject, Store};
use crate::request::Call;

pub async fn run(ctx: &Ctx, _: Call) -> Outcome {
    let tenants = ctx.tenants.tenants().await.map_err(Reject::store(Store::Tenants))?;
    if tenants.is_empty() {
        Ok(reply(StatusCode::OK, &json!({ "message": "No tenants exist" })))
    } else {
        Ok(reply(StatusCode::OK, &Value::Array(tenants.iter().map(tenant_summary_json).collect())))
    }
}
