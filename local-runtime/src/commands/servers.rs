//! `scalelite servers …`: list, add, update, remove, enable, cordon, disable, panic.

use anyhow::{Context, bail};
use clap::{Args, Subcommand};
use scalelite_functions::Ctx;
use scalelite_functions::admin::add_server::new_server;
use scalelite_functions::admin::panic_server::panic;
use scalelite_shared::model::{Server, ServerState, ServerUpdate};

use super::confirm;
use super::sync::{self, Mode};

/// A server's limits as flags; 0 removes one.
#[derive(Args)]
pub struct LimitArgs {
    /// The most meetings placed on it at once (0: no limit).
    #[arg(long)]
    max_meetings: Option<u64>,
    /// The most participants, as its last poll counted them, with which it still takes a new meeting (0: no limit).
    #[arg(long)]
    max_participants: Option<u64>,
}

impl LimitArgs {
    /// The change they ask for.
    fn update(&self) -> ServerUpdate {
        let limit = |given: Option<u64>| given.map(|max| (max > 0).then_some(max));
        ServerUpdate {
            max_meetings: limit(self.max_meetings),
            max_participants: limit(self.max_participants),
            ..ServerUpdate::default()
        }
    }
}

#[derive(Subcommand)]
pub enum ServersCommand {
    /// List every server with its secret, state, load and tag.
    List,
    /// Add a server (disabled until enabled).
    Add {
        /// Its API URL, as `bbb-conf --secret` prints it (`https://bbb.example.org/bigbluebutton/api`); a URL
        /// with no path gets `/bigbluebutton/api`.
        url: String,
        /// Its BBB secret, as `bbb-conf --secret` prints it.
        secret: String,
        /// Weighs its participants (default 1).
        #[arg(long)]
        load_multiplier: Option<f64>,
        /// Only meetings asking for this tag (`meta_server-tag`) go to it, or any meeting when none matches.
        #[arg(long)]
        tag: Option<String>,
        #[command(flatten)]
        limits: LimitArgs,
    },
    /// Change a server's secret, load multiplier, tag (an empty tag removes it) or limits (0 removes one).
    Update {
        id: String,
        #[command(flatten)]
        limits: LimitArgs,
        #[arg(long)]
        secret: Option<String>,
        #[arg(long)]
        load_multiplier: Option<f64>,
        /// The multiplier as upstream's `servers:update` task reads it: unreadable or 0 becomes 1, with its warning.
        #[arg(long, hide = true, conflicts_with = "load_multiplier")]
        rake_load_multiplier: Option<String>,
        #[arg(long)]
        tag: Option<String>,
    },
    /// Remove a server; refused while it has meetings unless --force, which ends them first.
    Remove {
        id: String,
        #[arg(long)]
        force: bool,
    },
    /// Let a server take new meetings.
    Enable { id: String },
    /// Stop new meetings on a server; running ones continue.
    Cordon { id: String },
    /// Take a server out of service; its meetings are ended (asks first, unless --yes).
    Disable {
        id: String,
        #[arg(long)]
        yes: bool,
    },
    /// End every meeting of a server and disable it (--keep-state leaves its state alone).
    Panic {
        id: String,
        #[arg(long)]
        keep_state: bool,
        /// Forget the meetings without asking their server to end them.
        #[arg(long)]
        skip_end_calls: bool,
    },
    /// Make the pool match a YAML file (`-` for standard input), in upstream's `servers:` format.
    Sync {
        file: String,
        /// What happens to servers the file does not list.
        #[arg(long, value_enum, default_value = "cordon")]
        mode: Mode,
        /// Print what would change, change nothing.
        #[arg(long)]
        dry_run: bool,
    },
    /// Print the pool in the YAML format `sync` reads (--verbose adds state, load, version, online).
    Yaml {
        #[arg(long)]
        verbose: bool,
    },
}

fn describe(server: &Server) -> String {
    let load = server.load.map_or_else(|| "unavailable".to_owned(), |load| load.to_string());
    format!(
        "id: {}\n\turl: {}\n\tsecret: {}\n\t{}\n\tload: {load}\n\tload multiplier: {}\n\tbbb version: {}\n\ttag: {}\n\t{}",
        server.id,
        server.url,
        server.secret,
        server.state.as_str(),
        server.load_multiplier,
        server.bbb_version.as_deref().unwrap_or(""),
        server.tag.as_deref().unwrap_or(""),
        if server.online { "online" } else { "offline" },
    )
}

