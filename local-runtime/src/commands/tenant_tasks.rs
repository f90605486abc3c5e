//! Upstream's tenant rake tasks (`tenants:add[NAME,SECRETS]`, `tenants:update[ID,NAME,SECRETS]`,
//! `tenants:update_lrs_basic[…]`, `tenants:update_lrs_kc[…]`, `tenants:remove[ID]`) with upstream's output and
//! exit codes, so operators' scripts keep working: `OK` then `New Tenant id: …` or `Updated Tenant id: …`,
//! upstream's error lines on stderr with exit 1, no question before a removal, and nothing done while
//! `MULTITENANCY_ENABLED` is off.

use clap::Subcommand;
use scalelite_functions::Ctx;
use scalelite_shared::model::{KeycloakLogin, Lrs, Tenant};

/// A task's answer as upstream gives it when it fails: the line on stderr, then exit 1.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct Aborted(pub &'static str);

/// The tasks, each with its bracketed arguments as given (an omitted one is empty).
#[derive(Subcommand)]
pub enum TenantTask {
    Add {
        #[arg(default_value = "")]
        name: String,
        #[arg(default_value = "")]
        secrets: String,
    },
    Update {
        #[arg(default_value = "")]
        id: String,
        #[arg(default_value = "")]
        name: String,
        #[arg(default_value = "")]
        secrets: String,
    },
    UpdateLrsBasic {
        #[arg(default_value = "")]
        id: String,
        #[arg(default_value = "")]
        endpoint: String,
        #[arg(default_value = "")]
        username: String,
        #[arg(default_value = "")]
        password: String,
    },
    UpdateLrsKc {
        #[arg(default_value = "")]
        id: String,
        #[arg(default_value = "")]
        endpoint: String,
        #[arg(default_value = "")]
        token_url: String,
        #[arg(default_value = "")]
        client_id: String,
        #[arg(default_value = "")]
        client_secret: String,
        #[arg(default_value = "")]
        username: String,
        #[arg(default_value = "")]
        password: String,
    },
    Remove {
        #[arg(default_value = "")]
        id: String,
    },
}

/// Upstream aborts every tenant task while multitenancy is off.
pub fn check_multitenancy(ctx: &Ctx) -> anyhow::Result<()> {
    if ctx.config.multitenancy {
        return Ok(());
    }
    Err(Aborted("Multitenancy is disabled, task can not be completed").into())
}

/// The tenant `id`, or upstream's answer for one that does not exist.
async fn existing(ctx: &Ctx, id: &str) -> anyhow::Result<Tenant> {
    match ctx.tenants.tenant(id).await? {
        Some(tenant) => Ok(tenant),
        None => {
            eprintln!("Tenant with id {id} does not exist in the system. Exiting...");
            Err(Aborted("").into())
        }
    }
}

fn updated(tenant: &Tenant) {
    println!("OK\nUpdated Tenant id: {}", tenant.id);
}

pub async fn run(ctx: &Ctx, task: TenantTask) -> anyhow::Result<()> {
    check_multitenancy(ctx)?;
    match task {
        TenantTask::Add { name, secrets } => {
            let name = name.trim().to_ascii_lowercase();
            let secrets = Tenant::parse_secrets(&secrets);
            if name.is_empty() || secrets.is_empty() {
                return Err(Aborted("Error: both name and secrets are required to create a Tenant").into());
            }
            if !Tenant::valid_name(&name) {
                return Err(Aborted("Error: the name must be a host label (letters, digits and '-')").into());
            }
            let tenant = Tenant::new(uuid::Uuid::new_v4().to_string(), name, secrets);
            ctx.tenants.add_tenant(&tenant).await?;
            println!("OK\nNew Tenant id: {}", tenant.id);
        }
        TenantTask::Update { id, name, secrets } => {
            let (name, secrets) = (name.trim().to_ascii_lowercase(), Tenant::parse_secrets(&secrets));
            if id.trim().is_empty() || (name.is_empty() && secrets.is_empty()) {
                return Err(Aborted("Error: id and either name or secrets are required to update a Tenant").into());
            }
            let mut tenant = existing(ctx, &id).await?;
            if !name.is_empty() {
                if !Tenant::valid_name(&name) {
                    return Err(Aborted("Error: the name must be a host label (letters, digits and '-')").into());
                }
                tenant.name = name;
            }
            if !secrets.is_empty() {
                tenant.secrets = secrets;
            }
            ctx.tenants.update_tenant(&tenant).await?;
            updated(&tenant);
        }
        TenantTask::UpdateLrsBasic { id, endpoint, username, password } => {
            let lrs = Lrs::basic(&endpoint, &username, &password).filter(|_| !id.trim().is_empty()).ok_or(Aborted(
                "Error: id, LRS_ENDPOINT, LRS_USERNAME, LRS_PASSWORD are required to update a Tenant",
            ))?;
            let tenant = Tenant { lrs: Some(lrs), ..existing(ctx, &id).await? };
            ctx.tenants.update_tenant(&tenant).await?;
            updated(&tenant);
        }
        TenantTask::UpdateLrsKc { id, endpoint, token_url, client_id, client_secret, username, password } => {
            let login = KeycloakLogin { token_url, client_id, client_secret, username, password };
            let lrs = Lrs::keycloak(&endpoint, login).filter(|_| !id.trim().is_empty()).ok_or(Aborted(
                "Error: LRS_ENDPOINT, KC_TOKEN_URL, KC_CLIENT_ID, KC_CLIENT_SECRET, KC_USERNAME, KC_PASSWORD are \
                 required to update a Tenant",
            ))?;
            let tenant = Tenant { lrs: Some(lrs), ..existing(ctx, &id).await? };
            ctx.tenants.update_tenant(&tenant).await?;
            updated(&tenant);
        }
        TenantTask::Remove { id } => {
            existing(ctx, &id).await?;
            ctx.tenants.delete_tenant(&id).await?;
            println!("Tenant was successfully deleted.");
        }
    }
    Ok(())
}
