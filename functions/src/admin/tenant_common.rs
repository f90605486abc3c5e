//! What the tenant actions share: the 412 answer when tenancy is off, the tenant object, its input fields.

use http::StatusCode;
use scalelite_shared::model::Tenant;
use serde_json::{Value, json};

use crate::reject::Reject;

pub(crate) fn tenant_json(tenant: &Tenant) -> Value {
    json!({ "id": tenant.id, "name": tenant.name, "secrets": tenant.stored_secrets() })
}

pub(crate) fn tenant_not_found(id: &str) -> Reject {
    Reject::json(StatusCode::NOT_FOUND, &format!("Couldn't find Tenant with id={id}"))
}

/// `tenant.name` of a body, when it is a usable host label (letters, digits, `-`).
pub(crate) fn name_of(body: &Value) -> Option<Result<String, Reject>> {
    let name = body.get("tenant")?.get("name")?.as_str()?.trim().to_ascii_lowercase();
    Some(if Tenant::valid_name(&name) {
        Ok(name)
    } else {
        Err(Reject::json(StatusCode::BAD_REQUEST, "A tenant name is a host label: letters, digits and '-'"))
    })
}

/// `tenant.secrets` of a body: `:`-separated, blanks dropped.
pub(crate) fn secrets_of(body: &Value) -> Option<Vec<String>> {
    let secrets = Tenant::parse_secrets(body.get("tenant")?.get("secrets")?.as_str()?);
    (!secrets.is_empty()).then_some(secrets)
}
