//! The recording-store contract: what every `RecordingBackend` adapter (the index, the import ledger and the
//! callback URLs) must do, run against each backend.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use scalelite_shared::model::{CallbackData, PlaybackFormat, Recording, Thumbnail};
use scalelite_shared::store::{
    ImportMark, RecordingBackend, RecordingEdits, RecordingIndex, RecordingQuery, StoreResult,
};

const START: i64 = 1_700_000_000_123;

fn thumbnails(n: i32) -> Vec<Thumbnail> {
    (0..n)
        .map(|i| Thumbnail {
            url: format!("/presentation/thumb-{i}.png"),
            width: Some(176),
            height: (i != 1).then_some(136),
            alt: (i == 0).then(|| "Welcome".to_owned()),
            sequence: i,
        })
        .collect()
}

fn format(name: &str, record_id: &str, thumbs: i32) -> PlaybackFormat {
    PlaybackFormat {
        format: name.to_owned(),
        url: format!("/playback/{name}/2.3/{record_id}"),
        length: Some(42),
        processing_time: None,
        thumbnails: thumbnails(thumbs),
    }
}

/// A published recording of `meeting_id` that started `minutes` after `START`.
pub fn recording(record_id: &str, meeting_id: &str, minutes: i64) -> Recording {
    Recording {
        record_id: record_id.to_owned(),
        meeting_id: meeting_id.to_owned(),
        name: Some(format!("Room {meeting_id}")),
        published: true,
        participants: Some(3),
        state: Some("published".into()),
        start_time_ms: Some(START + minutes * 60_000),
        end_time_ms: Some(START + minutes * 60_000 + 1_800_001),
        protected: false,
        publish_updated: false,
        metadata: BTreeMap::from([("bbb-origin".to_owned(), "greenlight".to_owned())]),
        formats: vec![format("presentation", record_id, 2)],
    }
}

fn with_meta(mut r: Recording, pairs: &[(&str, &str)]) -> Recording {
    r.metadata.extend(pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())));
    r
}

fn any_state() -> RecordingQuery {
    RecordingQuery { states: None, ..RecordingQuery::default() }
}

/// Imports one recording, a batch of one.
async fn import(store: &dyn RecordingIndex, recording: &Recording) -> StoreResult<Recording> {
    let mut stored = store.import_recordings(std::slice::from_ref(recording)).await?;
    assert_eq!(stored.len(), 1, "one recording asked, one answered");
    Ok(stored.remove(0))
}

async fn ids(store: &dyn RecordingIndex, query: RecordingQuery) -> Vec<String> {
    store.recordings(&query).await.expect("recordings").into_iter().map(|r| r.record_id).collect()
}

async fn one(store: &dyn RecordingIndex, record_id: &str) -> Recording {
    let found = store
        .recordings(&RecordingQuery { record_ids: vec![record_id.to_owned()], ..any_state() })
        .await
        .expect("recordings");
    assert_eq!(found.len(), 1, "{record_id}: {found:?}");
    found.into_iter().next().unwrap()
}

pub async fn imports_upsert_by_record_id(store: Arc<dyn RecordingBackend>) {
    let first = with_meta(recording("r1", "m1", 0), &[("keep", "1"), ("replace", "old")]);
    assert_eq!(import(&*store, &first).await.unwrap(), first, "returned as stored");
    assert_eq!(one(&*store, "r1").await, first);

    let mut again = recording("r1", "m1", 5);
    again.name = Some("Renamed".into());
    again.participants = None;
    again.metadata = BTreeMap::from([("replace".to_owned(), "new".to_owned()), ("added".to_owned(), String::new())]);
    again.formats = vec![format("video", "r1", 0), format("presentation", "r1", 1)];
    let stored = import(&*store, &again).await.unwrap();

    let mut expected = again.clone();
    expected.metadata.insert("keep".into(), "1".into());
    expected.metadata.insert("bbb-origin".into(), "greenlight".into());
    expected.formats = vec![format("presentation", "r1", 1), format("video", "r1", 0)];
    assert_eq!(stored, expected, "keys not named stay, named ones are replaced, thumbnails replaced");
    assert_eq!(one(&*store, "r1").await, expected);

    let mut fewer = again.clone();
    fewer.formats = vec![format("presentation", "r1", 3)];
    let stored = import(&*store, &fewer).await.unwrap();
    assert_eq!(stored.formats, vec![format("presentation", "r1", 3), format("video", "r1", 0)], "formats by name");
    assert_eq!(ids(&*store, any_state()).await, vec!["r1"], "one row per recordID");
}

