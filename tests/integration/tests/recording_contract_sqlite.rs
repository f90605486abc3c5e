//! The recording-store contract on the embedded SQLite store.

use std::sync::Arc;

use scalelite_infra::sqlite::SqliteStore;
use scalelite_shared::store::RecordingBackend;

async fn open() -> Option<(Arc<dyn RecordingBackend>, tempfile::TempDir)> {
    let dir = tempfile::tempdir().expect("temp dir");
    let store = SqliteStore::open(&dir.path().join("recordings.db")).await.expect("sqlite store");
    Some((Arc::new(store), dir))
}

scalelite_integration_tests::recording_contract!(open());

/// A recording whose children document is missing (indexed before documents were kept) or unreadable is read
/// from its child rows, in its place in the order; one whose document is there is read from it, and an edit of
/// its metadata rebuilds it.
#[tokio::test]
async fn recordings_without_a_readable_document_read_from_their_child_rows() {
    use scalelite_integration_tests::recording_contract::recording;
    use scalelite_shared::store::{RecordingEdits, RecordingIndex, RecordingQuery};
    use sqlx::Connection;

    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("recordings.db");
    let store = SqliteStore::open(&path).await.expect("sqlite store");
    let mut recordings: Vec<_> = (0..5).map(|i| recording(&format!("r{i}"), "m", i64::from(i))).collect();
    recordings[3].formats[0].thumbnails[0].alt = Some("<a & b>".into());
    store.import_recordings(&recordings).await.expect("import");
    let all = RecordingQuery { meeting_ids: vec!["m".into()], ..RecordingQuery::default() };
    let before = store.recordings(&all).await.expect("read");
    assert_eq!(before.len(), 5);

    let mut conn = sqlx::SqliteConnection::connect(&format!("sqlite://{}", path.display())).await.expect("the file");
    sqlx::query("UPDATE recordings SET children = NULL WHERE record_id = 'r1'").execute(&mut conn).await.unwrap();
    sqlx::query("UPDATE recordings SET children = '{\"metadata\": 7}' WHERE record_id = 'r3'")
        .execute(&mut conn)
        .await
        .unwrap();
    // A document that says otherwise than the child rows shows which of the two a read used.
    sqlx::query(
        "UPDATE recordings SET children = '{\"metadata\": {\"from\": \"document\"}, \"formats\": []}' \
         WHERE record_id = 'r4'",
    )
    .execute(&mut conn)
    .await
    .unwrap();
    let read = store.recordings(&all).await.expect("read");
    let ids: Vec<&str> = read.iter().map(|r| r.record_id.as_str()).collect();
    assert_eq!(ids, ["r4", "r3", "r2", "r1", "r0"], "newest first, whatever each was read from");
    assert_eq!(read[3], before[3], "r1 without a document reads as it did");
    assert_eq!(read[1], before[1], "r3 with an unreadable document reads as it did");
    assert_eq!(read[1].formats[0].thumbnails[0].alt.as_deref(), Some("<a & b>"));
    assert_eq!(read[0].metadata.get("from").map(String::as_str), Some("document"), "r4 reads its document");
    assert!(read[0].formats.is_empty());

    let edits =
        RecordingEdits { metadata: vec![("course".to_owned(), Some("c1".to_owned()))], ..RecordingEdits::default() };
    assert!(store.update_recordings(&["r4".to_owned(), "r1".to_owned()], &edits).await.expect("update"));
    let rebuilt: Vec<bool> = sqlx::query_scalar(
        "SELECT r.children IS c.document FROM recordings r JOIN recording_children c ON c.recording_id = r.id \
         WHERE r.record_id IN ('r1', 'r4')",
    )
    .fetch_all(&mut conn)
    .await
    .unwrap();
    assert_eq!(rebuilt, [true, true], "an edit of its metadata builds each one's document again");
    let read = store.recordings(&all).await.expect("read");
    for (i, record_id) in [(0, "r4"), (3, "r1")] {
        let mut expected = before.iter().find(|r| r.record_id == record_id).unwrap().clone();
        expected.metadata.insert("course".into(), "c1".into());
        assert_eq!(read[i], expected, "{record_id} after the edit, from its rebuilt document");
    }
}
