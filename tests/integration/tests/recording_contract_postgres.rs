//! The recording-store contract on PostgreSQL, each case in a fresh schema of upstream's tables.

use std::sync::Arc;

use scalelite_infra::postgres::PostgresRecordings;
use scalelite_integration_tests::pg::PgSchema;
use scalelite_shared::store::RecordingBackend;

async fn open() -> Option<(Arc<dyn RecordingBackend>, PgSchema)> {
    let schema = PgSchema::create("contract").await?;
    let store = PostgresRecordings::open(&schema.url).await.expect("postgres recordings");
    Some((Arc::new(store), schema))
}

scalelite_integration_tests::recording_contract!(open());

/// Children documents beside upstream's tables: read in place of the child rows, forgotten when another writer
/// (upstream Scalelite, a hand edit) changes a child row, so that its change shows at once, and built again when
/// scalelite-rs next writes the recording; such a writer and scalelite-rs take the recording's row lock in turn.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn children_documents_follow_every_writer() {
    use std::time::Duration;

    use scalelite_integration_tests::recording_contract::recording;
    use scalelite_shared::store::{RecordingEdits, RecordingIndex, RecordingQuery};
    use sqlx::{Connection, Executor};

    let Some(schema) = PgSchema::create("children").await else { return };
    let store = Arc::new(PostgresRecordings::open(&schema.url).await.expect("postgres recordings"));
    let mut recordings: Vec<_> = (0..3).map(|i| recording(&format!("r{i}"), "m", i64::from(i))).collect();
    // Formats whose order depends on the database's collation.
    for name in ["Video", "podcast"] {
        let mut format = recordings[2].formats[0].clone();
        format.format = name.into();
        recordings[2].formats.push(format);
    }
    store.import_recordings(&recordings).await.expect("import");
    let all = RecordingQuery { meeting_ids: vec!["m".into()], ..RecordingQuery::default() };
    let read = |store: Arc<PostgresRecordings>| {
        let all = all.clone();
        async move { store.recordings(&all).await.expect("read") }
    };
    let before = read(store.clone()).await;
    let mut conn = schema.connect().await;
    let documents = |ids: &'static str| {
        format!(
            "SELECT count(*) FROM scalelite_rs_recording_children d JOIN recordings r ON r.id = d.recording_id \
             WHERE r.record_id IN ({ids})"
        )
    };
    let count = async |conn: &mut sqlx::PgConnection, sql: String| -> i64 {
        sqlx::query_scalar(sqlx::AssertSqlSafe(sql)).fetch_one(conn).await.unwrap()
    };
    assert_eq!(count(&mut conn, documents("'r0', 'r1', 'r2'")).await, 3, "an import writes each document");
    // The view that built the documents of recordings indexed before them builds the same ones; how many there are.
    let same_as_view = async |conn: &mut sqlx::PgConnection| -> usize {
        let pairs: Vec<(String, String)> = sqlx::query_as(
            "SELECT d.document, b.document FROM scalelite_rs_recording_children d \
             JOIN scalelite_rs_recording_children_built b USING (recording_id)",
        )
        .fetch_all(conn)
        .await
        .unwrap();
        for (written, built) in &pairs {
            let parse = |text: &str| serde_json::from_str::<serde_json::Value>(text).unwrap();
            assert_eq!(parse(written), parse(built));
        }
        pairs.len()
    };
    assert_eq!(same_as_view(&mut conn).await, 3);

    // A document that says otherwise than the child rows shows which of the two a read used.
    conn.execute(
        "UPDATE scalelite_rs_recording_children SET document = '{\"metadata\": {\"from\": \"document\"}, \"formats\": []}' \
         WHERE recording_id = (SELECT id FROM recordings WHERE record_id = 'r2')",
    )
    .await
    .unwrap();
    let read_now = read(store.clone()).await;
    assert_eq!(read_now[0].metadata.get("from").map(String::as_str), Some("document"));
    assert_eq!(read_now[1..], before[1..]);

    // Another writer's changes to each child table show at once.
    conn.execute(
        "INSERT INTO metadata (recording_id, key, value) SELECT id, 'course', 'c9' FROM recordings WHERE record_id = 'r2'; \
         UPDATE thumbnails SET alt = 'edited <by hand>' WHERE playback_format_id = \
           (SELECT p.id FROM playback_formats p JOIN recordings r ON r.id = p.recording_id WHERE r.record_id = 'r1') \
           AND sequence = 0; \
         DELETE FROM playback_formats WHERE recording_id = (SELECT id FROM recordings WHERE record_id = 'r0')",
    )
    .await
    .unwrap();
    assert_eq!(count(&mut conn, documents("'r0', 'r1', 'r2'")).await, 0, "each change forgets its document");
    let read_now = read(store.clone()).await;
    let mut expected = before.clone();
    expected[0].metadata.insert("course".into(), "c9".into());
    expected[1].formats[0].thumbnails[0].alt = Some("edited <by hand>".into());
    expected[2].formats.clear();
    assert_eq!(read_now, expected, "read from the child rows");

    // Another writer holding r1's children: scalelite-rs's edit of r1 waits for it, then sees its change.
    let mut other = schema.connect().await;
    let mut other_tx = other.begin().await.unwrap();
    other_tx
        .execute("INSERT INTO metadata (recording_id, key, value) SELECT id, 'term', 't1' FROM recordings WHERE record_id = 'r1'")
        .await
        .unwrap();
    let edit = tokio::spawn({
        let store = store.clone();
        async move {
            let edits = RecordingEdits { metadata: vec![("course".into(), Some("c1".into()))], protect: None };
            store.update_recordings(&["r1".to_owned()], &edits).await.expect("update")
        }
    });
    let other_pid: i32 = sqlx::query_scalar("SELECT pg_backend_pid()").fetch_one(&mut *other_tx).await.unwrap();
    let blocked = format!("SELECT count(*) FROM pg_stat_activity WHERE {other_pid} = ANY(pg_blocking_pids(pid))");
    let started = std::time::Instant::now();
    while count(&mut conn, blocked.clone()).await == 0 {
        assert!(started.elapsed() < Duration::from_secs(10), "the edit waits for the other writer's row lock");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert!(!edit.is_finished());
    other_tx.commit().await.unwrap();
    assert!(tokio::time::timeout(Duration::from_secs(10), edit).await.expect("the edit goes on").unwrap());
    assert_eq!(count(&mut conn, documents("'r1'")).await, 1, "scalelite-rs's edit builds the document again");
    let read_now = read(store.clone()).await;
    expected[1].metadata.insert("term".into(), "t1".into());
    expected[1].metadata.insert("course".into(), "c1".into());
    assert_eq!(read_now, expected, "the rebuilt document holds both writers' changes");

    // A thumbnail another writer added without a sequence, then scalelite-rs's edit: the document it writes is the
    // one the view builds.
    conn.execute(
        "INSERT INTO thumbnails (playback_format_id, url) SELECT p.id, '/late.png' FROM playback_formats p \
         JOIN recordings r ON r.id = p.recording_id WHERE r.record_id = 'r2'",
    )
    .await
    .unwrap();
    let edits = RecordingEdits { metadata: vec![("course".into(), Some("c2".into()))], protect: None };
    assert!(store.update_recordings(&["r2".to_owned()], &edits).await.expect("update"));
    assert_eq!(same_as_view(&mut conn).await, 2, "r1's and r2's documents");

    // A deleted recording's document goes with it, and emptying a table forgets every document.
    let all_documents = || "SELECT count(*) FROM scalelite_rs_recording_children".to_owned();
    conn.execute("DELETE FROM recordings WHERE record_id = 'r1'").await.unwrap();
    assert_eq!(count(&mut conn, all_documents()).await, 1);
    conn.execute("TRUNCATE thumbnails").await.unwrap();
    assert_eq!(count(&mut conn, all_documents()).await, 0);
}

