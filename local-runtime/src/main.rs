//! `scalelite`: run the load balancer locally, run one job pass, or operate the pool.

mod commands;
mod rake;

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::process::ExitCode;
use std::time::{Duration, Instant};

use clap::{CommandFactory, Parser, Subcommand};
use commands::servers::ServersCommand;
use commands::tenant_tasks::{Aborted, TenantTask};
use commands::tenants::{SettingsCommand, TenantsCommand};
use scalelite_functions::runtime::{openapi, telemetry};
use scalelite_functions::{Ctx, jobs};
use scalelite_shared::config::Config;
use scalelite_shared::store::StoreError;

/// scalelite-rs, a BigBlueButton load balancer.
#[derive(Parser)]
#[command(name = "scalelite", bin_name = "scalelite", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Serve every function on $PORT (default 3000) and poll every $POLL_INTERVAL seconds.
    Serve {
        /// Also start simulated BBB servers and register them, so no real server is needed. The demo keeps
        /// its state in a temporary store (unless SQLITE_PATH names one) and listens on 127.0.0.1.
        #[arg(long)]
        demo: bool,
        /// How many simulated servers --demo starts.
        #[arg(long, default_value_t = 3)]
        demo_servers: usize,
    },
    /// Print a URL for CALL with QUERY, signed with the configured secret (try it with curl).
    Sign {
        /// A BBB call (`join`, `getMeetings`, ...) or an admin action (`getServers`, ...).
        call: String,
        /// The query, as it will be sent (e.g. 'meetingID=m&fullName=Ann').
        #[arg(default_value = "")]
        query: String,
        /// Where the load balancer answers.
        #[arg(long, default_value = "http://127.0.0.1:3000")]
        base: String,
    },
    /// Print the effective settings (secrets masked) and the stores they name, and check what `serve` needs:
    /// a secret, stores that answer, recording directories that can be written. Exits 1 on any problem.
    Config,
    /// Print the OpenAPI 3.1 document of the admin API (/scalelite/api/*) as JSON.
    Openapi,
    /// Print the completion script of SHELL (e.g. `scalelite completions bash > /etc/bash_completion.d/scalelite`).
    Completions {
        /// bash, zsh, fish, elvish or powershell.
        shell: clap_complete::Shell,
    },
    #[command(flatten)]
    Operate(Operation),
}

/// Commands that work on the configured store.
#[derive(Subcommand)]
enum Operation {
    /// Run one job pass now.
    Job {
        #[command(subcommand)]
        job: Job,
    },
    /// Manage the BBB servers of the pool.
    Servers {
        #[command(subcommand)]
        command: Option<ServersCommand>,
    },
    /// The pool at a glance.
    Status {
        /// Print JSON instead of a table.
        #[arg(long)]
        json: bool,
    },
    /// Poll every server once (the same as `job poll`).
    Poll,
    /// List placed meetings, or end one.
    Meetings {
        #[command(subcommand)]
        command: Option<MeetingsCommand>,
    },
    /// Manage tenants (with MULTITENANCY_ENABLED).
    Tenants {
        #[command(subcommand)]
        command: Option<TenantsCommand>,
    },
    /// Upstream's tenant rake tasks, as `tenants:add[…]` and the others reach them.
    #[command(hide = true)]
    TenantTask {
        #[command(subcommand)]
        task: TenantTask,
    },
    /// Manage tenants' create/join parameter settings.
    TenantSettings {
        #[command(subcommand)]
        command: Option<SettingsCommand>,
    },
    /// Work on recordings.
    Recordings {
        #[command(subcommand)]
        command: RecordingsCommand,
    },
}

#[derive(Subcommand)]
enum RecordingsCommand {
    /// Import what waits in the spool (or on the shared volume) now, with a progress bar.
    Import,
}

