//! `scalelite recordings import`: one import pass with a progress bar, for working through a large backlog.

use indicatif::{ProgressBar, ProgressStyle};
use scalelite_functions::Ctx;
use scalelite_functions::jobs::import_recordings;

pub async fn import(ctx: &Ctx) -> anyhow::Result<()> {
    let bar = ProgressBar::new(0);
    bar.set_style(ProgressStyle::with_template("{bar:40} {pos}/{len} files, {per_sec}, {eta} left")?);
    let progress = |done: usize, total: usize| {
        bar.set_length(u64::try_from(total).unwrap_or(u64::MAX));
        bar.set_position(u64::try_from(done).unwrap_or(u64::MAX));
    };
    let report = import_recordings::pass_with_progress(ctx, &progress).await?;
    bar.finish_and_clear();
    match report {
        Some(report) => println!("{}", serde_json::to_string_pretty(&report)?),
        None => anyhow::bail!("another replica is importing; try again when its pass ends"),
    }
    Ok(())
}