pub async fn a_batch_imports_in_order(store: Arc<dyn RecordingBackend>) {
    let first = recording("b1", "m1", 0);
    let mut second_format = with_meta(recording("b1", "m1", 0), &[("added", "later")]);
    second_format.formats = vec![format("video", "b1", 1)];
    let other = recording("b0", "m2", 1);
    let stored = store.import_recordings(&[first.clone(), other.clone(), second_format.clone()]).await.unwrap();

    let mut merged = second_format.clone();
    merged.formats = vec![format("presentation", "b1", 2), format("video", "b1", 1)];
    assert_eq!(stored, vec![merged.clone(), other.clone(), merged.clone()], "each as the whole batch left it");
    assert_eq!(one(&*store, "b1").await, merged, "a recordID listed twice merges in the order listed");
    assert_eq!(one(&*store, "b0").await, other);
    assert_eq!(store.import_recordings(&[]).await.unwrap(), Vec::<Recording>::new(), "an empty batch");
}

pub async fn a_publish_choice_survives_imports(store: Arc<dyn RecordingBackend>) {
    import(&*store, &recording("chosen", "m", 0)).await.unwrap();
    import(&*store, &recording("free", "m", 1)).await.unwrap();
    store.set_published("chosen", false).await.unwrap();
    store.set_published("missing", true).await.expect("an unknown recording is no error");
    let chosen = one(&*store, "chosen").await;
    assert_eq!((chosen.published, chosen.state.as_deref(), chosen.publish_updated), (false, Some("unpublished"), true));

    let mut processed = recording("chosen", "m", 0);
    processed.state = Some("processed".into());
    processed.name = Some("New name".into());
    let stored = import(&*store, &processed).await.unwrap();
    assert_eq!((stored.published, stored.state.as_deref(), stored.publish_updated), (false, Some("unpublished"), true));
    assert_eq!(stored.name.as_deref(), Some("New name"), "other columns still follow the import");

    let mut unpublished = recording("free", "m", 1);
    unpublished.published = false;
    unpublished.state = Some("unpublished".into());
    let stored = import(&*store, &unpublished).await.unwrap();
    assert_eq!(
        (stored.published, stored.state.as_deref(), stored.publish_updated),
        (false, Some("unpublished"), false)
    );

    store.set_published("chosen", true).await.unwrap();
    let chosen = one(&*store, "chosen").await;
    assert_eq!((chosen.published, chosen.state.as_deref()), (true, Some("published")));
}

