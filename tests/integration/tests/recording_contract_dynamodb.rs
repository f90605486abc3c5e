//! The recording-store contract on DynamoDB (moto, or `DYNAMODB_ENDPOINT`), each case on tables of its own.
#![cfg(feature = "dynamodb")]

use std::sync::Arc;

use scalelite_infra::dynamodb::DynamoRecordings;
use scalelite_integration_tests::dynamo::DynamoTables;
use scalelite_shared::store::RecordingBackend;

async fn open() -> Option<(Arc<dyn RecordingBackend>, DynamoTables)> {
    let tables = DynamoTables::create("recordings").await?;
    Some((Arc::new(DynamoRecordings::new(tables.db.clone())), tables))
}

scalelite_integration_tests::recording_contract!(open());
