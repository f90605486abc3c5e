//! `getTenantSettings?tenant_id=`: the create and join parameters tenants set, of one tenant or of every tenant,
//! or a message when there are none.

use http::StatusCode;
use serde_json::{Value, json};

use super::reply;
use super::tenant_common::{ensure_tenant, setting_json};
use crate::Ctx;
use crate::registry::Outcome;
use crate::reject::{Reject, Store};
use crate::request::Call;

pub async fn run(ctx: &Ctx, Call { params, .. }: Call) -> Outcome {
    let tenant_id = params.non_blank("tenant_id");
    if let Some(id) = tenant_id {
        ensure_tenant(ctx, id).await?;
    }
    let settings = ctx.tenants.tenant_settings(tenant_id).await.map_err(Reject::store(Store::Tenants))?;
    if settings.is_empty() {
        Ok(reply(StatusCode::OK, &json!({ "message": "No tenant settings exist" })))
    } else {
        Ok(reply(StatusCode::OK, &Value::Array(settings.iter().map(setting_json).collect())))
    }
}
