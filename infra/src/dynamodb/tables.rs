//! Table names and their creation.

use std::time::Duration;

use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::types::{
    AttributeDefinition, BillingMode, GlobalSecondaryIndex, KeySchemaElement, KeyType, Projection, ProjectionType,
    ScalarAttributeType, TableStatus, TimeToLiveSpecification,
};
use futures::future::try_join_all;
use scalelite_shared::store::{StoreError, StoreResult};

use super::backend;

/// The GSI of `recordings` on `meeting_id`.
pub const BY_MEETING: &str = "by_meeting";

/// The full table names.
#[derive(Clone, Debug)]
pub struct Tables {
    pub servers: String,
    pub meetings: String,
    pub server_meetings: String,
    pub voice_bridges: String,
    pub tenant_versions: String,
    pub leases: String,
    pub tokens: String,
    pub recordings: String,
    pub callbacks: String,
    pub import_marks: String,
}

impl Tables {
    pub fn new(prefix: &str) -> Self {
        let name = |kind: &str| format!("{prefix}{kind}");
        Self {
            servers: name("servers"),
            meetings: name("meetings"),
            server_meetings: name("server_meetings"),
            voice_bridges: name("voice_bridges"),
            tenant_versions: name("tenant_versions"),
            leases: name("leases"),
            tokens: name("tokens"),
            recordings: name("recordings"),
            callbacks: name("callbacks"),
            import_marks: name("import_marks"),
        }
    }
}

/// One table's shape.
struct Shape<'a> {
    name: &'a str,
    hash: &'static str,
    range: Option<&'static str>,
    /// A GSI: its name and hash key.
    index: Option<(&'static str, &'static str)>,
    ttl: bool,
}

fn shapes(tables: &Tables) -> Vec<Shape<'_>> {
    let plain = |name, hash| Shape { name, hash, range: None, index: None, ttl: false };
    vec![
        plain(&tables.servers, "id"),
        Shape { ttl: true, ..plain(&tables.meetings, "id") },
        Shape { range: Some("meeting_id"), ..plain(&tables.server_meetings, "server_id") },
        plain(&tables.voice_bridges, "number"),
        plain(&tables.tenant_versions, "tenant_id"),
        Shape { ttl: true, ..plain(&tables.leases, "name") },
        Shape { ttl: true, ..plain(&tables.tokens, "token") },
        Shape { index: Some((BY_MEETING, "meeting_id")), ..plain(&tables.recordings, "record_id") },
        plain(&tables.callbacks, "meeting_id"),
        plain(&tables.import_marks, "source"),
    ]
}

fn definition(name: &str) -> StoreResult<AttributeDefinition> {
    AttributeDefinition::builder().attribute_name(name).attribute_type(ScalarAttributeType::S).build().map_err(backend)
}

fn key(name: &str, kind: KeyType) -> StoreResult<KeySchemaElement> {
    KeySchemaElement::builder().attribute_name(name).key_type(kind).build().map_err(backend)
}

/// Whether the table exists, and whether it is active.
async fn status(client: &Client, name: &str) -> StoreResult<Option<bool>> {
    match client.describe_table().table_name(name).send().await {
        Ok(out) => Ok(Some(out.table().and_then(|t| t.table_status()) == Some(&TableStatus::Active))),
        Err(error) if error.as_service_error().is_some_and(|e| e.is_resource_not_found_exception()) => Ok(None),
        Err(error) => Err(backend(error)),
    }
}

async fn ensure(client: &Client, shape: &Shape<'_>) -> StoreResult<()> {
    if status(client, shape.name).await? == Some(true) {
        return Ok(());
    }
    let mut create = client
        .create_table()
        .table_name(shape.name)
        .billing_mode(BillingMode::PayPerRequest)
        .attribute_definitions(definition(shape.hash)?)
        .key_schema(key(shape.hash, KeyType::Hash)?);
    if let Some(range) = shape.range {
        create = create.attribute_definitions(definition(range)?).key_schema(key(range, KeyType::Range)?);
    }
    if let Some((index, hash)) = shape.index {
        create = create.attribute_definitions(definition(hash)?).global_secondary_indexes(
            GlobalSecondaryIndex::builder()
                .index_name(index)
                .key_schema(key(hash, KeyType::Hash)?)
                .projection(Projection::builder().projection_type(ProjectionType::All).build())
                .build()
                .map_err(backend)?,
        );
    }
    let created = match create.send().await {
        Ok(_) => true,
        // Another replica is creating it.
        Err(error) if error.as_service_error().is_some_and(|e| e.is_resource_in_use_exception()) => false,
        Err(error) => return Err(backend(error)),
    };
    for _ in 0..120 {
        if status(client, shape.name).await? == Some(true) {
            if created && shape.ttl {
                let spec =
                    TimeToLiveSpecification::builder().enabled(true).attribute_name("ttl").build().map_err(backend)?;
                client
                    .update_time_to_live()
                    .table_name(shape.name)
                    .time_to_live_specification(spec)
                    .send()
                    .await
                    .map_err(backend)?;
            }
            return Ok(());
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    Err(StoreError::Backend(format!("DynamoDB table {} did not become active", shape.name)))
}

/// Creates the tables that do not exist yet (with their index and TTL attribute) and waits until they are
/// active. Safe to run from several replicas at once.
pub(super) async fn ensure_tables(client: &Client, tables: &Tables) -> StoreResult<()> {
    let shapes = shapes(tables);
    try_join_all(shapes.iter().map(|shape| ensure(client, shape))).await?;
    Ok(())
}
