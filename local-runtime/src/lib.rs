//! scalelite-cli: the local runtime. Every function on one HTTP server, the poll and import jobs on
//! timers, and an optional simulated fleet for demos.

#[cfg(feature = "demo")]
mod demo;
mod import_timer;

use std::net::SocketAddr;
use std::sync::Arc;

use anyhow::Context;
#[cfg(feature = "demo")]
use bbb_simulator::Fleet;
use scalelite_functions::Ctx;
use scalelite_functions::jobs::poll;
use scalelite_functions::runtime::app::{App, Mode};
use scalelite_functions::runtime::http_server;
use scalelite_shared::config::Config;
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
    #[cfg(feature = "demo")]
    pub fleet: Option<Fleet>,
    tasks: Vec<JoinHandle<()>>,
}

impl Running {
    /// `http://<addr>`.
    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// How many simulated servers it runs.
    pub fn demo_servers(&self) -> usize {
        #[cfg(feature = "demo")]
        return self.fleet.as_ref().map_or(0, |fleet| fleet.servers.len());
        #[cfg(not(feature = "demo"))]
        0
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

/// Refuses a configuration without a load-balancer secret, under which every call would be refused (`serve`
/// refuses to start; `scalelite config` reports it).
pub fn check_secret(config: &Config) -> anyhow::Result<()> {
    anyhow::ensure!(
        !config.secrets.is_empty(),
        "LOADBALANCER_SECRET is not set, so every call would be refused: set it (or try --demo)"
    );
    Ok(())
}

/// Binds the address first (so a second instance fails before it touches any store), opens the stores,
/// optionally starts a simulated fleet, and serves every function with the job timers.
pub async fn start(config: Config, options: Options) -> anyhow::Result<Running> {
    let listener =
        tokio::net::TcpListener::bind(options.bind).await.with_context(|| format!("binding {}", options.bind))?;
    let addr = listener.local_addr()?;
    let interval = config.poll_interval;
    let ctx = Arc::new(Ctx::open(config).await.context("opening the store")?);
    #[cfg(feature = "demo")]
    let fleet = demo::start(&ctx, options.demo_servers).await?;
    #[cfg(not(feature = "demo"))]
    anyhow::ensure!(options.demo_servers == 0, "this build has no simulated fleet (build with the `demo` feature)");
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
    Ok(Running {
        addr,
        ctx,
        #[cfg(feature = "demo")]
        fleet,
        tasks: vec![poller, importer, server],
    })
}
