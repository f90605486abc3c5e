//! Recording benchmarks recorded in BENCHMARKS.md, through the local runtime:
//! `recordings_bench import N [postgres]`: N spool tars imported by one import pass (through
//! `POST /scalelite/jobs/import`), reported as recordings per second;
//! `recordings_bench query N [postgres]`: N recordings in the index (the first thousand imported through the
//! store, the rest written by set-based SQL in the same shape and checked to read back as the store would
//! have stored them), then getRecordings latency by meetingID, by a list of meetingIDs, by recordID prefix,
//! by a meta filter and a page of 100 of all, among the first pages and anywhere (sequential requests,
//! p50/p99), and beside each the p50 of its two parts: the store's read alone and the XML document alone.
//! `recordings_bench spool N DIR [FIRST]`: writes N spool tars into DIR (recordings FIRST.., each with two
//! formats and a `course` metadata, spread over 200 meetings `soak-rec-0`..), for the soak to import.
//! `postgres` keeps the index in PostgreSQL (`DATABASE_URL`, default the local `test` database) in a
//! throw-away schema; otherwise the embedded SQLite store.

use std::sync::Arc;
use std::time::{Duration, Instant};

use sqlx::Connection;

use scalelite_functions::api::get_recordings;
use scalelite_integration_tests::Harness;
use scalelite_integration_tests::pg::PgSchema;
use scalelite_integration_tests::recording_files::{Fixture, write_tar};
use scalelite_shared::bbb::params::Params;
use scalelite_shared::bbb::recordings_xml::{Links, recordings_document};
use scalelite_shared::model::{PlaybackFormat, Recording, Thumbnail};
use scalelite_shared::store::RecordingQuery;

/// The allocator of the load balancer's binaries, so the load balancer in this process allocates as it does there.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Builds the query of the i-th getRecordings request of a run.
type Filter = Box<dyn Fn(usize) -> String>;

/// Requests per filter in the query run.
const SAMPLES: usize = 400;

/// Recordings imported through the store before the rest are written by SQL.
const IMPORTED: usize = 1_000;

/// Recordings written by one SQL statement set.
const FILL_CHUNK: usize = 100_000;

/// Where the index lives, for the set-based fill.
enum Index {
    Sqlite(std::path::PathBuf),
    Postgres(String),
}

/// The statements that write recordings `from..to` as [`recording`] makes them, beside the `id`s already taken
/// (`?1`/`$1`: from, `?2`/`$2`: to, `?3`/`$3`: the largest recording id before them).
const SQLITE_FILL: [&str; 6] = [
    "WITH RECURSIVE n(i) AS (SELECT ?1 UNION ALL SELECT i + 1 FROM n WHERE i + 1 < ?2) \
     INSERT INTO recordings (record_id, meeting_id, name, published, participants, state, starttime_ms, endtime_ms) \
     SELECT printf('%040x-%d', i * 7919, 1600000000000 + i), 'meeting-' || (i % 20000), 'Lecture ' || i, 1, 12, \
     'published', 1600000000000 + i * 1000, 1600000000000 + i * 1000 + 3600000 FROM n",
    "INSERT INTO metadata (recording_id, key, value) SELECT id, 'bbb-origin', 'greenlight' FROM recordings \
     WHERE id > ?3 AND ?1 = ?1 AND ?2 = ?2",
    "INSERT INTO metadata (recording_id, key, value) \
     SELECT id, 'course', 'course-' || (CAST(substr(name, 9) AS INTEGER) % 10000) FROM recordings \
     WHERE id > ?3 AND ?1 = ?1 AND ?2 = ?2",
    "INSERT INTO playback_formats (recording_id, format, url, length) \
     SELECT id, f.format, '/playback/' || f.format || '/2.3/' || record_id, 42 FROM recordings, \
     (SELECT 'presentation' AS format UNION ALL SELECT 'video') AS f WHERE id > ?3 AND ?1 = ?1 AND ?2 = ?2",
    "INSERT INTO thumbnails (playback_format_id, url, sequence) \
     SELECT p.id, '/' || p.format || '/' || r.record_id || '/thumb-1.png', 0 \
     FROM playback_formats p JOIN recordings r ON r.id = p.recording_id WHERE r.id > ?3 AND ?1 = ?1 AND ?2 = ?2",
    "UPDATE recordings SET children = (SELECT document FROM recording_children WHERE recording_id = recordings.id) \
     WHERE id > ?3 AND ?1 = ?1 AND ?2 = ?2",
];