/// How often a job runs: once, or every `every` for `run_for` at most.
#[derive(clap::Args, Clone, Copy)]
struct Repeat {
    /// Run again after this long (e.g. 10s).
    #[arg(long, value_parser = humantime::parse_duration)]
    every: Option<Duration>,
    /// With --every: stop after this long (e.g. 50s).
    #[arg(long = "for", value_parser = humantime::parse_duration, requires = "every")]
    run_for: Option<Duration>,
}

#[derive(Subcommand)]
enum Job {
    /// Poll every server once and print what changed; with --every, keep polling (a poller Deployment, or a
    /// CronJob that polls more often than once a minute with --for).
    Poll(Repeat),
    /// Import new recordings once and print what was done; with --every, keep importing.
    Import(Repeat),
}

#[derive(Subcommand)]
enum MeetingsCommand {
    /// Forget meetings and end them on their servers (asks first, unless --yes).
    End {
        #[arg(required = true)]
        ids: Vec<String>,
        #[arg(long)]
        yes: bool,
    },
}

const DEMO_SECRET: &str = "scalelite-demo-secret";

async fn serve(mut config: Config, demo: bool, demo_servers: usize) -> anyhow::Result<()> {
    // The demo's state stays apart from a real store: a temporary file, unless SQLITE_PATH names one.
    let demo_store = if demo && std::env::var_os("SQLITE_PATH").is_none() {
        let dir = tempfile::tempdir()?;
        config.sqlite_path = dir.path().join("demo.db");
        Some(dir)
    } else {
        None
    };
    if demo && config.secrets.is_empty() {
        tracing::warn!("LOADBALANCER_SECRET is not set; the demo uses {DEMO_SECRET:?}");
        config.secrets.push(DEMO_SECRET.to_owned());
    }
    scalelite_cli::check_secret(&config)?;
    // The demo's secret is well known: it answers on loopback only.
    let host = if demo { Ipv4Addr::LOCALHOST } else { Ipv4Addr::UNSPECIFIED };
    let bind = SocketAddr::new(IpAddr::V4(host), config.port);
    let options = scalelite_cli::Options { bind, demo_servers: if demo { demo_servers } else { 0 } };
    let sign_config = config.clone();
    let running = scalelite_cli::start(config, options).await?;
    let base = format!("http://127.0.0.1:{}", running.addr.port());
    if demo {
        println!("scalelite-rs is serving the BBB API at {base}/bigbluebutton/api");
    } else {
        let port = running.addr.port();
        println!("scalelite-rs is serving the BBB API on every address of this host, port {port} (/bigbluebutton/api)");
    }
    if running.demo_servers() > 0 {
        println!("{} simulated BBB servers are registered and online.", running.demo_servers());
        // The commands below name this very binary and the demo's store and secret, so they work as printed.
        let exe = std::env::current_exe().map_or_else(|_| "scalelite".to_owned(), |p| p.display().to_string());
        let secret = sign_config.secrets.first().map_or("", String::as_str);
        let store = format!("SQLITE_PATH={}", sign_config.sqlite_path.display());
        if demo_store.is_some() {
            println!("The demo's state is in {} (gone when it stops).", sign_config.sqlite_path.display());
        }
        let create = commands::sign::url(&sign_config, &base, "create", "meetingID=demo&name=Demo+meeting")?;
        println!("Try: curl '{create}'");
        println!(
            "Sign any call with: LOADBALANCER_SECRET={secret} {exe} sign join 'meetingID=demo&fullName=Ann&role=MODERATOR'"
        );
        println!("See the pool with: {store} {exe} status");
    }
    running.wait().await;
    Ok(())
}

/// One job pass, or one every `every` (for `run_for` at most), printing each pass's report; with `every`, a
/// failed pass is logged and the next one runs.
async fn repeat<T, F>(name: &str, repeat: Repeat, mut pass: impl FnMut() -> F) -> anyhow::Result<()>
where
    T: serde::Serialize,
    F: Future<Output = Result<Option<T>, StoreError>>,
{
    let deadline = repeat.run_for.map(|d| Instant::now() + d);
    loop {
        match pass().await {
            Ok(Some(report)) => println!("{}", serde_json::to_string_pretty(&report)?),
            Ok(None) => println!("another replica holds the {name} lease; this pass was skipped"),
            Err(error) if repeat.every.is_some() => tracing::error!(%error, "{name} pass failed"),
            Err(error) => return Err(error.into()),
        }
        let Some(every) = repeat.every else { return Ok(()) };
        if deadline.is_some_and(|deadline| Instant::now() + every > deadline) {
            return Ok(());
        }
        tokio::time::sleep(every).await;
    }
}

