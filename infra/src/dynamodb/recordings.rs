//! The recordings index on DynamoDB: one item per recording (metadata and formats inside it). A query plan is
//! translated into a read (by recordIDs, by meetingIDs, or a scan) and the plan's answer out of what was read.

use async_trait::async_trait;
use aws_sdk_dynamodb::types::{AttributeValue, KeysAndAttributes};
use scalelite_shared::model::Recording;
use scalelite_shared::recordings::{self, Condition, as_asked, merged};
use scalelite_shared::store::{RecordingEdits, RecordingIndex, RecordingQuery, StoreError, StoreResult};

use super::items::{self, Item, key, n, s};
use super::tables::BY_MEETING;
use super::{Dynamo, back_off, backend, is_conflict};
use scalelite_shared::domain::retry::{Decision, until_committed};

/// The recordings side on DynamoDB (the index, the import ledger, the callback URLs); cheap to clone.
#[derive(Clone, Debug)]
pub struct DynamoRecordings {
    pub(super) db: Dynamo,
}

impl DynamoRecordings {
    pub fn new(db: Dynamo) -> Self {
        Self { db }
    }

    fn table(&self) -> &str {
        &self.db.tables.recordings
    }

    async fn versioned(&self, record_id: &str) -> StoreResult<Option<(Recording, i64)>> {
        Ok(self.db.get(self.table(), key("record_id", record_id)).await?.as_ref().and_then(items::recording))
    }

    /// Writes `recording` if the stored version is still `version` (0: not stored); false otherwise.
    async fn write(&self, recording: &Recording, version: i64) -> StoreResult<bool> {
        let written = self
            .db
            .client
            .put_item()
            .table_name(self.table())
            .set_item(Some(items::recording_item(recording, version + 1)))
            .condition_expression("attribute_not_exists(record_id) OR #v = :v")
            .expression_attribute_names("#v", "version")
            .expression_attribute_values(":v", n(version))
            .send()
            .await;
        match written {
            Ok(_) => Ok(true),
            Err(error) if is_conflict(&error) => Ok(false),
            Err(error) => Err(backend(error)),
        }
    }

    /// Reads, changes and writes back one recording, through the domain's commit loop (a write that finds the
    /// version moved is read and changed again); `change` returns false to leave it as it is. Returns what is
    /// stored, or `None` for an unknown recording.
    async fn modify(
        &self,
        record_id: &str,
        change: impl Fn(&mut Recording) -> bool,
    ) -> StoreResult<Option<(Recording, bool)>> {
        let change = &change;
        until_committed(
            Decision::EditRecording,
            || format!("recording {record_id}"),
            || async move {
                let Some((mut recording, version)) = self.versioned(record_id).await? else {
                    return Ok(Some(None));
                };
                if !change(&mut recording) {
                    return Ok(Some(Some((recording, false))));
                }
                Ok(self.write(&recording, version).await?.then_some(Some((recording, true))))
            },
        )
        .await
    }

    /// The recordings of `ids` (each once), read consistently.
    async fn by_ids(&self, ids: &[String]) -> StoreResult<Vec<Recording>> {
        let table = self.table();
        let mut found = Vec::new();
        for chunk in ids.chunks(100) {
            let mut keys: Vec<Item> = chunk.iter().map(|id| key("record_id", id)).collect();
            let mut round = 0;
            while !keys.is_empty() {
                let request =
                    KeysAndAttributes::builder().set_keys(Some(keys)).consistent_read(true).build().map_err(backend)?;
                let out =
                    self.db.client.batch_get_item().request_items(table, request).send().await.map_err(backend)?;
                let items = out.responses.and_then(|mut r| r.remove(table)).unwrap_or_default();
                found.extend(items.iter().filter_map(items::recording).map(|(r, _)| r));
                keys = out.unprocessed_keys.and_then(|mut u| u.remove(table)).map(|k| k.keys).unwrap_or_default();
                if !keys.is_empty() {
                    round += 1;
                    back_off(round).await;
                }
            }
        }
        Ok(found)
    }

