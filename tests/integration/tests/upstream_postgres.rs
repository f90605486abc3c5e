//! Opening an upstream Scalelite database: the schema Rails made (with its migration ledger), rows written
//! by upstream, read back exactly, and left untouched by our migrations.

use std::collections::BTreeMap;

use scalelite_infra::postgres::PostgresRecordings;
use scalelite_integration_tests::pg::PgSchema;
use scalelite_shared::model::{CallbackData, PlaybackFormat, Recording, Thumbnail};
use scalelite_shared::store::{CallbackStore, RecordingIndex, RecordingQuery};
use sqlx::postgres::PgConnection;

/// What `rails db:schema:load` (schema.rb version 2023_06_27_141045) creates, then upstream's rows.
const UPSTREAM: &str = r#"
CREATE TABLE "schema_migrations" ("version" character varying NOT NULL PRIMARY KEY);
CREATE TABLE "ar_internal_metadata" ("key" character varying NOT NULL PRIMARY KEY, "value" character varying,
    "created_at" timestamp(6) NOT NULL, "updated_at" timestamp(6) NOT NULL);
CREATE TABLE "callback_data" ("id" bigserial primary key, "meeting_id" character varying, "recording_id" integer,
    "callback_attributes" text, "created_at" timestamp(6) NOT NULL, "updated_at" timestamp(6) NOT NULL);
CREATE TABLE "metadata" ("id" bigserial primary key, "recording_id" bigint, "key" character varying,
    "value" character varying);
CREATE UNIQUE INDEX "index_metadata_on_recording_id_and_key" ON "metadata" ("recording_id", "key");
CREATE TABLE "playback_formats" ("id" bigserial primary key, "recording_id" bigint, "format" character varying,
    "url" character varying, "length" integer, "processing_time" integer);
CREATE UNIQUE INDEX "index_playback_formats_on_recording_id_and_format" ON "playback_formats" ("recording_id", "format");
CREATE TABLE "recordings" ("id" bigserial primary key, "record_id" character varying, "meeting_id" character varying,
    "name" character varying, "published" boolean DEFAULT FALSE NOT NULL, "participants" integer,
    "state" character varying, "starttime" timestamp, "endtime" timestamp, "deleted_at" timestamp,
    "publish_updated" boolean DEFAULT FALSE NOT NULL, "protected" boolean DEFAULT FALSE NOT NULL);
CREATE INDEX "index_recordings_on_meeting_id" ON "recordings" ("meeting_id");
CREATE UNIQUE INDEX "index_recordings_on_record_id" ON "recordings" ("record_id");
CREATE TABLE "thumbnails" ("id" bigserial primary key, "playback_format_id" bigint, "width" integer,
    "height" integer, "alt" character varying, "url" character varying, "sequence" integer);
CREATE INDEX "index_thumbnails_on_playback_format_id" ON "thumbnails" ("playback_format_id");
INSERT INTO "schema_migrations" (version) VALUES ('20181123180008'), ('20210425184558'), ('20210630205630'),
    ('20210725200414'), ('20221111194252'), ('20221113161426'), ('20230118215330'), ('20230125235717'),
    ('20230418211340'), ('20230627141045');
INSERT INTO "ar_internal_metadata" VALUES ('environment', 'production', '2023-07-01 10:00:00', '2023-07-01 10:00:00');

INSERT INTO recordings (id, record_id, meeting_id, name, published, participants, state, starttime, endtime,
    publish_updated, protected) VALUES
    (7, 'a1b2c3d4e5f6-1700000000123', 'room-1', 'Math 101', true, 12, 'published',
     '2023-11-14 22:13:20.123', '2023-11-14 23:13:20.5', false, false),
    (9, 'a1b2c3d4e5f6-1700003600000', 'room-1', 'Math 101', false, NULL, 'unpublished',
     '2023-11-14 23:13:20', '2023-11-15 00:00:00', true, true);
