//! `scalelite servers sync FILE|-` and `scalelite servers yaml`: the pool as upstream's YAML document,
//! `servers: {<id>: {url, secret, enabled, load_multiplier, tag}}`.

use std::collections::BTreeMap;
use std::io::Read;

use anyhow::{Context, bail};
use clap::ValueEnum;
use scalelite_functions::Ctx;
use scalelite_functions::admin::add_server::new_server;
use scalelite_functions::admin::panic_server::panic;
use scalelite_shared::model::{Server, ServerState, ServerUpdate};
use serde::de::IgnoredAny;
use serde::{Deserialize, Serialize};

/// What happens to servers the file does not list.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Mode {
    /// Leave them as they are.
    Keep,
    /// Remove those without meetings, cordon the others.
    Cordon,
    /// End their meetings and remove them.
    Force,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Document {
    #[serde(default)]
    servers: Option<BTreeMap<String, Entry>>,
}

/// One server of the file; `load`, `state`, `bbb_version` and `online` (from `servers yaml --verbose`) are
/// read and ignored.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Entry {
    url: Option<String>,
    secret: String,
    enabled: Option<bool>,
    load_multiplier: Option<f64>,
    tag: Option<String>,
    #[serde(rename = "load")]
    _load: Option<IgnoredAny>,
    #[serde(rename = "state")]
    _state: Option<IgnoredAny>,
    #[serde(rename = "bbb_version")]
    _bbb_version: Option<IgnoredAny>,
    #[serde(rename = "online")]
    _online: Option<IgnoredAny>,
}

/// Every server the file wants, validated before anything changes.
fn wanted(ctx: &Ctx, text: &str) -> anyhow::Result<Vec<Server>> {
    let document: Document = serde_yaml_ng::from_str(text).context("reading the servers file")?;
    let mut servers = Vec::new();
    for (id, entry) in document.servers.unwrap_or_default() {
        if id.is_empty() || !id.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-')) {
            bail!("server id {id:?}: only letters, digits, '_', '.' and '-' are allowed");
        }
        if entry.load_multiplier.is_some_and(|m| !(m > 0.0 && m.is_finite())) {
            bail!("server {id}: load_multiplier must be greater than 0");
        }
        let url = entry.url.unwrap_or_else(|| format!("https://{id}/bigbluebutton/api"));
        let mut server = new_server(&ctx.config, &url, &entry.secret, entry.load_multiplier, entry.tag.as_deref())
            .map_err(|reason| anyhow::anyhow!("server {id}: {reason}"))?;
        server.id = id;
        server.state = if entry.enabled.unwrap_or(true) { ServerState::Enabled } else { ServerState::Cordoned };
        servers.push(server);
    }
    Ok(servers)
}

/// Reads the file (`-` for standard input) and makes the pool match it.
pub async fn sync(ctx: &Ctx, path: &str, mode: Mode, dry_run: bool) -> anyhow::Result<()> {
    let text = if path == "-" {
        let mut text = String::new();
        std::io::stdin().read_to_string(&mut text)?;
        text
    } else {
        std::fs::read_to_string(path).with_context(|| format!("reading {path}"))?
    };
    let wanted = wanted(ctx, &text)?;
    let existing = ctx.servers.servers().await?;
    let verb = |action: &str| if dry_run { format!("would {action}") } else { action.to_owned() };

    for server in &wanted {
        match existing.iter().find(|s| s.id == server.id) {
            None => {
                println!("{} server {} ({})", verb("add"), server.id, server.url);
                if !dry_run {
                    ctx.servers.add_server(server).await?;
                }
            }
            Some(current) => {
                let update = ServerUpdate {
                    url: Some(server.url.clone()),
                    secret: Some(server.secret.clone()),
                    load_multiplier: Some(server.load_multiplier),
                    tag: Some(server.tag.clone()),
                    state: Some(server.state),
                    // Upstream's YAML has no limits: a server keeps its own.
                    ..ServerUpdate::default()
                };
                let mut changed = current.clone();
                update.apply(&mut changed);
                if changed != *current {
                    println!("{} server {}", verb("update"), server.id);
                    if !dry_run {
                        ctx.servers.update_server(&server.id, &update).await?;
                    }
                }
            }
        }
    }

    for server in existing.iter().filter(|s| !wanted.iter().any(|w| w.id == s.id)) {
        let meetings = ctx.meetings.meetings_on(&server.id, ctx.meetings.now_ms().await?).await?.len();
        match mode {
            Mode::Keep => println!("keep server {} (not in the file)", server.id),
            Mode::Cordon if meetings > 0 => {
                println!("{} server {} ({meetings} meetings)", verb("cordon"), server.id);
                if !dry_run {
                    let update = ServerUpdate { state: Some(ServerState::Cordoned), ..ServerUpdate::default() };
                    ctx.servers.update_server(&server.id, &update).await?;
                }
            }
            Mode::Cordon | Mode::Force => {
                println!("{} server {} ({meetings} meetings ended)", verb("remove"), server.id);
                if !dry_run {
                    if meetings > 0 && panic(ctx, &server.id, true, false).await? == Some(false) {
                        eprintln!("warning: some meetings of {} could not be ended on the server", server.id);
                    }
                    ctx.servers.delete_server(&server.id).await?;
                }
            }
        }
    }
    Ok(())
}

#[derive(Serialize)]
struct Dump {
    servers: BTreeMap<String, DumpEntry>,
}

#[derive(Serialize)]
struct DumpEntry {
    url: String,
    secret: String,
    enabled: bool,
    load_multiplier: f64,
    #[serde(skip_serializing_if = "Option::is_none")]
    tag: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    state: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    load: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    bbb_version: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    online: Option<bool>,
}

/// Prints the pool in the form `sync` reads; `verbose` adds state, load (-1.0 when unknown), version, online.
pub async fn dump(ctx: &Ctx, verbose: bool) -> anyhow::Result<()> {
    let servers = ctx.servers.servers().await?;
    let entries = servers
        .into_iter()
        .map(|s| {
            let entry = DumpEntry {
                url: s.url.clone(),
                secret: s.secret.clone(),
                enabled: s.state == ServerState::Enabled,
                load_multiplier: s.load_multiplier,
                tag: s.tag.clone(),
                state: verbose.then_some(s.state.as_str()),
                load: verbose.then_some(s.load.unwrap_or(-1.0)),
                bbb_version: if verbose { Some(s.bbb_version.clone().unwrap_or_default()) } else { None },
                online: verbose.then_some(s.online),
            };
            (s.id, entry)
        })
        .collect();
    print!("{}", serde_yaml_ng::to_string(&Dump { servers: entries })?);
    Ok(())
}