pub async fn queries_filter(store: Arc<dyn RecordingBackend>) {
    let mut processing = recording("abc-3", "m2", 3);
    processing.state = Some("processing".into());
    for r in [
        with_meta(recording("abc-1", "m1", 1), &[("tenant-id", "t1"), ("course", "math")]),
        with_meta(recording("abc-2", "m1", 2), &[("tenant-id", "t2"), ("teacher", "ada")]),
        processing,
        with_meta(recording("a%c_1", "m3", 4), &[("tenant-id", "t1"), ("course", "art")]),
        recording("a|c-1", "m3", 5),
        recording("ABC-9", "m4", 6),
    ] {
        import(&*store, &r).await.unwrap();
    }
    let q = |f: fn(&mut RecordingQuery)| {
        let mut query = any_state();
        f(&mut query);
        query
    };
    let s = &*store;
    assert_eq!(ids(s, any_state()).await, ["ABC-9", "a|c-1", "a%c_1", "abc-3", "abc-2", "abc-1"]);
    assert_eq!(
        ids(s, q(|q| q.record_ids = vec!["abc-1".into(), "abc-3".into(), "nope".into()])).await,
        ["abc-3", "abc-1"]
    );
    assert_eq!(ids(s, q(|q| q.record_ids = vec!["abc".into()])).await, Vec::<String>::new(), "ids are exact");
    assert_eq!(ids(s, q(|q| q.record_id_prefixes = vec!["abc".into()])).await, ["abc-3", "abc-2", "abc-1"]);
    assert_eq!(ids(s, q(|q| q.record_id_prefixes = vec!["a%".into()])).await, ["a%c_1"], "% is literal");
    assert_eq!(ids(s, q(|q| q.record_id_prefixes = vec!["a_c".into()])).await, Vec::<String>::new(), "_ is literal");
    assert_eq!(ids(s, q(|q| q.record_id_prefixes = vec!["a%c_".into()])).await, ["a%c_1"]);
    assert_eq!(ids(s, q(|q| q.record_id_prefixes = vec!["a|".into()])).await, ["a|c-1"], "| is literal");
    assert_eq!(ids(s, q(|q| q.record_id_prefixes = vec!["ABC".into(), "a|".into()])).await, ["ABC-9", "a|c-1"]);
    assert_eq!(
        ids(
            s,
            q(|q| {
                q.record_id_prefixes = vec!["abc".into()];
                q.record_ids = vec!["abc-2".into(), "ABC-9".into()];
            })
        )
        .await,
        ["abc-2"],
        "filters are AND-ed"
    );
    assert_eq!(ids(s, q(|q| q.meeting_ids = vec!["m1".into(), "m4".into()])).await, ["ABC-9", "abc-2", "abc-1"]);
    assert_eq!(ids(s, q(|q| q.meeting_ids = vec!["M1".into()])).await, Vec::<String>::new());
    assert_eq!(ids(s, q(|q| q.states = Some(vec!["processing".into()]))).await, ["abc-3"]);
    assert_eq!(
        ids(s, q(|q| q.states = Some(vec!["published".into(), "unpublished".into()]))).await,
        ["ABC-9", "a|c-1", "a%c_1", "abc-2", "abc-1"]
    );
    assert_eq!(
        ids(s, q(|q| q.meta = vec![("course".into(), vec!["math".into(), "art".into()])])).await,
        ["a%c_1", "abc-1"]
    );
    assert_eq!(
        ids(s, q(|q| q.meta = vec![("course".into(), vec!["art".into()]), ("teacher".into(), vec!["ada".into()])]))
            .await,
        ["a%c_1", "abc-2"],
        "meta filters of different keys are OR-ed"
    );
    assert_eq!(ids(s, q(|q| q.meta = vec![("course".into(), vec!["ada".into()])])).await, Vec::<String>::new());
    assert_eq!(ids(s, q(|q| q.meta = vec![("course".into(), vec![])])).await, Vec::<String>::new());
    assert_eq!(ids(s, q(|q| q.tenant_id = Some("t1".into()))).await, ["a%c_1", "abc-1"]);
    assert_eq!(
        ids(
            s,
            q(|q| {
                q.tenant_id = Some("t1".into());
                q.meta = vec![("teacher".into(), vec!["ada".into()])];
            })
        )
        .await,
        Vec::<String>::new(),
        "the tenant is AND-ed with the meta filters"
    );
    assert_eq!(ids(s, q(|q| q.tenant_id = Some("t3".into()))).await, Vec::<String>::new());
}

pub async fn queries_order_and_page(store: Arc<dyn RecordingBackend>) {
    for (id, minutes) in [("c", 10), ("a", 30), ("e", 20), ("b", 30), ("d", 0)] {
        import(&*store, &recording(id, "m", minutes)).await.unwrap();
    }
    let s = &*store;
    assert_eq!(ids(s, any_state()).await, ["a", "b", "e", "c", "d"], "newest first, then by recordID");
    assert_eq!(ids(s, RecordingQuery { offset: 1, limit: Some(2), ..any_state() }).await, ["b", "e"]);
    assert_eq!(ids(s, RecordingQuery { offset: 3, ..any_state() }).await, ["c", "d"]);
    assert_eq!(ids(s, RecordingQuery { limit: Some(0), ..any_state() }).await, Vec::<String>::new());
    assert_eq!(ids(s, RecordingQuery { offset: 9, limit: Some(9), ..any_state() }).await, Vec::<String>::new());
}

pub async fn undated_recordings_come_last_and_ties_go_by_bytes(store: Arc<dyn RecordingBackend>) {
    let mut undated = recording("undated", "m", 9);
    (undated.start_time_ms, undated.end_time_ms) = (None, None);
    for r in [undated, recording("old", "m", 0), recording("b-new", "m", 5), recording("B-new", "m", 5)] {
        import(&*store, &r).await.unwrap();
    }
    let s = &*store;
    assert_eq!(ids(s, any_state()).await, ["B-new", "b-new", "old", "undated"], "byte order: upper case first");
    assert_eq!(ids(s, RecordingQuery { offset: 3, limit: Some(5), ..any_state() }).await, ["undated"]);
}

