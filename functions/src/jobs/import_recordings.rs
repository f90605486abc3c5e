//! The recording import pass: spool tars unpacked and placed, or metadata.xml files on a shared volume
//! indexed where they lie. A file that cannot be imported is set aside with its reason and never retried
//! until it changes; a store outage leaves the work for the next pass. Each recording imported is announced
//! once per pass to the recording-ready URL its meeting gave.

use std::collections::{BTreeSet, HashMap, HashSet};
use std::fs;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use futures::channel::mpsc;
use futures::{StreamExt, stream};

use http::StatusCode;
use scalelite_infra::recordings_fs::{
    ExtractLimits, FoundMetadata, extract, metadata_files, metadata_settled, parse_metadata,
};
use scalelite_shared::api::ApiResponse;
use scalelite_shared::config::ImportMode;
use scalelite_shared::model::Recording;
use scalelite_shared::store::{ImportMark, RecordingQuery, SpooledTar, StoreError};
use serde::Serialize;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

use crate::Ctx;
use crate::callbacks::recording_ready;
use crate::jobs::import_failure::ImportFailure;
use crate::jobs::lease::Lease;
use crate::refusal::Refusal;
use crate::registry::Outcome;
use crate::reject::{Reject, Store};
use crate::request::Call;

/// The lease that keeps import passes from overlapping: renewed while a pass runs, so a crashed holder blocks
/// the next pass for a minute at most.
const LEASE: Lease = Lease::renewed("import", Duration::from_secs(60));

/// What one pass did.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct ImportReport {
    /// Recordings (formats) indexed.
    pub imported: usize,
    /// Files set aside as failed.
    pub failed: usize,
    /// Files seen before and unchanged.
    pub unchanged: usize,
    /// Files still being written, left for the next pass.
    pub pending: usize,
    /// Files left for the next pass because the store did not answer.
    pub retry: usize,
}

/// Tars unpacked at once, their formats placed at once, and in-place files indexed at once: the file work and
/// store writes of several overlap.
const CONCURRENCY: usize = 4;

/// A recording to announce: its meeting, its recordID and its tenant.
type Announce = (String, String, Option<String>);

/// The recordings a pass imported: each is announced once, after the pass.
type Ready = BTreeSet<Announce>;

fn announce(recording: &Recording) -> Announce {
    (recording.meeting_id.clone(), recording.record_id.clone(), recording.tenant_id().map(str::to_owned))
}

/// Told how far a pass has got: `(done, total)` after each file.
pub type Progress<'a> = &'a (dyn Fn(usize, usize) + Sync);

async fn blocking<T: Send + 'static>(work: impl FnOnce() -> T + Send + 'static) -> T {
    tokio::task::spawn_blocking(work).await.expect("blocking import work panicked")
}

/// Reads and checks one metadata.xml against the directories it sits in.
fn read_recording(found: &FoundMetadata) -> Result<Recording, ImportFailure> {
    let xml = fs::read(&found.path).map_err(|source| ImportFailure::Unreadable { path: found.path.clone(), source })?;
    let recording = parse_metadata(&xml)?;
    let format = &recording.formats[0].format;
    if *format != found.format || recording.record_id != found.record_id {
        return Err(ImportFailure::Misplaced {
            format: format.clone(),
            record_id: recording.record_id,
            dir_format: found.format.clone(),
            dir_record_id: found.record_id.clone(),
        });
    }
    Ok(recording)
}

/// Applies the import settings: protection, and `RECORDING_IMPORT_UNPUBLISHED`.
fn prepare(ctx: &Ctx, mut recording: Recording, published: bool) -> Recording {
    recording.protected = ctx.config.recordings.protected;
    recording.published = published;
    if matches!(recording.state.as_deref(), Some("published" | "unpublished")) {
        recording.state = Some(Recording::state_for(published).to_owned());
    }
    recording
}

/// What became of one tar.
enum TarOutcome {
    /// The formats indexed and placed.
    Imported(Vec<Announce>),
    /// Every reason, one a format.
    Failed(Vec<ImportFailure>),
    Retry(StoreError),
}

/// Tars unpacked in the work directory at once at most, from the first unpacked to the last placed: they bound
/// the disk an import pass takes, and a batch (the tars unpacked while the last batch was written) is never
/// larger.
const UNPACKED: usize = 16;

/// A format directory of an unpacked tar, and what its metadata.xml read as.
type Format = (FoundMetadata, Result<Recording, ImportFailure>);

