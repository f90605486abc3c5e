//! `scalelite tenants …` and `scalelite tenant-settings …`: the tenants sharing the pool, their limits, their
//! Learning Record Stores, and their create/join parameter settings.

use anyhow::{Context, bail};
use clap::{Args, Subcommand};
use comfy_table::Table;
use scalelite_functions::Ctx;
use scalelite_shared::model::{KeycloakLogin, Lrs, LrsAuth, Tenant, TenantSetting};

use super::{confirm, tenant_tasks};

/// A tenant's limits as flags; 0 removes one.
#[derive(Args)]
pub struct TenantLimitArgs {
    /// The most meetings it may have at once; a create of one more is refused (0: no limit).
    #[arg(long)]
    max_meetings: Option<u64>,
    /// The most participants its meetings may have together; a join past it is refused (0: no limit).
    #[arg(long)]
    max_participants: Option<u64>,
}

impl TenantLimitArgs {
    /// Sets the limits given on `tenant`.
    fn apply(&self, tenant: &mut Tenant) {
        let limit = |max: u64| (max > 0).then_some(max);
        if let Some(max) = self.max_meetings {
            tenant.max_meetings = limit(max);
        }
        if let Some(max) = self.max_participants {
            tenant.max_participants = limit(max);
        }
    }
}

#[derive(Subcommand)]
pub enum TenantsCommand {
    /// List tenants.
    List,
    /// Add a tenant, reached at `<name>.<host>` with its own `:`-separated secrets.
    Add {
        name: String,
        secrets: String,
        #[command(flatten)]
        limits: TenantLimitArgs,
    },
    /// Rename a tenant, replace its secrets, or change its limits (0 removes one).
    Update {
        id: String,
        #[arg(long)]
        name: Option<String>,
        #[arg(long)]
        secrets: Option<String>,
        #[command(flatten)]
        limits: TenantLimitArgs,
    },
    /// Send the tenant's xAPI statements to the LRS at ENDPOINT, with basic credentials.
    LrsBasic { id: String, endpoint: String, username: String, password: String },
    /// Send the tenant's xAPI statements to the LRS at ENDPOINT, with a bearer token fetched at each create
    /// from the Keycloak (OpenID Connect) token URL with the password grant.
    LrsKeycloak {
        id: String,
        endpoint: String,
        token_url: String,
        client_id: String,
        client_secret: String,
        username: String,
        password: String,
    },
    /// Stop sending the tenant's xAPI statements anywhere.
    LrsRemove { id: String },
    /// Remove a tenant and its settings (asks first, unless --yes).
    Remove {
        id: String,
        #[arg(long)]
        yes: bool,
    },
}

#[derive(Subcommand)]
pub enum SettingsCommand {
    /// List every tenant's settings.
    List,
    /// Add a create/join parameter for a tenant: below the client's, or above it with --override.
    Add {
        tenant_id: String,
        param: String,
        value: String,
        #[arg(long = "override")]
        override_: bool,
    },
    /// Remove a setting.
    Remove { id: String },
}

fn secrets(list: &str) -> anyhow::Result<Vec<String>> {
    let secrets = Tenant::parse_secrets(list);
    if secrets.is_empty() {
        bail!("a tenant needs at least one secret");
    }
    Ok(secrets)
}

fn name(name: &str) -> anyhow::Result<String> {
    let name = name.to_ascii_lowercase();
    if !Tenant::valid_name(&name) {
        bail!("{name:?} is not a host label (letters, digits and '-')");
    }
    Ok(name)
}

async fn tenant(ctx: &Ctx, id: &str) -> anyhow::Result<Tenant> {
    ctx.tenants.tenant(id).await?.with_context(|| format!("no tenant with id {id}"))
}

/// Replaces the tenant's LRS settings.
async fn set_lrs(ctx: &Ctx, id: &str, lrs: Option<Lrs>) -> anyhow::Result<()> {
    let tenant = Tenant { lrs, ..tenant(ctx, id).await? };
    ctx.tenants.update_tenant(&tenant).await?;
    println!("updated {id}");
    Ok(())
}