    /// The recordings of `meeting_ids` (each once) from the `by_meeting` index (eventually consistent).
    async fn by_meetings(&self, meeting_ids: &[String]) -> StoreResult<Vec<Recording>> {
        let mut found = Vec::new();
        // An index key is never empty: no recording is stored under an empty meetingID.
        for meeting_id in meeting_ids.iter().filter(|m| !m.is_empty()) {
            let pages = self
                .db
                .client
                .query()
                .table_name(self.table())
                .index_name(BY_MEETING)
                .key_condition_expression("meeting_id = :m")
                .expression_attribute_values(":m", s(meeting_id))
                .into_paginator();
            let found_items = pages.items().send().try_collect().await.map_err(backend)?;
            found.extend(found_items.iter().filter_map(items::recording).map(|(r, _)| r));
        }
        Ok(found)
    }
}

#[async_trait]
impl RecordingIndex for DynamoRecordings {
    /// Each recording in turn: the stored one merged with the imported one (the domain's rule), written if its
    /// version did not move, through the domain's commit loop.
    async fn import_recordings(&self, recordings: &[Recording]) -> StoreResult<Vec<Recording>> {
        let mut stored = Vec::with_capacity(recordings.len());
        for recording in recordings {
            let what = || format!("import of recording {}", recording.record_id);
            let next = until_committed(Decision::ImportRecording, what, || async {
                let stored = self.versioned(&recording.record_id).await?;
                let version = stored.as_ref().map_or(0, |(_, v)| *v);
                let next = merged(stored.map(|(r, _)| r), recording);
                Ok(self.write(&next, version).await?.then_some(next))
            })
            .await?;
            stored.push(next);
        }
        // A recordID listed twice answers as its last import left it (the later one replaces the earlier).
        as_asked(recordings, stored).map_err(|record_id| StoreError::Backend(format!("recording {record_id} lost")))
    }

    async fn recordings(&self, query: &RecordingQuery) -> StoreResult<Vec<Recording>> {
        let Some(plan) = recordings::plan(query) else { return Ok(Vec::new()) };
        // Read by the plan's most selective condition when it is a key, else the whole table.
        let read = match plan.conditions.first() {
            Some(Condition::RecordIdIn(ids)) => self.by_ids(ids).await?,
            Some(Condition::MeetingIdIn(ids)) => self.by_meetings(ids).await?,
            _ => self.db.scan(self.table()).await?.iter().filter_map(items::recording).map(|(r, _)| r).collect(),
        };
        Ok(plan.answer(read))
    }

    async fn set_published(&self, record_id: &str, published: bool) -> StoreResult<()> {
        let done = self
            .db
            .client
            .update_item()
            .table_name(self.table())
            .set_key(Some(key("record_id", record_id)))
            .update_expression("SET published = :p, #s = :s, publish_updated = :t, #v = #v + :one")
            .condition_expression("attribute_exists(record_id)")
            .expression_attribute_names("#s", "state")
            .expression_attribute_names("#v", "version")
            .expression_attribute_values(":p", AttributeValue::Bool(published))
            .expression_attribute_values(":s", s(Recording::state_for(published)))
            .expression_attribute_values(":t", AttributeValue::Bool(true))
            .expression_attribute_values(":one", n(1))
            .send()
            .await;
        match done {
            Err(error) if !is_conflict(&error) => Err(backend(error)),
            _ => Ok(()),
        }
    }

    async fn update_recordings(&self, record_ids: &[String], edits: &RecordingEdits) -> StoreResult<bool> {
        let mut changed = false;
        for record_id in record_ids {
            let result = self
                .modify(record_id, |r| {
                    let mut any = false;
                    for (k, value) in &edits.metadata {
                        any |= match value {
                            Some(v) => r.metadata.insert(k.clone(), v.clone()).as_ref() != Some(v),
                            None => r.metadata.remove(k).is_some(),
                        };
                    }
                    if let Some(protect) = edits.protect {
                        any |= r.protected != protect;
                        r.protected = protect;
                    }
                    any
                })
                .await?;
            changed |= result.is_some_and(|(_, written)| written);
        }
        Ok(changed)
    }

    async fn delete_recording(&self, record_id: &str) -> StoreResult<()> {
        self.modify(record_id, |r| {
            r.metadata.clear();
            r.formats.clear();
            r.state = Some("deleted".into());
            true
        })
        .await?;
        Ok(())
    }

    async fn ping(&self) -> StoreResult<()> {
        self.db.check_ready()?;
        self.db.client.describe_table().table_name(self.table()).send().await.map_err(backend)?;
        Ok(())
    }
}