const POSTGRES_FILL: [&str; 7] = [
    // A bulk load, as a restore makes one: the triggers that watch upstream's tables for other writers are off
    // for this transaction (a superuser's setting: the benchmark's database user must be one), and the documents
    // are built at the end.
    "SELECT set_config('session_replication_role', 'replica', true) \
     WHERE $1::bigint = $1::bigint AND $2::bigint = $2::bigint AND $3::bigint = $3::bigint",
    "INSERT INTO recordings (record_id, meeting_id, name, published, participants, state, starttime, endtime) \
     SELECT lpad(to_hex(i * 7919), 40, '0') || '-' || (1600000000000 + i), 'meeting-' || (i % 20000), \
     'Lecture ' || i, true, 12, 'published', \
     TIMESTAMP 'epoch' + (1600000000000 + i * 1000) * INTERVAL '1 millisecond', \
     TIMESTAMP 'epoch' + (1600000000000 + i * 1000 + 3600000) * INTERVAL '1 millisecond' \
     FROM generate_series($1::bigint, $2::bigint - 1) AS i WHERE $3::bigint = $3::bigint",
    "INSERT INTO metadata (recording_id, key, value) SELECT id, 'bbb-origin', 'greenlight' FROM recordings \
     WHERE id > $3::bigint AND $1::bigint = $1::bigint AND $2::bigint = $2::bigint",
    "INSERT INTO metadata (recording_id, key, value) \
     SELECT id, 'course', 'course-' || (substr(name, 9)::bigint % 10000) FROM recordings \
     WHERE id > $3::bigint AND $1::bigint = $1::bigint AND $2::bigint = $2::bigint",
    "INSERT INTO playback_formats (recording_id, format, url, length) \
     SELECT id, f, '/playback/' || f || '/2.3/' || record_id, 42 FROM recordings, \
     unnest(ARRAY['presentation', 'video']) AS f WHERE id > $3::bigint AND $1::bigint = $1::bigint AND $2::bigint = $2::bigint",
    "INSERT INTO thumbnails (playback_format_id, url, sequence) \
     SELECT p.id, '/' || p.format || '/' || r.record_id || '/thumb-1.png', 0 \
     FROM playback_formats p JOIN recordings r ON r.id = p.recording_id \
     WHERE r.id > $3::bigint AND $1::bigint = $1::bigint AND $2::bigint = $2::bigint",
    "INSERT INTO scalelite_rs_recording_children (recording_id, document) \
     SELECT recording_id, document FROM scalelite_rs_recording_children_built \
     WHERE recording_id > $3::bigint AND $1::bigint = $1::bigint AND $2::bigint = $2::bigint",
];

/// Writes recordings `from..to` straight into the index, a chunk a transaction.
async fn fill(index: &Index, from: usize, to: usize) {
    macro_rules! run {
        ($connection:expr, $statements:expr, $largest:expr) => {{
            let mut connection = $connection;
            for start in (from..to).step_by(FILL_CHUNK) {
                let end = (start + FILL_CHUNK).min(to);
                let mut tx = connection.begin().await.expect("begin");
                let largest: i64 = sqlx::query_scalar($largest).fetch_one(&mut *tx).await.expect("largest id");
                for statement in $statements {
                    sqlx::query(statement)
                        .bind(start as i64)
                        .bind(end as i64)
                        .bind(largest)
                        .execute(&mut *tx)
                        .await
                        .expect(statement);
                }
                tx.commit().await.expect("commit");
                eprintln!("{end} recordings in the index");
            }
        }};
    }
    match index {
        Index::Sqlite(path) => run!(
            sqlx::SqliteConnection::connect(&format!("sqlite://{}", path.display())).await.expect("the index file"),
            SQLITE_FILL,
            "SELECT COALESCE(MAX(id), 0) FROM recordings"
        ),
        Index::Postgres(url) => run!(
            sqlx::PgConnection::connect(url).await.expect("PostgreSQL"),
            POSTGRES_FILL,
            "SELECT COALESCE(MAX(id), 0)::bigint FROM recordings"
        ),
    }
    // The planner's statistics and the visibility map, as autovacuum would have left them on a live index
    // (it vacuums a table after inserts too).
    if let Index::Postgres(url) = index {
        let mut connection = sqlx::PgConnection::connect(url).await.expect("PostgreSQL");
        sqlx::query("VACUUM ANALYZE").execute(&mut connection).await.expect("VACUUM ANALYZE");
    }
}