async fn set_state(ctx: &Ctx, id: &str, state: ServerState) -> anyhow::Result<()> {
    let update = ServerUpdate { state: Some(state), ..ServerUpdate::default() };
    ctx.servers.update_server(id, &update).await?.with_context(|| format!("no server with id {id}"))?;
    println!("OK");
    Ok(())
}

/// A BBB server's API URL: one given with no path (`https://bbb.example.org`) gets BBB's `/bigbluebutton/api`,
/// said on stderr; any other is kept as given.
fn api_url(url: &str) -> String {
    let url = url.trim();
    let after_scheme = url.split_once("://").map_or(url, |(_, rest)| rest);
    if after_scheme.trim_end_matches('/').contains('/') {
        return url.to_owned();
    }
    let completed = format!("{}/bigbluebutton/api", url.trim_end_matches('/'));
    eprintln!("note: {url} has no API path; adding {completed}");
    completed
}

pub async fn run(ctx: &Ctx, command: ServersCommand) -> anyhow::Result<()> {
    match command {
        ServersCommand::List => {
            let servers = ctx.servers.servers().await?;
            if servers.is_empty() {
                println!("No servers are configured");
                eprintln!("(in {})", ctx.meetings_at);
            }
            for server in &servers {
                println!("{}", describe(server));
            }
        }
        ServersCommand::Add { url, secret, load_multiplier, tag, limits } => {
            let url = api_url(&url);
            let mut server = new_server(&ctx.config, &url, &secret, load_multiplier, tag.as_deref())?;
            limits.update().apply(&mut server);
            ctx.servers.add_server(&server).await?;
            println!("OK\nid: {}", server.id);
        }
        ServersCommand::Update { id, limits, secret, mut load_multiplier, rake_load_multiplier, tag } => {
            if load_multiplier.is_some_and(|m| !m.is_finite() || m == 0.0) {
                bail!("the load multiplier must be a non-zero number");
            }
            if let Some(given) = rake_load_multiplier {
                let read = given.trim().parse::<f64>().ok().filter(|m| m.is_finite() && *m != 0.0);
                if read.is_none() {
                    println!("WARNING! Load-multiplier was not readable or 0, so it is now 1");
                }
                load_multiplier = Some(read.unwrap_or(1.0));
            }
            let update = ServerUpdate {
                secret: secret.filter(|s| !s.is_empty()),
                load_multiplier,
                tag: tag.map(|t| Some(t).filter(|t| !t.is_empty())),
                ..limits.update()
            };
            ctx.servers.update_server(&id, &update).await?.with_context(|| format!("no server with id {id}"))?;
            println!("OK");
        }
        ServersCommand::Remove { id, force } => {
            ctx.servers.server(&id).await?.with_context(|| format!("no server with id {id}"))?;
            let meetings = ctx.meetings.meetings_on(&id, ctx.meetings.now_ms().await?).await?;
            if !meetings.is_empty() {
                if !force {
                    bail!("server {id} has {} meetings; end them first or use --force", meetings.len());
                }
                if panic(ctx, &id, true, false).await? == Some(false) {
                    eprintln!("warning: some meetings could not be ended on the server");
                }
            }
            ctx.servers.delete_server(&id).await?;
            println!("OK");
        }
        ServersCommand::Enable { id } => set_state(ctx, &id, ServerState::Enabled).await?,
        ServersCommand::Cordon { id } => set_state(ctx, &id, ServerState::Cordoned).await?,
        ServersCommand::Disable { id, yes } => {
            ctx.servers.server(&id).await?.with_context(|| format!("no server with id {id}"))?;
            let meetings = ctx.meetings.meetings_on(&id, ctx.meetings.now_ms().await?).await?.len();
            if meetings == 0 {
                return set_state(ctx, &id, ServerState::Disabled).await;
            }
            if !confirm(&format!("Server {id} has {meetings} meetings; disabling ends them."), yes) {
                bail!("not disabled");
            }
            if panic(ctx, &id, false, false).await? == Some(false) {
                eprintln!("warning: some meetings could not be ended on the server");
            }
            println!("OK");
        }
        ServersCommand::Sync { file, mode, dry_run } => sync::sync(ctx, &file, mode, dry_run).await?,
        ServersCommand::Yaml { verbose } => sync::dump(ctx, verbose).await?,
        ServersCommand::Panic { id, keep_state, skip_end_calls } => {
            match panic(ctx, &id, keep_state, skip_end_calls).await? {
                None => bail!("no server with id {id}"),
                Some(true) => println!("OK"),
                Some(false) => bail!("some meetings of server {id} could not be ended; they are no longer tracked"),
            }
        }
    }
    Ok(())
}
