//! The store contract on DynamoDB (moto, or `DYNAMODB_ENDPOINT`), each case on tables of its own.
#![cfg(feature = "dynamodb")]

use std::sync::Arc;

use scalelite_infra::dynamodb::DynamoMeetings;
use scalelite_integration_tests::dynamo::DynamoTables;
use scalelite_shared::store::MeetingStore;

async fn open() -> Option<(Arc<dyn MeetingStore>, DynamoTables)> {
    let tables = DynamoTables::create("contract").await?;
    Some((Arc::new(DynamoMeetings::new(tables.db.clone())), tables))
}

scalelite_integration_tests::store_contract!(open());
