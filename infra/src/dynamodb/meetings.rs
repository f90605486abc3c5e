//! The meeting side on DynamoDB: the store's handle, its reads (servers, meetings, links, voice bridge
//! holders) and the conditional writes its commits are made of.

use std::collections::HashMap;
use std::sync::Arc;

use aws_sdk_dynamodb::types::{Delete, KeysAndAttributes, Put, TransactWriteItem, Update};
use scalelite_shared::domain::handle::HandleState;
use scalelite_shared::model::{Meeting, Server};
use scalelite_shared::store::{JoinSnapshot, StoreResult};

use super::items::{self, Item, get_n, get_s, key, n, s};
use super::{Dynamo, back_off, backend, is_conflict};
use crate::coalesced_reads::CoalescedReads;

/// The DynamoDB meeting store; cheap to clone.
#[derive(Clone, Debug)]
pub struct DynamoMeetings {
    pub(super) db: Dynamo,
    /// The domain's state of this handle (the store's clock as followed, the placement turn).
    pub(super) handle: Arc<HandleState>,
    /// Join reads of one meeting asked for at once, shared (each read is two paid item reads).
    pub(super) join_reads: Arc<CoalescedReads<StoreResult<JoinSnapshot>>>,
}

/// Who holds a voice bridge number a placement wants.
#[derive(Clone)]
pub(super) enum Holder {
    Nobody,
    /// The meeting being placed (a stale number of an earlier placement).
    Itself,
    /// Another meeting that no longer holds it (gone, expired, or moved to another number).
    Stale(String),
    /// A live meeting that holds it.
    Live(String),
}

pub(super) fn link_key(server_id: &str, meeting_id: &str) -> Item {
    HashMap::from([("server_id".to_owned(), s(server_id)), ("meeting_id".to_owned(), s(meeting_id))])
}

impl DynamoMeetings {
    pub fn new(db: Dynamo) -> Self {
        Self { db, handle: Arc::default(), join_reads: Arc::default() }
    }

    pub(super) fn tables(&self) -> &super::Tables {
        &self.db.tables
    }

    pub(super) async fn server_versioned(&self, id: &str) -> StoreResult<Option<(Server, i64)>> {
        Ok(self.db.get(&self.tables().servers, key("id", id)).await?.as_ref().and_then(items::server))
    }

    /// The meeting item, expired or not.
    pub(super) async fn meeting_raw(&self, id: &str) -> StoreResult<Option<Meeting>> {
        Ok(self.db.get(&self.tables().meetings, key("id", id)).await?.as_ref().and_then(items::meeting))
    }

    pub(super) async fn all_servers(&self) -> StoreResult<Vec<(Server, i64)>> {
        let mut servers: Vec<_> =
            self.db.scan(&self.tables().servers).await?.iter().filter_map(items::server).collect();
        servers.sort_by(|a, b| a.0.id.cmp(&b.0.id));
        Ok(servers)
    }

    /// The meetings linked to a server: the live ones placed there, and the links that are stale.
    pub(super) async fn linked(&self, server_id: &str, now: i64) -> StoreResult<(Vec<Meeting>, Vec<(String, i64)>)> {
        let pages = self
            .db
            .client
            .query()
            .table_name(&self.tables().server_meetings)
            .key_condition_expression("server_id = :s")
            .expression_attribute_values(":s", s(server_id))
            .consistent_read(true)
            .into_paginator();
        let found_items = pages.items().send().try_collect().await.map_err(backend)?;
        let links: Vec<(String, i64)> = found_items
            .iter()
            .filter_map(|i| Some((get_s(i, "meeting_id")?, get_n(i, "created_at_ms").unwrap_or(0))))
            .collect();
        let ids: Vec<String> = links.iter().map(|(id, _)| id.clone()).collect();
        let found = self.batch_meetings(&ids).await?;
        let mut live = Vec::new();
        let mut stale = Vec::new();
        for (id, created) in links {
            match found.get(&id) {
                Some(m) if m.server_id == server_id && m.expires_at_ms > now => live.push(m.clone()),
                _ => stale.push((id, created)),
            }
        }
        live.sort_by(|a, b| a.id.cmp(&b.id));
        Ok((live, stale))
    }

    /// Tenant `tenant_id`'s live meetings: a consistent scan of `meetings` (DynamoDB has no consistent read of
    /// an index by tenant), fine for thousands of meetings.
    pub(super) async fn tenant_meetings(&self, tenant_id: &str, now: i64) -> StoreResult<Vec<Meeting>> {
        let pages = self
            .db
            .client
            .scan()
            .table_name(&self.tables().meetings)
            .filter_expression("tenant_id = :t AND expires_at_ms > :now")
            .expression_attribute_values(":t", s(tenant_id))
            .expression_attribute_values(":now", n(now))
            .consistent_read(true)
            .into_paginator();
        let found_items = pages.items().send().try_collect().await.map_err(backend)?;
        Ok(found_items.iter().filter_map(items::meeting).collect())
    }