INSERT INTO metadata (recording_id, key, value) VALUES
    (7, 'bbb-origin', 'Greenlight'), (7, 'tenant-id', 'school'), (7, 'gl-listed', ''),
    (9, 'bbb-origin', 'Greenlight');
INSERT INTO playback_formats (id, recording_id, format, url, length, processing_time) VALUES
    (21, 7, 'video', '/playback/video/a1b2c3d4e5f6-1700000000123/', 60, NULL),
    (20, 7, 'presentation', '/playback/presentation/2.3/a1b2c3d4e5f6-1700000000123', 61, 9),
    (30, 9, 'presentation', '/playback/presentation/2.3/a1b2c3d4e5f6-1700003600000', 47, NULL);
INSERT INTO thumbnails (playback_format_id, width, height, alt, url, sequence) VALUES
    (20, 176, 136, 'Welcome', '/presentation/a1b2c3d4e5f6-1700000000123/thumbnails/thumb-2.png', 1),
    (20, 176, 136, NULL, '/presentation/a1b2c3d4e5f6-1700000000123/thumbnails/thumb-1.png', 0);
INSERT INTO callback_data (meeting_id, recording_id, callback_attributes, created_at, updated_at) VALUES
    ('room-1', 7, E'---\n:recording_ready_url: https://lms.example/ready\n', '2023-11-14 22:00:00.123456',
     '2023-11-14 22:00:00.123456');
SELECT setval('recordings_id_seq', 9), setval('playback_formats_id_seq', 30);
"#;

/// Everything upstream's tables hold, as text, to compare before and after.
async fn dump(conn: &mut PgConnection) -> Vec<String> {
    let mut lines = Vec::new();
    for table in [
        "schema_migrations",
        "ar_internal_metadata",
        "recordings",
        "metadata",
        "playback_formats",
        "thumbnails",
        "callback_data",
    ] {
        let sql = format!("SELECT t::text FROM {table} t ORDER BY t::text");
        let rows: Vec<String> = sqlx::query_scalar(sqlx::AssertSqlSafe(sql)).fetch_all(&mut *conn).await.unwrap();
        lines.extend(rows.into_iter().map(|row| format!("{table}: {row}")));
    }
    let columns: Vec<String> = sqlx::query_scalar(
        "SELECT table_name || '.' || column_name || ' ' || data_type || ' ' || is_nullable || ' ' || \
         COALESCE(column_default, '') FROM information_schema.columns WHERE table_schema = current_schema() \
         ORDER BY table_name, ordinal_position",
    )
    .fetch_all(&mut *conn)
    .await
    .unwrap();
    let indexes: Vec<String> =
        sqlx::query_scalar("SELECT indexdef FROM pg_indexes WHERE schemaname = current_schema() ORDER BY indexname")
            .fetch_all(&mut *conn)
            .await
            .unwrap();
    lines.extend(columns.into_iter().filter(|c| !c.starts_with("_sqlx") && !c.starts_with("scalelite_rs")));
    lines.extend(indexes.into_iter().filter(|i| !i.contains("_sqlx") && !i.contains("scalelite_rs")));
    lines
}