/// A tar unpacked into its work directory.
struct Unpacked {
    tar: SpooledTar,
    work: PathBuf,
    formats: Vec<Format>,
    /// Its place among the [`UNPACKED`], given back when it is placed or left for the next pass.
    _room: OwnedSemaphorePermit,
}

/// A tar after its first step: unpacked, or at its end already.
enum Fetched {
    Unpacked(Unpacked),
    Ended(SpooledTar, TarOutcome),
}

/// Fetches the tar into a work directory of its own (a spool file is read where it lies) and unpacks it there,
/// once there is room for it.
async fn fetch_and_unpack(ctx: &Ctx, tar: SpooledTar, room: Arc<Semaphore>) -> Fetched {
    let Ok(room) = room.acquire_owned().await else { unreachable!("the pass never closes its semaphore") };
    let work = ctx.config.recordings.work_dir.join(format!("import-{}", uuid::Uuid::new_v4()));
    match unpack(ctx, &tar, &work).await {
        Ok(formats) => Fetched::Unpacked(Unpacked { tar, work, formats, _room: room }),
        Err(outcome) => {
            let _ = tokio::fs::remove_dir_all(&work).await;
            Fetched::Ended(tar, outcome)
        }
    }
}

async fn unpack(ctx: &Ctx, tar: &SpooledTar, work: &Path) -> Result<Vec<Format>, TarOutcome> {
    let config = &ctx.config.recordings;
    let limits = ExtractLimits { max_bytes: config.max_unpacked_bytes, max_entries: config.max_tar_entries };
    let unpacked = work.join("unpacked");
    let local = match tokio::fs::create_dir_all(&unpacked).await {
        Ok(()) => ctx.files.fetch(tar, work).await,
        Err(error) => Err(error),
    };
    let local = local.map_err(|e| TarOutcome::Retry(StoreError::Backend(format!("cannot fetch {tar}: {e}"))))?;
    let formats = blocking(move || -> Result<Vec<Format>, ImportFailure> {
        extract(&local, &unpacked, limits)?;
        let found = metadata_files(&unpacked).map_err(ImportFailure::Unpacked)?;
        Ok(found
            .into_iter()
            .map(|item| {
                let read = read_recording(&item);
                (item, read)
            })
            .collect())
    })
    .await;
    match formats {
        Err(reason) => Err(TarOutcome::Failed(vec![reason])),
        Ok(formats) if formats.is_empty() => Err(TarOutcome::Failed(vec![ImportFailure::Empty])),
        Ok(formats) => Ok(formats),
    }
}

/// Who holds each of `record_ids` in the index: its meeting (one BBB server cannot take over another's
/// recording).
async fn owners(ctx: &Ctx, record_ids: Vec<String>) -> Result<HashMap<String, String>, StoreError> {
    if record_ids.is_empty() {
        return Ok(HashMap::new());
    }
    let query = RecordingQuery { record_ids, states: None, ..RecordingQuery::default() };
    Ok(ctx.recordings.recordings(&query).await?.into_iter().map(|r| (r.record_id, r.meeting_id)).collect())
}

/// Why `recording` may not be imported, if `owners` give its recordID to another meeting.
fn claimed(owners: &HashMap<String, String>, recording: &Recording) -> Option<ImportFailure> {
    let owner = owners.get(&recording.record_id).filter(|owner| **owner != recording.meeting_id)?;
    Some(ImportFailure::ClaimedByAnother {
        record_id: recording.record_id.clone(),
        owner: owner.clone(),
        meeting_id: recording.meeting_id.clone(),
    })
}

/// Why `recording` may not be imported: the index holds its recordID for another meeting.
async fn claimed_by_another_meeting(ctx: &Ctx, recording: &Recording) -> Result<Option<ImportFailure>, StoreError> {
    Ok(claimed(&owners(ctx, vec![recording.record_id.clone()]).await?, recording))
}

/// A tar of a batch on its way: the formats it will place, as stored, and why the others were skipped.
struct Placing {
    unpacked: Unpacked,
    formats: Vec<ToPlace>,
    reasons: Vec<ImportFailure>,
}

/// An indexed format of a tar.
struct ToPlace {
    /// Its recording among the batch's stored ones.
    index: usize,
    item: FoundMetadata,
    /// A later tar of the batch carries the same recording's same format: the index merged both in order, and
    /// the later one's files are the ones placed.
    superseded: bool,
}

/// Marks each format a later tar of the batch carries again as superseded.
fn mark_superseded(placing: &mut [Placing]) {
    let mut later = HashSet::new();
    for format in placing.iter_mut().rev().flat_map(|p| p.formats.iter_mut()) {
        format.superseded = !later.insert((format.item.record_id.clone(), format.item.format.clone()));
    }
}

