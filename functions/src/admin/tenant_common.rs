//! What the tenant actions share: the 412 answer when tenancy is off, the tenant object, its input fields.

use scalelite_shared::model::{KeycloakLogin, Lrs, Tenant};
use serde_json::{Value, json};

use crate::refusal::Refusal;
use crate::reject::Reject;

/// A tenant as `getTenants` lists it.
pub(crate) fn tenant_summary_json(tenant: &Tenant) -> Value {
    json!({ "id": tenant.id, "name": tenant.name, "secrets": tenant.stored_secrets() })
}

/// A tenant whole: its summary and, as upstream shows them, the LRS fields it has.
pub(crate) fn tenant_json(tenant: &Tenant) -> Value {
    let mut object = tenant_summary_json(tenant);
    for (field, value) in Lrs::fields(tenant.lrs.as_ref()) {
        if let Some(value) = value {
            object[field] = Value::from(value);
        }
    }
    object
}

pub(crate) fn tenant_not_found(id: &str) -> Reject {
    Refusal::TenantNotFound(id.to_owned()).into()
}

/// `tenant.name` of a body, when it is a usable host label (letters, digits, `-`).
pub(crate) fn name_of(body: &Value) -> Option<Result<String, Reject>> {
    let name = body.get("tenant")?.get("name")?.as_str()?.trim().to_ascii_lowercase();
    Some(if Tenant::valid_name(&name) { Ok(name) } else { Err(Refusal::InvalidTenantName.into()) })
}

/// `tenant.secrets` of a body: `:`-separated, blanks dropped.
pub(crate) fn secrets_of(body: &Value) -> Option<Vec<String>> {
    let secrets = Tenant::parse_secrets(body.get("tenant")?.get("secrets")?.as_str()?);
    (!secrets.is_empty()).then_some(secrets)
}

/// The LRS settings of a body's `tenant`, when it names any of their fields: `Ok(None)` when all of them are
/// blank (the settings are removed), a 400 when they are neither complete basic credentials nor a complete
/// Keycloak login.
pub(crate) fn lrs_of(body: &Value) -> Option<Result<Option<Lrs>, Reject>> {
    let tenant = body.get("tenant")?;
    if Lrs::fields(None).iter().all(|(field, _)| tenant.get(field).is_none()) {
        return None;
    }
    let text = |field: &str| tenant.get(field).and_then(Value::as_str).unwrap_or_default();
    let given = |fields: &[&str]| fields.iter().any(|field| !text(field).trim().is_empty());
    let basic = given(&["lrs_username", "lrs_password"]);
    let keycloak = given(&["kc_token_url", "kc_client_id", "kc_client_secret", "kc_username", "kc_password"]);
    let endpoint = text("lrs_endpoint");
    let lrs = match (basic, keycloak) {
        (false, false) if endpoint.trim().is_empty() => return Some(Ok(None)),
        (true, false) => Lrs::basic(endpoint, text("lrs_username"), text("lrs_password")),
        (false, true) => Lrs::keycloak(
            endpoint,
            KeycloakLogin {
                token_url: text("kc_token_url").to_owned(),
                client_id: text("kc_client_id").to_owned(),
                client_secret: text("kc_client_secret").to_owned(),
                username: text("kc_username").to_owned(),
                password: text("kc_password").to_owned(),
            },
        ),
        _ => None,
    };
    Some(lrs.map(Some).ok_or_else(|| Refusal::InvalidLrs.into()))
}
