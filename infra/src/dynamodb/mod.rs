//! The DynamoDB stores (cargo feature `dynamodb`): [`DynamoMeetings`] (servers, meetings, leases, tokens) and
//! [`DynamoRecordings`] (the recordings index, import marks, callback URLs), for deployments with many
//! replicas (Lambda, Knative) and no Redis or PostgreSQL.
//!
//! # Tables
//!
//! One table per kind of item, named `<DYNAMODB_TABLE_PREFIX><kind>`, all on-demand (`PAY_PER_REQUEST`).
//! Every key attribute is a string. [`Dynamo::ensure_tables`] creates the missing ones when a store is opened
//! (as the SQLite and PostgreSQL stores migrate at open), so a fresh account or a local server needs no other
//! step; tables made beforehand (CloudFormation, Terraform) with the same keys are used as they are. [`open`]
//! does not wait for DynamoDB: a process started while it does not answer stays up, not ready, and tries again
//! every two seconds; its stores answer readiness once the tables are there.
//!
//! | table | key | other attributes |
//! |---|---|---|
//! | `servers` | `id` | `url`, `secret`, `tag`, `state`, `load` (absent: unknown), `load_multiplier`, `online`, `meetings`, `users`, `largest_meeting`, `videos`, `bbb_version`, `healthy_counter`, `unhealthy_counter`, `max_meetings` and `max_participants` (absent: no limit), `version` |
//! | `meetings` | `id` | `server_id`, `moderator_pw`, `voice_bridge`, `tenant_id`, `reserved_load`, `created_at_ms`, `expires_at_ms`, `create_sent_at_ms`, `confirmed_at_ms`, `participants` (the last poll's count plus the joins since), `ttl` (TTL) |
//! | `server_meetings` | `server_id`, `meeting_id` (range) | `created_at_ms`: the meetings placed on a server, read with a strongly consistent query |
//! | `voice_bridges` | `number` | `meeting_id`: who holds the number |
//! | `tenant_versions` | `tenant_id` | `version`: moved by every placement of a meeting of a tenant with a meeting limit |
//! | `leases` | `name` | `holder`, `expires_at_ms`, `ttl` (TTL) |
//! | `tokens` | `token` | `value`, `expires_at_ms`, `ttl` (TTL) |
//! | `recordings` | `record_id` | `meeting_id`, `name`, `published`, `participants`, `state`, `start_time_ms`, `end_time_ms`, `protected`, `publish_updated`, `metadata` (map), `formats` (list of maps with their `thumbnails`), `version`; GSI `by_meeting` on `meeting_id` (all attributes) |
//! | `callbacks` | `meeting_id` | `recording_ready_url`, `analytics_callback_url`, `end_callback_url`, `updated_at_ms` |
//! | `import_marks` | `source` | `modified_ms`, `size`, `failure` |
//!
//! DynamoDB deletes TTL-expired items late (up to days), so `ttl` only keeps the tables small: every read
//! checks `expires_at_ms` itself.
//!
//! # Placement
//!
//! A create reads the meeting, the servers (a consistent scan) and the voice bridge numbers; the domain picks
//! the server with the shared rules; the commit writes everything in one `TransactWriteItems`: the meeting
//! (condition: absent or expired, or still the placement being replaced), the voice bridge (condition: free,
//! or held by a meeting that no longer holds it, checked in the same transaction), the link in
//! `server_meetings`, and the chosen server's load (`load + reservation`, condition: its `version` as read).
//! For a tenant with a meeting limit, the read also counts the tenant's other live meetings (a consistent scan of
//! `meetings`, after reading the tenant's `version` in `tenant_versions`), and the commit moves that version on,
//! on the condition that it is as read: two placements of the tenant planned from one count cannot both commit.
//! Only a placement raises the count, so only placements move it; a removal meanwhile leaves fewer meetings.
//! Any conditional failure or transaction conflict answers raced, and the domain starts over from fresh
//! reads. Polls, server changes and
//! placements bump `version`; joins add their participant without bumping it (a join never makes a placement
//! retry, and a poll replaces the load anyway). Only the chosen server's version is checked, not the domain's
//! guard over the other servers: a server whose load fell meanwhile (a meeting removed, a poll) can leave the
//! placement on one that is no longer the least loaded by that much.
//!
//! A poll's plan is made from consistent reads; its commit writes the server only if its `version` is still
//! the one read (so no placement slipped in between), then removes ended or released meetings and extends
//! running ones, each removal conditional on the meeting being the one the poll saw.
//!
//! # Recordings
//!
//! getRecordings follows the query plan ([`scalelite_shared::recordings::plan`]): when its most selective
//! condition is recordIDs it reads them with a consistent `BatchGetItem`; meetingIDs, it queries the
//! `by_meeting` index (eventually consistent: a recording imported a moment ago may be missing); otherwise
//! it scans the table. The plan then answers out of what was read: its conditions, its order and its page. A scan reads the whole index, which
//! is fine for thousands of recordings; a large archive queried without meetingIDs wants PostgreSQL
//! (`DATABASE_URL`) instead. Imports and edits read a recording, change it, and write it back on the
//! condition that its `version` did not move (read and changed again through the domain's commit loop otherwise).

mod callbacks;
mod import_marks;
mod items;
mod leases;
mod meetings;
mod placement;
mod polls;
mod ports;
mod recordings;
mod service_clock;
mod tables;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::error::DisplayErrorContext;
use aws_sdk_dynamodb::types::ReturnValue;
use scalelite_shared::store::{StoreError, StoreResult};

use items::Item;

pub use meetings::DynamoMeetings;
pub use recordings::DynamoRecordings;
pub use tables::Tables;