fn recording(i: usize) -> Recording {
    let record_id = format!("{:040x}-{}", i * 7919, 1_600_000_000_000u64 + i as u64);
    let format = |name: &str| PlaybackFormat {
        format: name.into(),
        url: format!("/playback/{name}/2.3/{record_id}"),
        length: Some(42),
        processing_time: None,
        thumbnails: vec![Thumbnail {
            url: format!("/{name}/{record_id}/thumb-1.png"),
            sequence: 0,
            ..Thumbnail::default()
        }],
    };
    Recording {
        meeting_id: format!("meeting-{}", i % 20_000),
        name: Some(format!("Lecture {i}")),
        published: true,
        participants: Some(12),
        state: Some("published".into()),
        start_time_ms: Some(1_600_000_000_000 + i as i64 * 1000),
        end_time_ms: Some(1_600_000_000_000 + i as i64 * 1000 + 3_600_000),
        metadata: [
            ("bbb-origin".to_owned(), "greenlight".to_owned()),
            ("course".to_owned(), format!("course-{}", i % 10_000)),
        ]
        .into_iter()
        .collect(),
        formats: vec![format("presentation"), format("video")],
        record_id,
        ..Recording::default()
    }
}

fn percentile(sorted: &[Duration], p: f64) -> f64 {
    let index = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[index].as_secs_f64() * 1000.0
}

async fn import(harness: &Harness, n: usize) {
    let spool = harness.path("recordings/spool");
    for i in 0..n {
        let fixture = Fixture::new(&format!("{:040x}-{}", i, 1_700_000_000_000u64 + i as u64), &format!("m{i}"));
        write_tar(&spool.join(format!("{i:06}.tar")), &[fixture]);
    }
    let started = Instant::now();
    let report = harness.import().await;
    let elapsed = started.elapsed().as_secs_f64();
    assert_eq!(report["imported"], n, "{report}");
    println!("imported {n} tars in {elapsed:.2} s: {:.0} recordings/s", n as f64 / elapsed);
}

