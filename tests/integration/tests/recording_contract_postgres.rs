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