/// Indexes the recordings of a batch of unpacked tars in one store write, then places each tar's formats; a
/// format that fails is logged and skipped, as long as one of its tar imports. A store failure leaves every
/// tar of the batch for the next pass.
async fn index_and_place(ctx: &Ctx, batch: Vec<Unpacked>) -> Vec<(SpooledTar, TarOutcome)> {
    let record_ids = batch.iter().flat_map(|u| u.formats.iter().filter_map(|(_, r)| r.as_ref().ok()));
    let record_ids = record_ids.map(|r| r.record_id.clone()).collect::<BTreeSet<_>>().into_iter().collect();
    let mut owners = match owners(ctx, record_ids).await {
        Ok(owners) => owners,
        Err(error) => return retry_all(batch, &error).await,
    };
    let mut recordings = Vec::new();
    let mut placing = Vec::with_capacity(batch.len());
    for mut unpacked in batch {
        let (mut formats, mut reasons) = (Vec::new(), Vec::new());
        for (item, read) in std::mem::take(&mut unpacked.formats) {
            let refused = match read {
                Ok(recording) => match claimed(&owners, &recording) {
                    None => {
                        // The first tar of the batch to name a recordID holds it for the rest.
                        owners.entry(recording.record_id.clone()).or_insert_with(|| recording.meeting_id.clone());
                        let published = recording.published && !ctx.config.recordings.import_unpublished;
                        formats.push(ToPlace { index: recordings.len(), item, superseded: false });
                        recordings.push(prepare(ctx, recording, published));
                        continue;
                    }
                    Some(reason) => {
                        tracing::error!(path = %item.path.display(), %reason, "import: format refused");
                        reason
                    }
                },
                Err(reason) => {
                    tracing::warn!(path = %item.path.display(), %reason, "import: format skipped");
                    reason
                }
            };
            reasons.push(refused);
        }
        placing.push(Placing { unpacked, formats, reasons });
    }
    let stored =
        if recordings.is_empty() { Ok(Vec::new()) } else { ctx.recordings.import_recordings(&recordings).await };
    // Each recording asked for is answered, as the port promises; a store that breaks that is treated as failing.
    let stored = stored.and_then(|stored| {
        if stored.len() == recordings.len() {
            return Ok(stored);
        }
        Err(StoreError::Backend(format!("{} recordings written, {} answered", recordings.len(), stored.len())))
    });
    let stored = match stored {
        Ok(stored) => stored,
        Err(error) => return retry_all(placing.into_iter().map(|p| p.unpacked).collect(), &error).await,
    };
    let stored = &stored;
    // Two tars of the same recording and format leave the files of the later one, as the index merged them.
    mark_superseded(&mut placing);
    stream::iter(placing).map(|p| place(ctx, p, stored)).buffer_unordered(CONCURRENCY).collect().await
}

/// Places a tar's indexed formats, then removes its work directory, and the tar once imported.
async fn place(ctx: &Ctx, placing: Placing, stored: &[Recording]) -> (SpooledTar, TarOutcome) {
    let Placing { unpacked, formats, mut reasons } = placing;
    let mut imported = Vec::new();
    for ToPlace { index, item, superseded } in formats {
        let recording = &stored[index];
        if superseded {
            imported.push(announce(recording));
            continue;
        }
        let dir = item.path.parent().map(Path::to_owned).unwrap_or_default();
        match ctx.files.place(&dir, &item.format, &item.record_id, recording.published).await {
            Ok(()) => imported.push(announce(recording)),
            Err(source) => reasons.push(ImportFailure::NotPlaced {
                format: item.format.clone(),
                record_id: item.record_id.clone(),
                source,
            }),
        }
    }
    let _ = tokio::fs::remove_dir_all(&unpacked.work).await;
    if imported.is_empty() {
        return (unpacked.tar, TarOutcome::Failed(reasons));
    }
    if let Err(error) = ctx.files.dequeue(&unpacked.tar).await {
        tracing::warn!(tar = %unpacked.tar, %error, "import: could not remove the imported tar");
    }
    (unpacked.tar, TarOutcome::Imported(imported))
}

/// Every tar of a batch left for the next pass, its work directory removed.
async fn retry_all(batch: Vec<Unpacked>, error: &StoreError) -> Vec<(SpooledTar, TarOutcome)> {
    let mut outcomes = Vec::with_capacity(batch.len());
    for unpacked in batch {
        let _ = tokio::fs::remove_dir_all(&unpacked.work).await;
        outcomes.push((unpacked.tar, TarOutcome::Retry(StoreError::Backend(error.to_string()))));
    }
    outcomes
}