pub async fn updates_apply_to_every_listed_recording(store: Arc<dyn RecordingBackend>) {
    for id in ["u1", "u2", "u3"] {
        import(&*store, &with_meta(recording(id, "m", 0), &[("gone", "x"), ("kept", "y")])).await.unwrap();
    }
    let listed = vec!["u1".to_owned(), "u2".to_owned()];
    let edits = RecordingEdits {
        metadata: vec![("gone".into(), None), ("new".into(), Some("v".into())), ("kept".into(), Some("z".into()))],
        protect: Some(true),
    };
    assert!(store.update_recordings(&listed, &edits).await.unwrap());
    for id in &listed {
        let r = one(&*store, id).await;
        let expected: BTreeMap<String, String> =
            [("bbb-origin", "greenlight"), ("kept", "z"), ("new", "v")].map(|(k, v)| (k.into(), v.into())).into();
        assert_eq!(r.metadata, expected, "{id}");
        assert!(r.protected, "{id}");
    }
    let untouched = one(&*store, "u3").await;
    assert_eq!((untouched.metadata.len(), untouched.protected), (3, false));

    assert!(!store.update_recordings(&listed, &edits).await.unwrap(), "the same edits again change nothing");
    let unprotect = RecordingEdits { metadata: vec![], protect: Some(false) };
    assert!(store.update_recordings(&listed, &unprotect).await.unwrap());
    assert!(!one(&*store, "u2").await.protected);
    let nothing = RecordingEdits { metadata: vec![("absent".into(), None)], protect: None };
    assert!(!store.update_recordings(&listed, &nothing).await.unwrap());
    let unknown = RecordingEdits { metadata: vec![("k".into(), Some("v".into()))], protect: Some(true) };
    assert!(!store.update_recordings(&["nope".to_owned()], &unknown).await.unwrap());
    assert!(!store.update_recordings(&[], &unknown).await.unwrap());
}

pub async fn deletes_keep_the_row(store: Arc<dyn RecordingBackend>) {
    import(&*store, &with_meta(recording("d1", "m", 0), &[("tenant-id", "t1")])).await.unwrap();
    import(&*store, &recording("d2", "m", 1)).await.unwrap();
    store.delete_recording("d1").await.unwrap();
    store.delete_recording("d1").await.expect("deleting twice is fine");
    store.delete_recording("missing").await.expect("an unknown recording is no error");

    let deleted = one(&*store, "d1").await;
    assert_eq!(deleted.state.as_deref(), Some("deleted"));
    assert!(deleted.metadata.is_empty() && deleted.formats.is_empty(), "{deleted:?}");
    let published = RecordingQuery { states: Some(vec!["published".into(), "unpublished".into()]), ..any_state() };
    assert_eq!(ids(&*store, published).await, ["d2"]);
    assert_eq!(one(&*store, "d2").await, recording("d2", "m", 1), "others untouched");

    let back = import(&*store, &recording("d1", "m", 0)).await.unwrap();
    assert_eq!(back.formats, recording("d1", "m", 0).formats, "a re-import brings fresh formats and thumbnails");
}

pub async fn import_marks_round_trip(store: Arc<dyn RecordingBackend>) {
    assert!(store.import_marks().await.unwrap().is_empty());
    let ok = ImportMark { modified_ms: 1_700_000_000_000, size: 2048, failure: None };
    let failed = ImportMark { modified_ms: 1_700_000_000_500, size: 7, failure: Some("no <id>".into()) };
    store.mark_import("/var/bigbluebutton/published/presentation/r1/metadata.xml", &ok).await.unwrap();
    store.mark_import("/spool/r2/metadata.xml", &failed).await.unwrap();
    let marks = store.import_marks().await.unwrap();
    assert_eq!(
        marks,
        HashMap::from([
            ("/var/bigbluebutton/published/presentation/r1/metadata.xml".to_owned(), ok.clone()),
            ("/spool/r2/metadata.xml".to_owned(), failed),
        ])
    );
    store.mark_import("/spool/r2/metadata.xml", &ok).await.unwrap();
    assert_eq!(store.import_marks().await.unwrap()["/spool/r2/metadata.xml"], ok, "a mark is replaced");
}