/// scalelite-rs's own writers write the documents of what they change themselves, with the forgetting triggers
/// standing aside for them: they read back from the child rows, never from the document they replace, and the
/// setting that tells the triggers so ends with their transaction. One connection serves the store and the other
/// writer in turn, so a setting left behind would show.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn own_writers_write_documents_from_the_child_rows_and_leave_no_setting_behind() {
    use scalelite_integration_tests::recording_contract::recording;
    use scalelite_shared::store::{RecordingEdits, RecordingIndex, RecordingQuery};
    use sqlx::postgres::PgPoolOptions;

    let Some(schema) = PgSchema::create("own_writes").await else { return };
    let pool = PgPoolOptions::new().max_connections(1).connect(&schema.url).await.expect("postgres pool");
    let store = PostgresRecordings::with_pool(pool.clone()).await.expect("postgres recordings");
    let imported: Vec<_> = (0..2).map(|i| recording(&format!("r{i}"), "m", i64::from(i))).collect();
    store.import_recordings(&imported).await.expect("import");
    let all = RecordingQuery { meeting_ids: vec!["m".into()], ..RecordingQuery::default() };
    let document_count = async || -> i64 {
        sqlx::query_scalar("SELECT count(*) FROM scalelite_rs_recording_children").fetch_one(&pool).await.unwrap()
    };
    assert_eq!(document_count().await, 2);

    // Documents that say otherwise than the child rows: each writer replaces them with what the rows hold.
    let plant = "UPDATE scalelite_rs_recording_children SET document = \
                 '{\"metadata\": {\"from\": \"document\"}, \"formats\": []}'";
    sqlx::query(plant).execute(&pool).await.unwrap();
    let edits = RecordingEdits { metadata: vec![("course".into(), Some("c0".into()))], protect: None };
    assert!(store.update_recordings(&["r0".to_owned()], &edits).await.expect("update"));
    store.import_recordings(&imported[1..]).await.expect("import again");
    let mut expected = imported.clone();
    expected[0].metadata.insert("course".into(), "c0".into());
    expected.reverse();
    assert_eq!(store.recordings(&all).await.expect("read"), expected, "documents written from the child rows");
    assert_eq!(document_count().await, 2, "each writer wrote its document");

    // The same connection, outside scalelite-rs's transactions: the setting is gone, so another writer's change
    // forgets the document again.
    let setting: Option<String> = sqlx::query_scalar("SELECT current_setting('scalelite_rs.writes_children', true)")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_ne!(setting.as_deref(), Some("on"));
    sqlx::query("UPDATE metadata SET value = 'by hand' WHERE key = 'course'").execute(&pool).await.unwrap();
    assert_eq!(document_count().await, 1, "the other writer's change forgot r0's document");
    expected[1].metadata.insert("course".into(), "by hand".into());
    assert_eq!(store.recordings(&all).await.expect("read"), expected);

    // A rolled-back write leaves no setting behind either.
    let edits = RecordingEdits { metadata: vec![("course".into(), Some("c1".into()))], protect: None };
    sqlx::query("ALTER TABLE scalelite_rs_recording_children ADD CONSTRAINT refuse_writes CHECK (false) NOT VALID")
        .execute(&pool)
        .await
        .unwrap();
    assert!(store.update_recordings(&["r1".to_owned()], &edits).await.is_err(), "the document write is refused");
    sqlx::query(
        "UPDATE metadata SET value = 'by hand' WHERE recording_id = (SELECT id FROM recordings WHERE record_id = 'r1')",
    )
    .execute(&pool)
    .await
    .unwrap();
    assert_eq!(document_count().await, 0, "the other writer's change forgot r1's document");
}
