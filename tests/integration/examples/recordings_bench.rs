//! Recording benchmarks recorded in BENCHMARKS.md, through the local runtime:
//! `recordings_bench import N [postgres]`: N spool tars imported by one import pass (through
//! `POST /scalelite/jobs/import`), reported as recordings per second;
//! `recordings_bench query N [postgres]`: N recordings in the index, then getRecordings latency by meetingID,
//! by recordID prefix and by a meta filter (sequential requests, p50/p99).
//! `postgres` keeps the index in PostgreSQL (`DATABASE_URL`, default the local `test` database) in a
//! throw-away schema; otherwise the embedded SQLite store.

use std::sync::Arc;
use std::time::{Duration, Instant};

use scalelite_integration_tests::Harness;
use scalelite_integration_tests::pg::PgSchema;
use scalelite_integration_tests::recording_files::{Fixture, write_tar};
use scalelite_shared::model::{PlaybackFormat, Recording, Thumbnail};

/// Builds the query of the i-th getRecordings request of a run.
type Filter = Box<dyn Fn(usize) -> String>;

/// Requests per filter in the query run.
const SAMPLES: usize = 400;

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

async fn query(harness: &Harness, n: usize) {
    let store = harness.running.ctx.recordings.clone();
    let started = Instant::now();
    let tasks: Vec<_> = (0..8)
        .map(|task| {
            let store = Arc::clone(&store);
            tokio::spawn(async move {
                for i in (task..n).step_by(8) {
                    store.import_recording(&recording(i)).await.expect("import");
                }
            })
        })
        .collect();
    for task in tasks {
        task.await.unwrap();
    }
    println!("indexed {n} recordings in {:.1} s", started.elapsed().as_secs_f64());
    let filters: [(&str, Filter); 3] = [
        ("by meetingID", Box::new(|i| format!("meetingID=meeting-{}", i * 37 % 20_000))),
        ("by recordID prefix", Box::new(move |i| format!("recordID={:040x}", (i * 131 % n) * 7919))),
        ("by meta filter", Box::new(|i| format!("meta_course=course-{}", i * 53 % 10_000))),
    ];
    for (label, make) in filters {
        let mut times = Vec::with_capacity(SAMPLES);
        let mut found = 0;
        for i in 0..SAMPLES {
            let started = Instant::now();
            let answer = harness.call("getRecordings", &make(i)).await;
            times.push(started.elapsed());
            assert_eq!(answer.returncode().as_deref(), Some("SUCCESS"));
            found += answer.body.matches("<recording>").count();
        }
        times.sort();
        println!(
            "getRecordings {label}: p50 {:.2} ms, p99 {:.2} ms ({:.1} recordings per answer)",
            percentile(&times, 0.5),
            percentile(&times, 0.99),
            found as f64 / SAMPLES as f64
        );
    }
}

#[tokio::main]
async fn main() {
    let args: Vec<String> = std::env::args().collect();
    let (mode, n) = (
        args.get(1).map(String::as_str).unwrap_or("query"),
        args.get(2).and_then(|n| n.parse().ok()).unwrap_or(100_000),
    );
    let schema = match args.get(3).map(String::as_str) {
        Some("postgres") => Some(PgSchema::create("bench").await.expect("PostgreSQL for the benchmark")),
        _ => None,
    };
    let vars: Vec<(&str, &str)> = schema.iter().map(|s| ("DATABASE_URL", s.url.as_str())).collect();
    let harness = Harness::with_env(0, &vars).await;
    println!("store: {}", if schema.is_some() { "PostgreSQL" } else { "embedded SQLite" });
    match mode {
        "import" => import(&harness, n).await,
        _ => query(&harness, n).await,
    }
}