pub async fn concurrent_imports_do_not_fail(store: Arc<dyn RecordingBackend>) {
    let tasks: Vec<_> = (0..8)
        .map(|task| {
            let store = store.clone();
            tokio::spawn(async move {
                // Batches of different sizes, so that they overlap differently in each task.
                let batch = 1 + task % 4;
                let all: Vec<Recording> = (0..50)
                    .map(|i| {
                        let mut r = with_meta(recording(&format!("c{i:02}"), "m", i), &[("task", &task.to_string())]);
                        r.formats.push(format("video", &r.record_id, (task % 3) as i32));
                        r
                    })
                    .collect();
                for recordings in all.chunks(batch) {
                    store.import_recordings(recordings).await.expect("a concurrent import");
                }
            })
        })
        .collect();
    for task in tasks {
        task.await.expect("task");
    }
    let all = store.recordings(&any_state()).await.unwrap();
    assert_eq!(all.len(), 50);
    for r in all {
        assert_eq!(r.formats.len(), 2, "{}", r.record_id);
        assert_eq!(r.metadata.len(), 2, "{}", r.record_id);
    }
}

fn ready_only(url: &str) -> CallbackData {
    CallbackData { recording_ready_url: Some(url.to_owned()), ..CallbackData::default() }
}

pub async fn callbacks_are_saved_per_meeting(store: Arc<dyn RecordingBackend>) {
    assert_eq!(store.callbacks("m1").await.unwrap(), None);
    let all = CallbackData {
        recording_ready_url: Some("https://lms.example/ready?a=1&b=2".into()),
        analytics_callback_url: Some("https://lms.example/analytics".into()),
        end_callback_url: Some("https://lms.example/end?room=m1".into()),
    };
    store.save_callbacks("m1", &all).await.unwrap();
    store.save_callbacks("m2", &ready_only("https://other.example/r")).await.unwrap();
    assert_eq!(store.callbacks("m1").await.unwrap(), Some(all));
    assert_eq!(store.callbacks("m2").await.unwrap(), Some(ready_only("https://other.example/r")));

    let replaced =
        CallbackData { end_callback_url: Some("https://lms.example/end2".into()), ..CallbackData::default() };
    store.save_callbacks("m1", &replaced).await.unwrap();
    assert_eq!(store.callbacks("m1").await.unwrap(), Some(replaced), "a save replaces every URL");
    assert_eq!(store.callbacks("M1").await.unwrap(), None, "meeting ids are case-sensitive");
}

pub async fn concurrent_callback_saves_leave_one_answer(store: Arc<dyn RecordingBackend>) {
    let tasks: Vec<_> = (0..8)
        .map(|task| {
            let store = store.clone();
            tokio::spawn(async move {
                for i in 0..10 {
                    let url = format!("https://lms.example/{task}/{i}");
                    store.save_callbacks("busy", &ready_only(&url)).await.expect("a concurrent save");
                }
            })
        })
        .collect();
    for task in tasks {
        task.await.expect("task");
    }
    let last = store.callbacks("busy").await.unwrap().expect("saved").recording_ready_url.unwrap();
    assert!(last.ends_with("/9"), "the last save of some task wins: {last}");
}

/// Runs the recording contract as `#[tokio::test]`s; `$open` yields `Option<(Arc<dyn RecordingBackend>, guard)>`
/// (`None` skips the case).
#[macro_export]
macro_rules! recording_contract {
    ($open:expr) => {
        $crate::recording_contract!($open;
            imports_upsert_by_record_id,
            a_batch_imports_in_order,
            a_publish_choice_survives_imports,
            queries_filter,
            queries_order_and_page,
            undated_recordings_come_last_and_ties_go_by_bytes,
            updates_apply_to_every_listed_recording,
            deletes_keep_the_row,
            import_marks_round_trip,
            concurrent_imports_do_not_fail,
            callbacks_are_saved_per_meeting,
            concurrent_callback_saves_leave_one_answer
        );
    };
    ($open:expr; $($case:ident),+) => {
        $(
            #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
            async fn $case() {
                if let Some((store, _guard)) = $open.await {
                    $crate::recording_contract::$case(store).await;
                }
            }
        )+
    };
}
