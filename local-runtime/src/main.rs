//! `scalelite`: run the load balancer locally, or run one job pass.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};

use clap::{Parser, Subcommand};
use scalelite_functions::{Ctx, jobs, telemetry};
use scalelite_shared::bbb::checksum::sign;
use scalelite_shared::config::Config;

/// scalelite-rs, a BigBlueButton load balancer.
#[derive(Parser)]
#[command(version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Serve every function on $PORT (default 3000) and poll every $POLL_INTERVAL seconds.
    Serve {
        /// Also start simulated BBB servers and register them, so no real server is needed.
        #[arg(long)]
        demo: bool,
        /// How many simulated servers --demo starts.
        #[arg(long, default_value_t = 3)]
        demo_servers: usize,
    },
    /// Run one job pass now.
    Job {
        #[command(subcommand)]
        job: Job,
    },
}

#[derive(Subcommand)]
enum Job {
    /// Poll every server once and print what changed.
    Poll,
}

const DEMO_SECRET: &str = "scalelite-demo-secret";

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    telemetry::init();
    let cli = Cli::parse();
    let mut config = Config::from_env()?;
    match cli.command {
        Command::Serve { demo, demo_servers } => {
            if demo && config.secrets.is_empty() {
                tracing::warn!("LOADBALANCER_SECRET is not set; the demo uses {DEMO_SECRET:?}");
                config.secrets.push(DEMO_SECRET.to_owned());
            }
            let secret = config.secrets.first().cloned().unwrap_or_default();
            let bind = SocketAddr::new(IpAddr::V4(Ipv4Addr::UNSPECIFIED), config.port);
            let options = scalelite_local::Options { bind, demo_servers: if demo { demo_servers } else { 0 } };
            let running = scalelite_local::start(config, options).await?;
            let base = format!("http://127.0.0.1:{}/bigbluebutton/api", running.addr.port());
            println!("scalelite-rs is serving the BBB API at {base}");
            if let Some(fleet) = &running.fleet {
                println!("{} simulated BBB servers are registered and online.", fleet.servers.len());
                let create = "meetingID=demo&name=Demo+meeting";
                let checksum = sign(scalelite_shared::bbb::checksum::Algorithm::Sha256, "create", create, &secret);
                println!("Try: curl '{base}/create?{create}&checksum={checksum}'");
            }
            running.wait().await;
        }
        Command::Job { job: Job::Poll } => {
            let ctx = Ctx::open(config).await?;
            let polls = jobs::poll::pass(&ctx).await?;
            println!("{}", serde_json::to_string_pretty(&polls)?);
        }
    }
    Ok(())
}