/// The spool pass: tars unpacked a few at a time while the batches unpacked before them are indexed and
/// placed.
async fn spool_pass(ctx: &Ctx, progress: Progress<'_>) -> Result<(ImportReport, Ready), StoreError> {
    let (tars, pending) = ctx
        .files
        .spooled(ctx.config.recordings.import_settle)
        .await
        .map_err(|e| StoreError::Backend(format!("cannot read the spool: {e}")))?;
    let (mut report, mut ready) = (ImportReport { pending, ..ImportReport::default() }, Ready::new());
    let total = tars.len();
    let room = Arc::new(Semaphore::new(UNPACKED));
    let (sender, receiver) = mpsc::channel(UNPACKED);
    let unpacking = stream::iter(tars)
        .map(|tar| fetch_and_unpack(ctx, tar, room.clone()))
        .buffer_unordered(CONCURRENCY)
        .map(Ok)
        .forward(sender);
    let indexing = async {
        let mut batches = receiver.ready_chunks(UNPACKED);
        let mut done = 0;
        while let Some(fetched) = batches.next().await {
            let mut unpacked = Vec::new();
            let mut outcomes = Vec::new();
            for item in fetched {
                match item {
                    Fetched::Unpacked(item) => unpacked.push(item),
                    Fetched::Ended(tar, outcome) => outcomes.push((tar, outcome)),
                }
            }
            outcomes.extend(index_and_place(ctx, unpacked).await);
            for (tar, outcome) in outcomes {
                count(ctx, &mut report, &mut ready, tar, outcome).await;
                done += 1;
                progress(done, total);
            }
        }
    };
    // The receiver outlives every send, so forwarding cannot fail.
    let _ = futures::join!(unpacking, indexing).0;
    Ok((report, ready))
}

/// Adds what became of a tar to the pass's report; a failed tar is set aside.
async fn count(ctx: &Ctx, report: &mut ImportReport, ready: &mut Ready, tar: SpooledTar, outcome: TarOutcome) {
    match outcome {
        TarOutcome::Imported(formats) => {
            report.imported += formats.len();
            tracing::info!(%tar, formats = formats.len(), "imported");
            ready.extend(formats);
        }
        TarOutcome::Failed(reasons) => {
            let reason = reasons.iter().map(ToString::to_string).collect::<Vec<_>>().join("; ");
            report.failed += 1;
            tracing::error!(%tar, %reason, "import failed; the tar is set aside");
            if let Err(error) = ctx.files.set_aside(&tar, &reason).await {
                tracing::error!(%error, "could not set the failed tar aside");
            }
        }
        TarOutcome::Retry(error) => {
            report.retry += 1;
            tracing::error!(%tar, %error, "import: store failure; the tar waits for the next pass");
        }
    }
}

/// What became of one metadata.xml read in place.
enum FileOutcome {
    Unchanged,
    Pending,
    /// The recording as stored (a batch of one).
    Imported(Vec<Announce>),
    Failed,
    Retry,
}

/// Indexes one metadata.xml unless it is unchanged since the last pass or still being written; remembers the
/// result (a failure too, so the file is retried only when it changes).
async fn index_in_place(
    ctx: &Ctx,
    marks: &HashMap<String, ImportMark>,
    item: &FoundMetadata,
    published: bool,
) -> Result<FileOutcome, StoreError> {
    let source = item.path.display().to_string();
    if marks.get(&source).is_some_and(|m| m.modified_ms == item.modified_ms && m.size == item.size) {
        return Ok(FileOutcome::Unchanged);
    }
    if !metadata_settled(item, ctx.config.recordings.import_settle) {
        return Ok(FileOutcome::Pending);
    }
    let checked = match read_recording(item) {
        Ok(recording) => match claimed_by_another_meeting(ctx, &recording).await? {
            Some(reason) => Err(reason),
            None => Ok(recording),
        },
        Err(reason) => Err(reason),
    };
    let (outcome, failure) = match checked {
        Ok(recording) => match ctx.recordings.import_recordings(&[prepare(ctx, recording, published)]).await {
            Ok(stored) => (FileOutcome::Imported(stored.iter().map(announce).collect()), None),
            Err(error) => {
                tracing::error!(%source, %error, "import: store failure; retried next pass");
                return Ok(FileOutcome::Retry);
            }
        },
        Err(reason) => {
            tracing::error!(%source, %reason, "import failed; retried when the file changes");
            (FileOutcome::Failed, Some(reason.to_string()))
        }
    };
    let mark = ImportMark { modified_ms: item.modified_ms, size: item.size, failure };
    ctx.import_ledger.mark_import(&source, &mark).await?;
    Ok(outcome)
}

