//! The store contract on DynamoDB (moto, or `DYNAMODB_ENDPOINT`), each case on tables of its own.
#![cfg(feature = "dynamodb")]

use std::sync::Arc;

use scalelite_infra::dynamodb::DynamoMeetings;
use scalelite_integration_tests::contract::Store;
use scalelite_integration_tests::dynamo::DynamoTables;

async fn open() -> Option<(Store, DynamoTables)> {
    let tables = DynamoTables::create("contract").await?;
    Some((Arc::new(DynamoMeetings::new(tables.db.clone())), tables))
}

/// Another replica's client on the same tables.
async fn replica(tables: &DynamoTables) -> Store {
    Arc::new(DynamoMeetings::new(tables.db.clone()))
}

scalelite_integration_tests::store_contract!(open(), replica);