async fn query(harness: &Harness, index: &Index, n: usize) {
    let store = harness.running.ctx.recordings.clone();
    let started = Instant::now();
    let imported = n.min(IMPORTED);
    let first: Vec<Recording> = (0..imported).map(recording).collect();
    for batch in first.chunks(100) {
        store.import_recordings(batch).await.expect("import");
    }
    fill(index, imported, n).await;
    println!("indexed {n} recordings in {:.1} s", started.elapsed().as_secs_f64());
    // The written rows read back as the store reads the imported ones: as they were given.
    let read = |i: usize| {
        let store = Arc::clone(&store);
        async move {
            let query = RecordingQuery { record_ids: vec![recording(i).record_id], ..RecordingQuery::default() };
            store.recordings(&query).await.expect("read back")
        }
    };
    for i in [0, imported, (imported + n) / 2, n - 1].into_iter().filter(|&i| i < n) {
        assert_eq!(read(i).await, vec![recording(i)], "recording {i} reads back as given");
    }
    let meetings = n.div_ceil(5).min(20_000);
    let filters: [(&str, Filter); 6] = [
        ("by meetingID", Box::new(move |i| format!("meetingID=meeting-{}", i * 37 % meetings))),
        (
            "by a list of 3 meetingIDs",
            Box::new(move |i| {
                let m = |k: usize| format!("meeting-{}", (i * 37 + k * 101) % meetings);
                format!("meetingID={},{},{}", m(0), m(1), m(2))
            }),
        ),
        ("by recordID prefix", Box::new(move |i| format!("recordID={:040x}", (i * 131 % n) * 7919))),
        ("by meta filter", Box::new(move |i| format!("meta_course=course-{}", i * 53 % meetings.min(10_000)))),
        ("one of the first 10 pages of 100 of all", Box::new(|i| format!("limit=100&offset={}", i % 10 * 100))),
        (
            "a page of 100 of all anywhere",
            Box::new(move |i| format!("limit=100&offset={}", (i * 997) % n.saturating_sub(100).max(1))),
        ),
    ];
    let playback_url = |_: &Recording, format: &PlaybackFormat| format!("https://lb.example{}", format.url);
    let links = Links { origin: "https://lb.example", show_protected: false, playback_url: &playback_url };
    for (label, make) in filters {
        let (mut times, mut reads, mut documents) = (Vec::new(), Vec::new(), Vec::new());
        let mut found = 0;
        for i in 0..SAMPLES {
            let started = Instant::now();
            let answer = harness.call("getRecordings", &make(i)).await;
            times.push(started.elapsed());
            assert_eq!(answer.returncode().as_deref(), Some("SUCCESS"));
            found += answer.body.matches("<recording>").count();
            // The parts of a request like it that was not asked before: the store's read, then its document.
            let query = get_recordings::query(&Params::parse(make(i + SAMPLES).as_bytes()));
            let started = Instant::now();
            let recordings = store.recordings(&query).await.expect("the store's read");
            reads.push(started.elapsed());
            let started = Instant::now();
            std::hint::black_box(recordings_document(&recordings, &links));
            documents.push(started.elapsed());
        }
        for sample in [&mut times, &mut reads, &mut documents] {
            sample.sort();
        }
        println!(
            "getRecordings {label}: p50 {:.2} ms, p99 {:.2} ms ({:.1} recordings per answer); \
             p50 of the store's read {:.2} ms, of the document {:.2} ms",
            percentile(&times, 0.5),
            percentile(&times, 0.99),
            found as f64 / SAMPLES as f64,
            percentile(&reads, 0.5),
            percentile(&documents, 0.5),
        );
    }
}

/// Meetings the soak's recordings are spread over.
const SOAK_MEETINGS: usize = 200;

/// Writes `n` tars of recordings `first..` into `dir`, as BBB servers leave them in the spool.
fn spool(n: usize, dir: &std::path::Path, first: usize) {
    for i in first..first + n {
        let fixture = |format: &str| {
            Fixture::new(
                &format!("{:040x}-{}", i, 1_700_000_000_000u64 + i as u64),
                &format!("soak-rec-{}", i % SOAK_MEETINGS),
            )
            .format(format)
            .meta("course", &format!("course-{}", i % SOAK_MEETINGS))
            .start(1_700_000_000_000 + i as i64 * 1000)
        };
        write_tar(&dir.join(format!("{i:08}.tar")), &[fixture("presentation"), fixture("video")]);
    }
}

#[tokio::main]
async fn main() {
    let args: Vec<String> = std::env::args().collect();
    let (mode, n) = (
        args.get(1).map(String::as_str).unwrap_or("query"),
        args.get(2).and_then(|n| n.parse().ok()).unwrap_or(100_000),
    );
    if mode == "spool" {
        let usage = "recordings_bench spool N DIR [FIRST]";
        let n = args.get(2).expect(usage).parse().expect(usage);
        let first = args.get(4).map_or(Ok(0), |first| first.parse()).expect(usage);
        return spool(n, args.get(3).expect(usage).as_ref(), first);
    }
    let schema = match args.get(3).map(String::as_str) {
        Some("postgres") => Some(PgSchema::create("bench").await.expect("PostgreSQL for the benchmark")),
        _ => None,
    };
    let vars: Vec<(&str, &str)> = schema.iter().map(|s| ("DATABASE_URL", s.url.as_str())).collect();
    let harness = Harness::with_env(0, &vars).await;
    println!("store: {}", if schema.is_some() { "PostgreSQL" } else { "embedded SQLite" });
    let index = match &schema {
        Some(schema) => Index::Postgres(schema.url.clone()),
        None => Index::Sqlite(harness.path("scalelite.db")),
    };
    match mode {
        "import" => import(&harness, n).await,
        _ => query(&harness, &index, n).await,
    }
}