    /// Meetings by id, with a consistent `BatchGetItem` (100 keys a call, unprocessed keys retried).
    pub(super) async fn batch_meetings(&self, ids: &[String]) -> StoreResult<HashMap<String, Meeting>> {
        let table = &self.tables().meetings;
        let mut found = HashMap::new();
        for chunk in ids.chunks(100) {
            let mut keys: Vec<Item> = chunk.iter().map(|id| key("id", id)).collect();
            let mut round = 0;
            while !keys.is_empty() {
                let request =
                    KeysAndAttributes::builder().set_keys(Some(keys)).consistent_read(true).build().map_err(backend)?;
                let out =
                    self.db.client.batch_get_item().request_items(table, request).send().await.map_err(backend)?;
                for item in out.responses.and_then(|mut r| r.remove(table)).unwrap_or_default() {
                    if let Some(m) = items::meeting(&item) {
                        found.insert(m.id.clone(), m);
                    }
                }
                keys = out.unprocessed_keys.and_then(|mut u| u.remove(table)).map(|k| k.keys).unwrap_or_default();
                if !keys.is_empty() {
                    round += 1;
                    back_off(round).await;
                }
            }
        }
        Ok(found)
    }

    /// Forgets a meeting if it is still the placement `meeting` describes: the item, its link and its number.
    pub(super) async fn remove(&self, meeting: &Meeting, give_back: Option<Update>) -> StoreResult<bool> {
        let tables = self.tables();
        let delete_meeting = Delete::builder()
            .table_name(&tables.meetings)
            .set_key(Some(key("id", &meeting.id)))
            .condition_expression("server_id = :s AND created_at_ms = :c")
            .expression_attribute_values(":s", s(&meeting.server_id))
            .expression_attribute_values(":c", n(meeting.created_at_ms))
            .build()
            .map_err(backend)?;
        let delete_link = Delete::builder()
            .table_name(&tables.server_meetings)
            .set_key(Some(link_key(&meeting.server_id, &meeting.id)))
            .build()
            .map_err(backend)?;
        let mut request = self
            .db
            .client
            .transact_write_items()
            .transact_items(TransactWriteItem::builder().delete(delete_meeting).build())
            .transact_items(TransactWriteItem::builder().delete(delete_link).build());
        if let Some(update) = give_back {
            request = request.transact_items(TransactWriteItem::builder().update(update).build());
        }
        let done = request.send().await;
        match done {
            Ok(_) => {}
            Err(error) if is_conflict(&error) => return Ok(false),
            Err(error) => return Err(backend(error)),
        }
        // The number is freed if the meeting still holds it; a stale holder is also taken over by placements.
        let freed = self
            .db
            .client
            .delete_item()
            .table_name(&tables.voice_bridges)
            .set_key(Some(key("number", &meeting.voice_bridge)))
            .condition_expression("meeting_id = :m")
            .expression_attribute_values(":m", s(&meeting.id))
            .send()
            .await;
        match freed {
            Err(error) if !is_conflict(&error) => Err(backend(error)),
            _ => Ok(true),
        }
    }

    /// Who holds `number`, or `None` when a live meeting does.
    pub(super) async fn holder(&self, number: &str, meeting_id: &str, now: i64) -> StoreResult<Holder> {
        let Some(item) = self.db.get(&self.tables().voice_bridges, key("number", number)).await? else {
            return Ok(Holder::Nobody);
        };
        let owner = get_s(&item, "meeting_id").unwrap_or_default();
        if owner == meeting_id {
            return Ok(Holder::Itself);
        }
        match self.meeting_raw(&owner).await? {
            Some(m) if m.expires_at_ms > now && m.voice_bridge == number => Ok(Holder::Live(owner)),
            _ => Ok(Holder::Stale(owner)),
        }
    }

    /// Takes `returned` off a server's load if its version is still `version`.
    pub(super) fn give_back(&self, server_id: &str, version: i64, returned: f64) -> StoreResult<Update> {
        Update::builder()
            .table_name(&self.tables().servers)
            .set_key(Some(key("id", server_id)))
            .update_expression("SET #l = #l - :r, #v = #v + :one")
            .condition_expression("#v = :v AND attribute_exists(#l)")
            .expression_attribute_names("#l", "load")
            .expression_attribute_names("#v", "version")
            .expression_attribute_values(":r", n(returned))
            .expression_attribute_values(":one", n(1))
            .expression_attribute_values(":v", n(version))
            .build()
            .map_err(backend)
    }