async fn operate(ctx: &Ctx, operation: Operation) -> anyhow::Result<()> {
    match operation {
        Operation::Job { job: Job::Poll(every) } => repeat("poll", every, || jobs::poll::pass(ctx)).await,
        Operation::Job { job: Job::Import(every) } => {
            repeat("import", every, || jobs::import_recordings::pass(ctx)).await
        }
        Operation::Poll => repeat("poll", Repeat { every: None, run_for: None }, || jobs::poll::pass(ctx)).await,
        Operation::Recordings { command: RecordingsCommand::Import } => commands::recordings::import(ctx).await,
        Operation::Tenants { command } => commands::tenants::run(ctx, command.unwrap_or(TenantsCommand::List)).await,
        Operation::TenantTask { task } => commands::tenant_tasks::run(ctx, task).await,
        Operation::TenantSettings { command } => {
            commands::tenants::settings(ctx, command.unwrap_or(SettingsCommand::List)).await
        }
        Operation::Servers { command } => commands::servers::run(ctx, command.unwrap_or(ServersCommand::List)).await,
        Operation::Status { json } => commands::status::run(ctx, json).await,
        Operation::Meetings { command: None } => commands::meetings::list(ctx).await,
        Operation::Meetings { command: Some(MeetingsCommand::End { ids, yes }) } => {
            commands::meetings::end(ctx, &ids, yes).await
        }
    }
}

/// Allocations are many and small on the request path; mimalloc serves them from per-thread pages.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() -> ExitCode {
    telemetry::init();
    let cli = match Cli::try_parse_from(rake::arguments(std::env::args().collect())) {
        Ok(cli) => cli,
        // --help and --version are answers, not errors.
        Err(shown) if !shown.use_stderr() => {
            let _ = shown.print();
            return ExitCode::SUCCESS;
        }
        Err(error) => {
            // One line, as every other user error: clap's own first line, then where the usage is.
            let text = error.render().to_string();
            let first = text.lines().next().unwrap_or("error: the arguments are not understood");
            eprintln!("{first} (see 'scalelite --help')");
            return ExitCode::from(2);
        }
    };
    let Some(command) = cli.command else {
        // Bare `scalelite` prints its usage and succeeds, so wrappers can check that it is there.
        let _ = Cli::command().print_help();
        return ExitCode::SUCCESS;
    };
    match run(command).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            // One line for the operator, whatever RUST_BACKTRACE says; an upstream task's own line as it is.
            match error.downcast_ref::<Aborted>() {
                Some(Aborted("")) => {}
                Some(aborted) => eprintln!("{aborted}"),
                None => eprintln!("error: {error:#}"),
            }
            ExitCode::FAILURE
        }
    }
}

async fn run(command: Command) -> anyhow::Result<()> {
    match command {
        Command::Completions { shell } => {
            clap_complete::generate(shell, &mut Cli::command(), "scalelite", &mut std::io::stdout());
            Ok(())
        }
        Command::Config => commands::config::run(Config::from_env()?).await,
        Command::Openapi => {
            print!("{}", openapi::json());
            Ok(())
        }
        Command::Serve { demo, demo_servers } => serve(Config::from_env()?, demo, demo_servers).await,
        Command::Sign { call, query, base } => {
            println!("{}", commands::sign::url(&Config::from_env()?, &base, &call, &query)?);
            Ok(())
        }
        Command::Operate(operation) => operate(&Ctx::open(Config::from_env()?).await?, operation).await,
    }
}