async fn in_place_pass(ctx: &Ctx, progress: Progress<'_>) -> Result<(ImportReport, Ready), StoreError> {
    let marks = ctx.import_ledger.import_marks().await?;
    let trees =
        [(ctx.config.recordings.publish_dir.clone(), true), (ctx.config.recordings.unpublish_dir.clone(), false)];
    let found = blocking(move || -> std::io::Result<Vec<(FoundMetadata, bool)>> {
        let mut all = Vec::new();
        for (tree, published) in trees {
            all.extend(metadata_files(&tree)?.into_iter().map(|f| (f, published)));
        }
        Ok(all)
    })
    .await
    .map_err(|e| StoreError::Backend(format!("cannot read the recordings volume: {e}")))?;
    let (mut report, mut ready) = (ImportReport::default(), Ready::new());
    let (marks, total) = (&marks, found.len());
    let mut outcomes = stream::iter(found)
        .map(|(item, published)| async move { index_in_place(ctx, marks, &item, published).await })
        .buffer_unordered(CONCURRENCY);
    let mut done = 0;
    while let Some(outcome) = outcomes.next().await {
        match outcome? {
            FileOutcome::Unchanged => report.unchanged += 1,
            FileOutcome::Pending => report.pending += 1,
            FileOutcome::Imported(recordings) => {
                report.imported += recordings.len();
                ready.extend(recordings);
            }
            FileOutcome::Failed => report.failed += 1,
            FileOutcome::Retry => report.retry += 1,
        }
        done += 1;
        progress(done, total);
    }
    Ok((report, ready))
}

/// One import pass; `None` when another replica holds the import lease.
pub async fn pass_with_progress(ctx: &Ctx, progress: Progress<'_>) -> Result<Option<ImportReport>, StoreError> {
    let held = LEASE.hold(&*ctx.leases, &ctx.instance, leased_pass(ctx, progress)).await?;
    if held.is_none() {
        tracing::info!("another replica is importing; this pass is skipped");
    }
    held.transpose()
}

/// Removes the work directories a crashed pass left (no other pass runs while this one holds the lease).
async fn clear_abandoned_work(ctx: &Ctx) {
    let work_dir = ctx.config.recordings.work_dir.clone();
    let cleared = blocking(move || -> std::io::Result<usize> {
        let mut cleared = 0;
        let Ok(entries) = fs::read_dir(&work_dir) else { return Ok(0) };
        for entry in entries {
            let entry = entry?;
            if entry.file_name().to_string_lossy().starts_with("import-") {
                fs::remove_dir_all(entry.path())?;
                cleared += 1;
            }
        }
        Ok(cleared)
    })
    .await;
    match cleared {
        Ok(0) => {}
        Ok(cleared) => tracing::warn!(cleared, "removed work directories an interrupted import left"),
        Err(error) => tracing::warn!(%error, "could not clear old work directories"),
    }
}

async fn leased_pass(ctx: &Ctx, progress: Progress<'_>) -> Result<ImportReport, StoreError> {
    clear_abandoned_work(ctx).await;
    let started = std::time::Instant::now();
    let result = match ctx.config.recordings.import_mode {
        ImportMode::Spool => spool_pass(ctx, progress).await,
        ImportMode::InPlace => in_place_pass(ctx, progress).await,
    };
    if let Ok((_, ready)) = &result {
        for (meeting_id, record_id, tenant_id) in ready {
            recording_ready::notify(ctx, meeting_id, record_id, tenant_id.as_deref()).await;
        }
    }
    let result = result.map(|(report, _)| report);
    ctx.metrics.observe_import(started.elapsed().as_secs_f64(), result.as_ref().map_or(1, |r| r.failed));
    result
}

/// One import pass with no progress reports.
pub async fn pass(ctx: &Ctx) -> Result<Option<ImportReport>, StoreError> {
    pass_with_progress(ctx, &|_, _| {}).await
}

/// `POST /scalelite/jobs/import`: runs one pass, answers what it did (admin checksum, call name `import`).
pub async fn run(ctx: &Ctx, _: Call) -> Outcome {
    match pass(ctx).await.map_err(Reject::store(Store::Recordings))? {
        Some(report) => Ok(ApiResponse::json(StatusCode::OK, serde_json::to_vec(&report).unwrap_or_default())),
        None => Err(Refusal::ImportRunning.into()),
    }
}