/// Prints the tenants as upstream's `tenants` task does: an `id:` line each, its fields tab-indented below it
/// (the limits and the LRS ones only when set), then the count.
fn print_upstream(tenants: &[Tenant]) {
    for tenant in tenants {
        println!("id: {}\n\tname: {}\n\tsecrets: {}", tenant.id, tenant.name, tenant.stored_secrets());
        for (name, limit) in [("max_meetings", tenant.max_meetings), ("max_participants", tenant.max_participants)] {
            if let Some(max) = limit {
                println!("\t{name}: {max}");
            }
        }
        let Some(lrs) = &tenant.lrs else { continue };
        println!("\tlrs_endpoint: {}", lrs.endpoint);
        match &lrs.auth {
            LrsAuth::Basic { username, password } => {
                println!("\tlrs_username: {username}\n\tlrs_password: {password}");
            }
            LrsAuth::Keycloak(login) => {
                println!("\tkc_token_url: {}\n\tkc_client_id: {}", login.token_url, login.client_id);
                println!("\tkc_client_secret: {}\n\tkc_username: {}", login.client_secret, login.username);
                println!("\tkc_password: {}", login.password);
            }
        }
    }
    println!("Total number of tenants: {}", tenants.len());
}

pub async fn run(ctx: &Ctx, command: TenantsCommand) -> anyhow::Result<()> {
    let listing = matches!(command, TenantsCommand::List);
    if !ctx.config.multitenancy && !listing {
        eprintln!("note: MULTITENANCY_ENABLED is off, so tenants are kept but not used");
    }
    match command {
        TenantsCommand::List => {
            // The listing is upstream's `tenants` task too: its format, and its refusal while multitenancy is off.
            tenant_tasks::check_multitenancy(ctx)?;
            print_upstream(&ctx.tenants.tenants().await?);
        }
        TenantsCommand::Add { name: given, secrets: list, limits } => {
            let id = uuid::Uuid::new_v4().to_string();
            let mut tenant = Tenant::new(id, name(&given)?, secrets(&list)?);
            limits.apply(&mut tenant);
            ctx.tenants.add_tenant(&tenant).await?;
            println!("id: {}", tenant.id);
        }
        TenantsCommand::Update { id, name: new_name, secrets: new_secrets, limits } => {
            let mut tenant = tenant(ctx, &id).await?;
            limits.apply(&mut tenant);
            if let Some(given) = new_name {
                tenant.name = name(&given)?;
            }
            if let Some(list) = new_secrets {
                tenant.secrets = secrets(&list)?;
            }
            ctx.tenants.update_tenant(&tenant).await?;
            println!("updated {id}");
        }
        TenantsCommand::LrsBasic { id, endpoint, username, password } => {
            let lrs = Lrs::basic(&endpoint, &username, &password).context("the LRS settings have a blank part")?;
            set_lrs(ctx, &id, Some(lrs)).await?;
        }
        TenantsCommand::LrsKeycloak { id, endpoint, token_url, client_id, client_secret, username, password } => {
            let login = KeycloakLogin { token_url, client_id, client_secret, username, password };
            let lrs = Lrs::keycloak(&endpoint, login).context("the LRS settings have a blank part")?;
            set_lrs(ctx, &id, Some(lrs)).await?;
        }
        TenantsCommand::LrsRemove { id } => set_lrs(ctx, &id, None).await?,
        TenantsCommand::Remove { id, yes } => {
            let tenant = tenant(ctx, &id).await?;
            if !confirm(&format!("Remove tenant {} and its settings?", tenant.name), yes) {
                bail!("not removed");
            }
            ctx.tenants.delete_tenant(&id).await?;
            println!("removed {id}");
        }
    }
    Ok(())
}

pub async fn settings(ctx: &Ctx, command: SettingsCommand) -> anyhow::Result<()> {
    match command {
        SettingsCommand::List => {
            let mut table = Table::new();
            table.set_header(["ID", "TENANT", "PARAM", "VALUE", "OVERRIDE"]);
            for s in ctx.tenants.tenant_settings(None).await? {
                table.add_row([s.id, s.tenant_id, s.param, s.value, s.override_.to_string()]);
            }
            println!("{table}");
        }
        SettingsCommand::Add { tenant_id, param, value, override_ } => {
            tenant(ctx, &tenant_id).await?;
            let setting = TenantSetting { id: uuid::Uuid::new_v4().to_string(), tenant_id, param, value, override_ };
            ctx.tenants.add_tenant_setting(&setting).await?;
            println!("id: {}", setting.id);
        }
        SettingsCommand::Remove { id } => {
            if !ctx.tenants.delete_tenant_setting(&id).await? {
                bail!("no setting with id {id}");
            }
            println!("removed {id}");
        }
    }
    Ok(())
}