/// How often the tables are tried again while DynamoDB does not answer.
const ENSURE_RETRY: Duration = Duration::from_secs(2);

/// Where the tables are: `DYNAMODB_TABLE_PREFIX` and, for a local server, `DYNAMODB_ENDPOINT`.
#[derive(Clone, Debug)]
pub struct DynamoSettings {
    pub table_prefix: String,
    pub endpoint: Option<String>,
}

/// A client and the table names; cheap to clone.
#[derive(Clone, Debug)]
pub struct Dynamo {
    pub client: Client,
    pub tables: Tables,
    /// The tables are known to be there; until then the stores report themselves not ready.
    ready: Arc<AtomicBool>,
}

impl Dynamo {
    /// A client on `tables`, not ready until [`Dynamo::ensure_tables`] has found or made them.
    pub fn new(client: Client, tables: Tables) -> Self {
        Self { client, tables, ready: Arc::default() }
    }

    /// Creates the tables that do not exist yet and waits until they are active; the stores are ready from then on.
    pub async fn ensure_tables(&self) -> StoreResult<()> {
        tables::ensure_tables(&self.client, &self.tables).await?;
        self.ready.store(true, Ordering::Release);
        Ok(())
    }

    /// Fails until the tables are known to be there.
    pub(crate) fn check_ready(&self) -> StoreResult<()> {
        if self.ready.load(Ordering::Acquire) {
            Ok(())
        } else {
            Err(StoreError::Backend("the DynamoDB tables are not ready yet".into()))
        }
    }

    /// A client from the usual AWS configuration (environment, profile, instance or task role); region
    /// `us-east-1` when none is configured and an endpoint is given (a local server).
    pub async fn connect(settings: &DynamoSettings) -> Self {
        let shared = aws_config::defaults(aws_config::BehaviorVersion::latest()).load().await;
        let mut builder = aws_sdk_dynamodb::config::Builder::from(&shared);
        if let Some(endpoint) = &settings.endpoint {
            builder = builder.endpoint_url(endpoint);
            if shared.region().is_none() {
                builder = builder.region(aws_sdk_dynamodb::config::Region::new("us-east-1"));
            }
        }
        builder = builder.timeout_config(
            aws_sdk_dynamodb::config::timeout::TimeoutConfig::builder()
                .connect_timeout(Duration::from_secs(5))
                .operation_attempt_timeout(Duration::from_secs(10))
                .build(),
        );
        Self::new(Client::from_conf(builder.build()), Tables::new(&settings.table_prefix))
    }

    /// One item by key, read consistently.
    pub(crate) async fn get(&self, table: &str, key: Item) -> StoreResult<Option<Item>> {
        let out = self
            .client
            .get_item()
            .table_name(table)
            .set_key(Some(key))
            .consistent_read(true)
            .send()
            .await
            .map_err(backend)?;
        Ok(out.item)
    }

    /// Writes an item whatever was there.
    pub(crate) async fn put(&self, table: &str, item: Item) -> StoreResult<()> {
        self.client.put_item().table_name(table).set_item(Some(item)).send().await.map_err(backend)?;
        Ok(())
    }

    /// Every item of a table, read consistently.
    pub(crate) async fn scan(&self, table: &str) -> StoreResult<Vec<Item>> {
        let pages = self.client.scan().table_name(table).consistent_read(true).into_paginator();
        pages.items().send().try_collect().await.map_err(backend)
    }

    /// Deletes an item; what it held, if it existed.
    pub(crate) async fn take(&self, table: &str, key: Item) -> StoreResult<Option<Item>> {
        let out = self
            .client
            .delete_item()
            .table_name(table)
            .set_key(Some(key))
            .return_values(ReturnValue::AllOld)
            .send()
            .await
            .map_err(backend)?;
        Ok(out.attributes.filter(|item| !item.is_empty()))
    }
}

/// A backend error with the SDK's whole error chain.
pub(crate) fn backend<E: std::error::Error>(error: E) -> StoreError {
    StoreError::Backend(DisplayErrorContext(error).to_string())
}

/// True when the error is a failed condition (or a transaction cancelled by one, or by a conflict).
pub(crate) fn is_conflict<E, R>(error: &aws_sdk_dynamodb::error::SdkError<E, R>) -> bool
where
    E: aws_sdk_dynamodb::error::ProvideErrorMetadata,
{
    error.as_service_error().and_then(|e| e.code()).is_some_and(|code| {
        matches!(
            code,
            "ConditionalCheckFailedException" | "TransactionCanceledException" | "TransactionConflictException"
        )
    })
}

/// A short random pause before reading keys DynamoDB left unprocessed again, growing with the round.
pub(crate) async fn back_off(attempt: usize) {
    use rand::Rng;
    let ceiling = (attempt as u64 + 1).min(20) * 2;
    let pause = rand::rng().random_range(0..=ceiling);
    tokio::time::sleep(Duration::from_millis(pause)).await;
}

/// Both stores on one client, without waiting for DynamoDB: when it does not answer, the tables are tried again
/// in the background, and the stores fail their calls and readiness meanwhile.
pub async fn open(settings: &DynamoSettings) -> (DynamoMeetings, DynamoRecordings) {
    let db = Dynamo::connect(settings).await;
    if let Err(error) = db.ensure_tables().await {
        tracing::warn!(%error, "DynamoDB does not answer yet; retrying in the background");
        let retrying = db.clone();
        tokio::spawn(async move {
            while retrying.ensure_tables().await.is_err() {
                tokio::time::sleep(ENSURE_RETRY).await;
            }
            tracing::info!("DynamoDB answers; its tables are ready");
        });
    }
    (DynamoMeetings::new(db.clone()), DynamoRecordings::new(db))
}
