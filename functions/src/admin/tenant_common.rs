//! What the tenant actions share: the tenant's input fields and the check that a tenant exists.

use scalelite_shared::model::{KeycloakLogin, Lrs, Tenant};

use super::bodies::{LrsFields, TenantFields};
use crate::Ctx;
use crate::refusal::Refusal;
use crate::reject::{Reject, Store};

pub(crate) fn tenant_not_found(id: &str) -> Reject {
    Refusal::TenantNotFound(id.to_owned()).into()
}

/// `tenantNotFound` unless tenant `id` exists.
pub(crate) async fn ensure_tenant(ctx: &Ctx, id: &str) -> Result<(), Reject> {
    match ctx.tenants.tenant(id).await.map_err(Reject::store(Store::Tenants))? {
        Some(_) => Ok(()),
        None => Err(tenant_not_found(id)),
    }
}

/// The tenant's name, when given: a usable host label (letters, digits, `-`), else a refusal.
pub(crate) fn name_of(fields: &TenantFields) -> Option<Result<String, Reject>> {
    let name = fields.name.as_deref()?.trim().to_ascii_lowercase();
    Some(if Tenant::valid_name(&name) { Ok(name) } else { Err(Refusal::InvalidTenantName.into()) })
}

/// The tenant's secrets, when given: `:`-separated, blanks dropped.
pub(crate) fn secrets_of(fields: &TenantFields) -> Option<Vec<String>> {
    let secrets = Tenant::parse_secrets(fields.secrets.as_deref()?);
    (!secrets.is_empty()).then_some(secrets)
}

/// The LRS settings, when any of their fields is given: `Ok(None)` when all of them are blank (the settings
/// are removed), a 400 when they are neither complete basic credentials nor a complete Keycloak login.
pub(crate) fn lrs_of(fields: &LrsFields) -> Option<Result<Option<Lrs>, Reject>> {
    let all = [
        &fields.lrs_endpoint,
        &fields.lrs_username,
        &fields.lrs_password,
        &fields.kc_token_url,
        &fields.kc_client_id,
        &fields.kc_client_secret,
        &fields.kc_username,
        &fields.kc_password,
    ];
    if all.iter().all(|field| field.is_none()) {
        return None;
    }
    let text = |field: &Option<String>| field.clone().unwrap_or_default();
    let given = |parts: &[&Option<String>]| parts.iter().any(|part| !text(part).trim().is_empty());
    let basic = given(&[&fields.lrs_username, &fields.lrs_password]);
    let keycloak = given(&[
        &fields.kc_token_url,
        &fields.kc_client_id,
        &fields.kc_client_secret,
        &fields.kc_username,
        &fields.kc_password,
    ]);
    let endpoint = text(&fields.lrs_endpoint);
    let lrs = match (basic, keycloak) {
        (false, false) if endpoint.trim().is_empty() => return Some(Ok(None)),
        (true, false) => Lrs::basic(&endpoint, &text(&fields.lrs_username), &text(&fields.lrs_password)),
        (false, true) => Lrs::keycloak(
            &endpoint,
            KeycloakLogin {
                token_url: text(&fields.kc_token_url),
                client_id: text(&fields.kc_client_id),
                client_secret: text(&fields.kc_client_secret),
                username: text(&fields.kc_username),
                password: text(&fields.kc_password),
            },
        ),
        _ => None,
    };
    Some(lrs.map(Some).ok_or_else(|| Refusal::InvalidLrs.into()))
}
