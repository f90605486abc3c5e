//! `scalelite-function`: serves every function, or the one named by `$FUNCTION`, on `$PORT`; under the Lambda
//! runtime instead when `AWS_LAMBDA_RUNTIME_API` is set.

use std::sync::Arc;

use anyhow::Context;
use scalelite_functions::http_server::{self, App, Mode};
use scalelite_functions::{Ctx, lambda_adapter, registry, telemetry};
use scalelite_shared::config::Config;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    telemetry::init();
    let config = Config::from_env()?;
    let port = config.port;
    let ctx = Arc::new(Ctx::open(config).await?);
    // On Lambda the configured handler may name the function instead.
    let lambda_handler = std::env::var("_HANDLER").ok().filter(|h| registry::find(h).is_some());
    let mode = match std::env::var("FUNCTION").ok().filter(|f| !f.is_empty()).or(lambda_handler) {
        Some(name) => Mode::One(registry::find(&name).with_context(|| format!("no function named {name:?}"))?),
        None => Mode::All,
    };
    let app = Arc::new(App { ctx, mode });
    if std::env::var_os("AWS_LAMBDA_RUNTIME_API").is_some() {
        return lambda_adapter::run(app).await.map_err(|e| anyhow::anyhow!(e));
    }
    let listener =
        tokio::net::TcpListener::bind(("0.0.0.0", port)).await.with_context(|| format!("binding port {port}"))?;
    tracing::info!(port, "serving");
    http_server::serve(listener, app).await;
    Ok(())
}