fn expected() -> Vec<Recording> {
    let thumbnail = |n: i32, alt: Option<&str>| Thumbnail {
        url: format!("/presentation/a1b2c3d4e5f6-1700000000123/thumbnails/thumb-{}.png", n + 1),
        width: Some(176),
        height: Some(136),
        alt: alt.map(str::to_owned),
        sequence: n,
    };
    let newer = Recording {
        record_id: "a1b2c3d4e5f6-1700003600000".into(),
        meeting_id: "room-1".into(),
        name: Some("Math 101".into()),
        published: false,
        participants: None,
        state: Some("unpublished".into()),
        start_time_ms: Some(1_700_003_600_000),
        end_time_ms: Some(1_700_006_400_000),
        protected: true,
        publish_updated: true,
        metadata: BTreeMap::from([("bbb-origin".into(), "Greenlight".into())]),
        formats: vec![PlaybackFormat {
            format: "presentation".into(),
            url: "/playback/presentation/2.3/a1b2c3d4e5f6-1700003600000".into(),
            length: Some(47),
            processing_time: None,
            thumbnails: vec![],
        }],
    };
    let older = Recording {
        record_id: "a1b2c3d4e5f6-1700000000123".into(),
        meeting_id: "room-1".into(),
        name: Some("Math 101".into()),
        published: true,
        participants: Some(12),
        state: Some("published".into()),
        start_time_ms: Some(1_700_000_000_123),
        end_time_ms: Some(1_700_003_600_500),
        protected: false,
        publish_updated: false,
        metadata: BTreeMap::from([
            ("bbb-origin".into(), "Greenlight".into()),
            ("gl-listed".into(), String::new()),
            ("tenant-id".into(), "school".into()),
        ]),
        formats: vec![
            PlaybackFormat {
                format: "presentation".into(),
                url: "/playback/presentation/2.3/a1b2c3d4e5f6-1700000000123".into(),
                length: Some(61),
                processing_time: Some(9),
                thumbnails: vec![thumbnail(0, None), thumbnail(1, Some("Welcome"))],
            },
            PlaybackFormat {
                format: "video".into(),
                url: "/playback/video/a1b2c3d4e5f6-1700000000123/".into(),
                length: Some(60),
                processing_time: None,
                thumbnails: vec![],
            },
        ],
    };
    vec![newer, older]
}

#[tokio::test]
async fn an_upstream_database_is_read_as_it_is() {
    let Some(schema) = PgSchema::create("upstream").await else { return };
    let mut conn = schema.connect().await;
    sqlx::raw_sql(UPSTREAM).execute(&mut conn).await.expect("upstream's schema and rows");
    let before = dump(&mut conn).await;

    let store = PostgresRecordings::open(&schema.url).await.expect("migrations run on upstream's database");
    assert_eq!(dump(&mut conn).await, before, "our migrations leave upstream's tables and rows alone");
    PostgresRecordings::open(&schema.url).await.expect("opening twice is fine");

    let all = RecordingQuery { states: None, ..RecordingQuery::default() };
    assert_eq!(store.recordings(&all).await.unwrap(), expected());
    let school = RecordingQuery { tenant_id: Some("school".into()), ..all.clone() };
    assert_eq!(store.recordings(&school).await.unwrap(), expected()[1..].to_vec());

    let callback: String =
        sqlx::query_scalar("SELECT callback_attributes FROM callback_data WHERE meeting_id = 'room-1'")
            .fetch_one(&mut conn)
            .await
            .unwrap();
    assert_eq!(callback, "---\n:recording_ready_url: https://lms.example/ready\n");

    // Our writes fit upstream's columns: a re-import of an upstream row updates it in place.
    let mut reimport = expected()[1].clone();
    reimport.name = Some("Math 101 (2)".into());
    assert_eq!(store.import_recordings(&[reimport.clone()]).await.unwrap(), [reimport]);
    let mut fresh = expected()[0].clone();
    fresh.record_id = "ffff-1".into();
    fresh.publish_updated = false;
    fresh.protected = false;
    assert_eq!(store.import_recordings(&[fresh.clone()]).await.unwrap(), [fresh]);
    let ids: Vec<i64> = sqlx::query_scalar("SELECT id FROM recordings ORDER BY id").fetch_all(&mut conn).await.unwrap();
    assert!(matches!(ids[..], [7, 9, new] if new > 9), "upstream's sequence keeps numbering rows: {ids:?}");
}

