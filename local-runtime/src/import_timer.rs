//! The import job in the local runtime: a pass every `RECORDING_IMPORT_POLL_INTERVAL`, and, for a local
//! spool directory, a pass as soon as a tar lands in it. File events never see what other hosts write onto
//! an NFS share, so the in-place mode relies on the timer alone.

use std::path::Path;
use std::sync::Arc;

use notify::{EventKind, RecommendedWatcher, RecursiveMode, Watcher};
use scalelite_functions::Ctx;
use scalelite_functions::jobs::import_recordings;
use scalelite_shared::config::ImportMode;
use tokio::sync::Notify;
use tokio::task::JoinHandle;

/// Watches the spool directory; wakes `wake` when a `.tar` appears there.
fn watch_spool(spool: &Path, wake: Arc<Notify>) -> notify::Result<RecommendedWatcher> {
    let mut watcher = notify::recommended_watcher(move |event: notify::Result<notify::Event>| {
        let Ok(event) = event else { return };
        let landed = matches!(event.kind, EventKind::Create(_) | EventKind::Modify(_))
            && event.paths.iter().any(|p| p.extension().is_some_and(|e| e == "tar"));
        if landed {
            wake.notify_one();
        }
    })?;
    watcher.watch(spool, RecursiveMode::NonRecursive)?;
    Ok(watcher)
}

/// Starts the import loop.
pub fn start(ctx: Arc<Ctx>) -> JoinHandle<()> {
    let wake = Arc::new(Notify::new());
    let config = &ctx.config.recordings;
    let watcher = (config.import_mode == ImportMode::Spool && config.import_watch && config.spool_dir.is_dir())
        .then(|| watch_spool(&config.spool_dir, wake.clone()))
        .and_then(|watched| {
            watched
                .inspect_err(|error| tracing::warn!(%error, "cannot watch the spool; importing on the timer only"))
                .ok()
        });
    tokio::spawn(async move {
        let _watcher = watcher;
        let (interval, settle) = (ctx.config.recordings.import_interval, ctx.config.recordings.import_settle);
        loop {
            tokio::select! {
                () = tokio::time::sleep(interval) => {}
                () = wake.notified() => tokio::time::sleep(settle).await,
            }
            match import_recordings::pass(&ctx).await {
                Ok(Some(report)) if report.imported + report.failed > 0 => tracing::info!(?report, "import pass"),
                Ok(_) => {}
                Err(error) => tracing::error!(%error, "import pass failed"),
            }
        }
    })
}
