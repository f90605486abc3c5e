//! scalelite-local: the local runtime. Every function on one HTTP server, the poll and import jobs on
//! timers, and an optional simulated fleet for demos.

mod import_timer;

use std::net::SocketAddr;
use std::sync::Arc;

use anyhow::Context;
use bbb_simulator::Fleet;
use scalelite_functions::Ctx;
use scalelite_functions::http_server::{self, App, Mode};
use scalelite_functions::jobs::poll;
use scalelite_shared::config::Config;
use scalelite_shared::model::{Server, ServerState, ServerUpdate};
use scalelite_shared::store::StoreError;
use tokio::task::JoinHandle;

/// How to start the runtime.
#[derive(Clone, Debug)]
pub struct Options {
    pub bind: SocketAddr,
    /// Simulated BBB servers to start and register (0 for none).
    pub demo_servers: usize,
}

/// A running local runtime; dropping it stops the server and the timer.
pub struct Running {
    pub addr: SocketAddr,
    pub ctx: Arc<Ctx>,
    pub fleet: Option<Fleet>,
    tasks: Vec<JoinHandle<()>>,
}

impl Running {
    /// `http://<addr>`.
    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Serves until the process is stopped.
    pub async fn wait(mut self) {
        if let Some(task) = self.tasks.pop() {
            let _ = task.await;
        }
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        for task in &self.tasks {
            task.abort();
        }
    }
}

/// Registers (or re-points, on a restart) the simulated servers as enabled servers.
async fn register_fleet(ctx: &Ctx, fleet: &Fleet) -> anyhow::Result<()> {
    for (index, sim) in fleet.servers.iter().enumerate() {
        let id = format!("demo-{index}");
        let mut server = Server::new(&id, sim.url(), sim.secret());
        server.state = ServerState::Enabled;
        match ctx.servers.add_server(&server).await {
            Ok(()) => {}
            Err(StoreError::Conflict(_)) => {
                let update = ServerUpdate {
                    url: Some(sim.url()),
                    secret: Some(sim.secret().to_owned()),
                    state: Some(ServerState::Enabled),
                    ..ServerUpdate::default()
                };
                ctx.servers.update_server(&id, &update).await?;
            }
            Err(other) => return Err(other.into()),
        }
    }
    Ok(())
}

/// Opens the stores, optionally starts a simulated fleet, and serves every function with the job timers.
pub async fn start(config: Config, options: Options) -> anyhow::Result<Running> {
    let interval = config.poll_interval;
    let ctx = Arc::new(Ctx::open(config).await.context("opening the store")?);
    let fleet = if options.demo_servers > 0 {
        let fleet = Fleet::start(options.demo_servers).await.context("starting the simulated fleet")?;
        register_fleet(&ctx, &fleet).await?;
        poll::pass(&ctx).await?;
        Some(fleet)
    } else {
        None
    };
    let listener =
        tokio::net::TcpListener::bind(options.bind).await.with_context(|| format!("binding {}", options.bind))?;
    let addr = listener.local_addr()?;
    let app = Arc::new(App { ctx: ctx.clone(), mode: Mode::All });
    let poller = {
        let ctx = ctx.clone();
        tokio::spawn(async move {
            let mut ticks = tokio::time::interval_at(tokio::time::Instant::now() + interval, interval);
            ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                ticks.tick().await;
                if let Err(error) = poll::pass(&ctx).await {
                    tracing::error!(%error, "poll pass failed");
                }
            }
        })
    };
    let importer = import_timer::start(ctx.clone());
    let server = tokio::spawn(http_server::serve(listener, app));
    Ok(Running { addr, ctx, fleet, tasks: vec![poller, importer, server] })
}