#[tokio::test]
async fn upstream_callback_data_is_read_and_written_in_its_yaml() {
    let Some(schema) = PgSchema::create("upstream_callbacks").await else { return };
    let mut conn = schema.connect().await;
    sqlx::raw_sql(UPSTREAM).execute(&mut conn).await.expect("upstream's schema and rows");
    let store = PostgresRecordings::open(&schema.url).await.expect("postgres recordings");

    let upstream = store.callbacks("room-1").await.unwrap().expect("upstream's row");
    assert_eq!(
        upstream,
        CallbackData { recording_ready_url: Some("https://lms.example/ready".into()), ..CallbackData::default() }
    );
    assert_eq!(store.callbacks("room-2").await.unwrap(), None);

    let both = CallbackData {
        recording_ready_url: Some("https://lms.example/ready2".into()),
        analytics_callback_url: Some("https://lms.example/analytics".into()),
        end_callback_url: None,
    };
    store.save_callbacks("room-1", &both).await.unwrap();
    store.save_callbacks("room-2", &both).await.unwrap();
    let rows: Vec<(String, Option<i32>, String, bool)> = sqlx::query_as(
        "SELECT meeting_id, recording_id, callback_attributes, updated_at > created_at FROM callback_data \
         ORDER BY meeting_id",
    )
    .fetch_all(&mut conn)
    .await
    .unwrap();
    let yaml = "---\n:recording_ready_url: https://lms.example/ready2\n:analytics_callback_url: https://lms.example/analytics\n";
    assert_eq!(
        rows,
        vec![
            ("room-1".to_owned(), Some(7), yaml.to_owned(), true),
            ("room-2".to_owned(), None, yaml.to_owned(), false),
        ],
        "upstream's row is updated in place (its recording_id kept); a new meeting gets one row, as Rails writes it"
    );
}

#[tokio::test]
async fn an_upstream_database_is_served_through_the_api() {
    let Some(schema) = PgSchema::create("upstream_api").await else { return };
    let mut conn = schema.connect().await;
    sqlx::raw_sql(UPSTREAM).execute(&mut conn).await.expect("upstream's schema and rows");
    let harness = scalelite_integration_tests::Harness::with_env(1, &[("DATABASE_URL", &schema.url)]).await;
    let base = harness.running.base_url();

    let listed = harness.call("getRecordings", "meetingID=room-1").await;
    let ids: Vec<&str> =
        listed.body.split("<recordID>").skip(1).map(|part| part.split("</recordID>").next().unwrap()).collect();
    assert_eq!(ids, ["a1b2c3d4e5f6-1700003600000", "a1b2c3d4e5f6-1700000000123"], "{}", listed.body);
    assert!(listed.body.contains("<startTime>1700000000123</startTime>"), "{}", listed.body);
    assert!(listed.body.contains("<gl-listed><![CDATA[]]></gl-listed>"));
    assert!(listed.body.contains("<tenant-id>school</tenant-id>"));
    assert!(listed.body.contains(&format!(
        "<url>{base}/playback/presentation/2.3/a1b2c3d4e5f6-1700000000123</url><length>61</length>\
         <processingTime>9</processingTime>"
    )));
    let first_thumb = listed.body.find("thumb-1.png").expect("thumbnails");
    assert!(first_thumb < listed.body.find("thumb-2.png").unwrap(), "thumbnails in sequence order");
    let prefixed = harness.call("getRecordings", "recordID=a1b2c3d4e5f6-17000036").await;
    assert_eq!(prefixed.body.matches("<recording>").count(), 1);

    let updated = harness.call("updateRecordings", "recordID=a1b2c3d4e5f6-1700000000123&meta_course=Maths").await;
    assert_eq!(updated.field("updated").as_deref(), Some("true"));
    let value: String = sqlx::query_scalar("SELECT value FROM metadata WHERE recording_id = 7 AND key = 'course'")
        .fetch_one(&mut conn)
        .await
        .unwrap();
    assert_eq!(value, "Maths", "written into upstream's table, for upstream to read too");
}
