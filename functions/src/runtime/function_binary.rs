//! `scalelite-function`: serves every function, or the one named by `$FUNCTION`, on `$PORT`; under the Lambda
//! runtime instead when `AWS_LAMBDA_RUNTIME_API` is set. `scalelite-function manifests knative|openfaas [DIR]`
//! writes the per-function deployments generated from the registry (into `kubernetes/overlays/<overlay>`).

use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::Context;
use scalelite_functions::runtime::app::{App, Mode};
use scalelite_functions::runtime::http_server;
use scalelite_functions::runtime::manifests::{self, Flavour};
use scalelite_functions::runtime::{lambda, telemetry};
use scalelite_functions::{Ctx, registry};
use scalelite_shared::config::Config;

/// Writes the generated manifests of `flavour` into `dir` (default: its overlay under `kubernetes/overlays`).
fn write_manifests(flavour: &str, dir: Option<String>) -> anyhow::Result<()> {
    let flavour =
        Flavour::parse(flavour).with_context(|| format!("no manifests for {flavour:?}: knative or openfaas"))?;
    let dir = dir.map_or_else(|| Path::new("kubernetes/overlays").join(flavour.overlay()), PathBuf::from);
    for manifest in manifests::generate(flavour) {
        let path = dir.join(manifest.file);
        std::fs::write(&path, manifest.text).with_context(|| format!("writing {}", path.display()))?;
        println!("wrote {}", path.display());
    }
    Ok(())
}

/// Allocations are many and small on the request path; mimalloc serves them from per-thread pages.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let mut args = std::env::args().skip(1);
    if args.next().as_deref() == Some("manifests") {
        let flavour = args.next().context("usage: scalelite-function manifests knative|openfaas [DIR]")?;
        return write_manifests(&flavour, args.next());
    }
    telemetry::init();
    let config = Config::from_env()?;
    let port = config.port;
    // On Lambda the configured handler may name the function instead.
    let lambda_handler = std::env::var("_HANDLER").ok().filter(|h| registry::find(h).is_some());
    let mode = match std::env::var("FUNCTION").ok().filter(|f| !f.is_empty()).or(lambda_handler) {
        Some(name) => Mode::One(registry::find(&name).with_context(|| format!("no function named {name:?}"))?),
        None => Mode::All,
    };
    let ctx = Ctx::open(config).await?;
    let ctx = match mode {
        Mode::One(function) => ctx.serving(function),
        Mode::All => ctx,
    };
    let app = Arc::new(App { ctx: Arc::new(ctx), mode });
    if std::env::var_os("AWS_LAMBDA_RUNTIME_API").is_some() {
        return lambda::run(app).await.map_err(|e| anyhow::anyhow!(e));
    }
    let listener =
        tokio::net::TcpListener::bind(("0.0.0.0", port)).await.with_context(|| format!("binding port {port}"))?;
    tracing::info!(port, "serving");
    http_server::serve(listener, app).await;
    Ok(())
}
