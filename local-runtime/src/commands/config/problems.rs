//! What `scalelite config` can see going wrong before `serve` starts: the refusals `serve` would make, stores
//! that do not answer, and recording directories that are missing or not writable. One line a problem.

use std::path::{Path, PathBuf};
use std::time::Duration;

use scalelite_functions::Ctx;
use scalelite_shared::config::{Config, ImportMode};

/// How long a store may take to answer the check.
const STORE_TIMEOUT: Duration = Duration::from_secs(5);

/// The refusal `serve` makes before it opens anything.
pub fn secret(config: &Config) -> Option<String> {
    scalelite_cli::check_secret(config).err().map(|refused| refused.to_string())
}

/// Opens the stores as `serve` does (the same refusals of store pairings and missing features), then asks
/// each one to answer. The context, when the stores could be opened, for what else the caller reads.
pub async fn stores(config: &Config, problems: &mut Vec<String>) -> Option<Ctx> {
    let ctx = match Ctx::open(config.clone()).await {
        Ok(ctx) => ctx,
        Err(error) => {
            problems.push(format!("the stores cannot be opened: {error}"));
            return None;
        }
    };
    let pings = [
        (scalelite_infra::meetings_at(config), ping(ctx.servers.ping()).await),
        (scalelite_infra::recordings_at(config), ping(ctx.recordings.ping()).await),
    ];
    for (place, answer) in pings {
        if let Err(error) = answer {
            problems.push(format!("{place} does not answer: {error}"));
        }
    }
    Some(ctx)
}

async fn ping<E: std::fmt::Display>(answer: impl Future<Output = Result<(), E>>) -> Result<(), String> {
    match tokio::time::timeout(STORE_TIMEOUT, answer).await {
        Ok(answered) => answered.map_err(|error| error.to_string()),
        Err(_) => Err(format!("no answer within {}", humantime::format_duration(STORE_TIMEOUT))),
    }
}

/// The recording directories this configuration writes to, by the variable that names each.
fn recording_dirs(config: &Config) -> Vec<(&'static str, &PathBuf)> {
    let recordings = &config.recordings;
    if recordings.disabled {
        return Vec::new();
    }
    let captions = ("RECORDING_CAPTIONS_DIR", &recordings.captions_dir);
    let work = ("RECORDING_WORK_DIR", &recordings.work_dir);
    if recordings.s3.is_some() {
        return vec![work, captions];
    }
    let trees =
        [("RECORDING_PUBLISH_DIR", &recordings.publish_dir), ("RECORDING_UNPUBLISH_DIR", &recordings.unpublish_dir)];
    match recordings.import_mode {
        ImportMode::Spool => {
            [&[("RECORDING_SPOOL_DIR", &recordings.spool_dir), work][..], &trees, &[captions]].concat()
        }
        ImportMode::InPlace => [&trees[..], &[captions]].concat(),
    }
}

/// Each recording directory that is missing or cannot be written to.
pub fn directories(config: &Config) -> Vec<String> {
    recording_dirs(config)
        .into_iter()
        .filter_map(|(name, dir)| {
            writable(dir).err().map(|why| {
                format!("{name} {}: {why} (or set RECORDING_DISABLED=true to run without recordings)", dir.display())
            })
        })
        .collect()
}

/// Whether a file can be created in `dir` (a trial file, removed at once): permissions, read-only mounts and
/// sandboxes all have their say.
fn writable(dir: &Path) -> Result<(), String> {
    if !dir.is_dir() {
        return Err(if dir.exists() { "not a directory" } else { "missing" }.into());
    }
    tempfile::Builder::new()
        .prefix(".scalelite-config-")
        .tempfile_in(dir)
        .map(drop)
        .map_err(|error| format!("not writable ({})", error.kind()))
}