    /// Writes a server back if its version is still `version`; false when something changed it meanwhile.
    pub(super) async fn save_server(&self, server: &Server, version: i64) -> StoreResult<bool> {
        let saved = self
            .db
            .client
            .put_item()
            .table_name(&self.tables().servers)
            .set_item(Some(items::server_item(server, version + 1)))
            .condition_expression("#v = :v")
            .expression_attribute_names("#v", "version")
            .expression_attribute_values(":v", n(version))
            .send()
            .await;
        match saved {
            Ok(_) => Ok(true),
            Err(error) if is_conflict(&error) => Ok(false),
            Err(error) => Err(backend(error)),
        }
    }

    /// Moves a running meeting's expiry on, sets the participants the poll saw and counts it confirmed, if it is
    /// still on `server_id`.
    pub(super) async fn extend(
        &self,
        running: &Meeting,
        server_id: &str,
        expires_at_ms: i64,
        now: i64,
    ) -> StoreResult<()> {
        let done = self
            .db
            .client
            .update_item()
            .table_name(&self.tables().meetings)
            .set_key(Some(key("id", &running.id)))
            .update_expression(
                "SET expires_at_ms = :e, #t = :t, confirmed_at_ms = if_not_exists(confirmed_at_ms, :now), \
                 participants = :p",
            )
            .condition_expression("server_id = :s")
            .expression_attribute_values(":now", n(now))
            .expression_attribute_values(":p", n(running.participants))
            .expression_attribute_names("#t", "ttl")
            .expression_attribute_values(":e", n(expires_at_ms))
            .expression_attribute_values(":t", items::ttl(expires_at_ms))
            .expression_attribute_values(":s", s(server_id))
            .send()
            .await;
        match done {
            Err(error) if !is_conflict(&error) => Err(backend(error)),
            _ => Ok(()),
        }
    }

    /// Places a running meeting nobody held back on its server, if its id and voice bridge are still free.
    pub(super) async fn adopt(&self, meeting: &Meeting, now: i64) -> StoreResult<bool> {
        let tables = self.tables();
        let put_meeting = Put::builder()
            .table_name(&tables.meetings)
            .set_item(Some(items::meeting_item(meeting)))
            .condition_expression("attribute_not_exists(id) OR expires_at_ms <= :now")
            .expression_attribute_values(":now", n(now))
            .build()
            .map_err(backend)?;
        let put_bridge = Put::builder()
            .table_name(&tables.voice_bridges)
            .set_item(Some(HashMap::from([
                ("number".to_owned(), s(&meeting.voice_bridge)),
                ("meeting_id".to_owned(), s(&meeting.id)),
            ])))
            .condition_expression("attribute_not_exists(#n) OR meeting_id = :m")
            .expression_attribute_names("#n", "number")
            .expression_attribute_values(":m", s(&meeting.id))
            .build()
            .map_err(backend)?;
        let mut link = link_key(&meeting.server_id, &meeting.id);
        link.insert("created_at_ms".to_owned(), n(meeting.created_at_ms));
        let put_link =
            Put::builder().table_name(&tables.server_meetings).set_item(Some(link)).build().map_err(backend)?;
        let done = self
            .db
            .client
            .transact_write_items()
            .transact_items(TransactWriteItem::builder().put(put_meeting).build())
            .transact_items(TransactWriteItem::builder().put(put_bridge).build())
            .transact_items(TransactWriteItem::builder().put(put_link).build())
            .send()
            .await;
        match done {
            Ok(_) => Ok(true),
            Err(error) if is_conflict(&error) => Ok(false),
            Err(error) => Err(backend(error)),
        }
    }

    /// Drops links whose meeting is gone, expired or elsewhere (unless the link was renewed meanwhile).
    pub(super) async fn drop_stale_links(&self, server_id: &str, stale: &[(String, i64)]) -> StoreResult<()> {
        for (meeting_id, created) in stale {
            let done = self
                .db
                .client
                .delete_item()
                .table_name(&self.tables().server_meetings)
                .set_key(Some(link_key(server_id, meeting_id)))
                .condition_expression("attribute_not_exists(created_at_ms) OR created_at_ms = :c")
                .expression_attribute_values(":c", n(*created))
                .send()
                .await;
            if let Err(error) = done
                && !is_conflict(&error)
            {
                return Err(backend(error));
            }
        }
        Ok(())
    }
}
