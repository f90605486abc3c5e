//! `MeetingStore` on DynamoDB: servers, meetings, placement by conditional transactions, polls, leases, tokens.

use std::collections::{HashMap, HashSet};

use async_trait::async_trait;
use aws_sdk_dynamodb::types::{
    AttributeValue, ConditionCheck, Delete, KeysAndAttributes, Put, TransactWriteItem, Update,
};
use futures::future::try_join_all;
use scalelite_shared::balance::load::LoadRules;
use scalelite_shared::balance::placement::{PlacementSnapshot, plan as plan_placement};
use scalelite_shared::balance::poll::{PollSnapshot, plan as plan_poll, unplaced};
use scalelite_shared::model::{Meeting, Server, ServerState, ServerUpdate};
use scalelite_shared::store::{
    JoinTarget, LeaseStore, MeetingStore, PlaceError, Placed, Placement, PollOutcome, PollReport, Refusal, ServerStore,
    StoreError, StoreResult, TokenStore,
};

use super::items::{self, Item, get_n, get_s, key, n, s};
use super::{Dynamo, back_off, backend, is_conflict};

/// How often a placement, poll or server change starts over after losing a race.
const ATTEMPTS: usize = 100;

/// The DynamoDB meeting store; cheap to clone.
#[derive(Clone, Debug)]
pub struct DynamoMeetings {
    db: Dynamo,
}

/// Who holds a voice bridge number the placement wants.
enum Holder {
    Nobody,
    /// The meeting being placed (a stale number of an earlier placement).
    Itself,
    /// Another meeting that no longer holds it (gone, expired, or moved to another number).
    Stale(String),
}

fn link_key(server_id: &str, meeting_id: &str) -> Item {
    HashMap::from([("server_id".to_owned(), s(server_id)), ("meeting_id".to_owned(), s(meeting_id))])
}

fn lost(attempts: &str) -> StoreError {
    StoreError::Backend(format!("{attempts} kept racing with other changes"))
}

impl DynamoMeetings {
    pub fn new(db: Dynamo) -> Self {
        Self { db }
    }

    fn tables(&self) -> &super::Tables {
        &self.db.tables
    }

    async fn server_versioned(&self, id: &str) -> StoreResult<Option<(Server, i64)>> {
        Ok(self.db.get(&self.tables().servers, key("id", id)).await?.as_ref().and_then(items::server))
    }

    /// The meeting item, expired or not.
    async fn meeting_raw(&self, id: &str) -> StoreResult<Option<Meeting>> {
        Ok(self.db.get(&self.tables().meetings, key("id", id)).await?.as_ref().and_then(items::meeting))
    }

    async fn all_servers(&self) -> StoreResult<Vec<(Server, i64)>> {
        let mut servers = Vec::new();
        let mut start = None;
        loop {
            let out = self
                .db
                .client
                .scan()
                .table_name(&self.tables().servers)
                .consistent_read(true)
                .set_exclusive_start_key(start)
                .send()
                .await
                .map_err(backend)?;
            servers.extend(out.items().iter().filter_map(items::server));
            start = out.last_evaluated_key;
            if start.is_none() {
                break;
            }
        }
        servers.sort_by(|a, b| a.0.id.cmp(&b.0.id));
        Ok(servers)
    }

    /// The meetings linked to a server: the live ones placed there, and the links that are stale.
    async fn linked(&self, server_id: &str, now: i64) -> StoreResult<(Vec<Meeting>, Vec<(String, i64)>)> {
        let mut links: Vec<(String, i64)> = Vec::new();
        let mut start = None;
        loop {
            let out = self
                .db
                .client
                .query()
                .table_name(&self.tables().server_meetings)
                .key_condition_expression("server_id = :s")
                .expression_attribute_values(":s", s(server_id))
                .consistent_read(true)
                .set_exclusive_start_key(start)
                .send()
                .await
                .map_err(backend)?;
            links.extend(
                out.items()
                    .iter()
                    .filter_map(|i| Some((get_s(i, "meeting_id")?, get_n(i, "created_at_ms").unwrap_or(0)))),
            );
            start = out.last_evaluated_key;
            if start.is_none() {
                break;
            }
        }
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

    /// Meetings by id, with a consistent `BatchGetItem` (100 keys a call, unprocessed keys retried).
    async fn batch_meetings(&self, ids: &[String]) -> StoreResult<HashMap<String, Meeting>> {
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
                round += 1;
                back_off(round).await;
            }
        }
        Ok(found)
    }

    /// Forgets a meeting if it is still the placement `meeting` describes: the item, its link and its number.
    async fn remove(&self, meeting: &Meeting, give_back: Option<Update>) -> StoreResult<bool> {
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
    async fn holder(&self, number: &str, meeting_id: &str, now: i64) -> StoreResult<Option<Holder>> {
        let Some(item) = self.db.get(&self.tables().voice_bridges, key("number", number)).await? else {
            return Ok(Some(Holder::Nobody));
        };
        let owner = get_s(&item, "meeting_id").unwrap_or_default();
        if owner == meeting_id {
            return Ok(Some(Holder::Itself));
        }
        match self.meeting_raw(&owner).await? {
            Some(m) if m.expires_at_ms > now && m.voice_bridge == number => Ok(None),
            _ => Ok(Some(Holder::Stale(owner))),
        }
    }

    /// One placement attempt from fresh reads; `Ok(None)` when a concurrent change got in first.
    async fn try_place(&self, placement: &Placement) -> Result<Option<Placed>, PlaceError> {
        let tables = self.tables();
        let now = placement.now_ms;
        let existing = self.meeting_raw(&placement.meeting_id).await?;
        let current = match existing.clone().filter(|m| m.expires_at_ms > now) {
            Some(meeting) => {
                let server = self.server_versioned(&meeting.server_id).await?;
                Some((meeting, server))
            }
            None => None,
        };
        let servers = self.all_servers().await?;
        // Numbers are checked in order until a free one: the planner takes the first not held.
        let mut held_bridges = HashSet::new();
        let mut holder = None;
        for number in &placement.voice_bridges {
            match self.holder(number, &placement.meeting_id, now).await? {
                None => {
                    held_bridges.insert(number.clone());
                }
                Some(found) => {
                    holder = Some(found);
                    break;
                }
            }
        }
        let snapshot = PlacementSnapshot {
            current: current.as_ref().map(|(m, s)| (m.clone(), s.as_ref().map(|(s, _)| s.clone()))),
            servers: servers.iter().map(|(s, _)| s.clone()).collect(),
            held_bridges,
        };
        let version_of = |id: &str| servers.iter().find(|(s, _)| s.id == id).map_or(0, |(_, v)| *v);
        let (meeting, server, replaced) = match plan_placement(placement, &snapshot)? {
            Placed::Existing { mut meeting, server } => {
                let marked = self
                    .db
                    .client
                    .update_item()
                    .table_name(&tables.meetings)
                    .set_key(Some(key("id", &meeting.id)))
                    .update_expression("SET create_sent_at_ms = :now REMOVE confirmed_at_ms")
                    .condition_expression("server_id = :s AND created_at_ms = :c")
                    .expression_attribute_values(":now", n(now))
                    .expression_attribute_values(":s", s(&meeting.server_id))
                    .expression_attribute_values(":c", n(meeting.created_at_ms))
                    .send()
                    .await;
                return match marked {
                    Ok(_) => {
                        meeting.create_sent_at_ms = now;
                        meeting.confirmed_at_ms = None;
                        Ok(Some(Placed::Existing { meeting, server }))
                    }
                    Err(error) if is_conflict(&error) => Ok(None),
                    Err(error) => Err(backend(error).into()),
                };
            }
            Placed::New { meeting, server, replaced } => (meeting, server, replaced),
        };
        let holder = holder.ok_or(PlaceError::Refused(Refusal::VoiceBridgeExhausted))?;
        let number = meeting.voice_bridge.clone();

        let mut put_meeting = Put::builder().table_name(&tables.meetings).set_item(Some(items::meeting_item(&meeting)));
        put_meeting = match (&replaced, &existing) {
            (Some(old), _) => put_meeting
                .condition_expression("server_id = :s AND created_at_ms = :c")
                .expression_attribute_values(":s", s(&old.server_id))
                .expression_attribute_values(":c", n(old.created_at_ms)),
            (None, _) => put_meeting
                .condition_expression("attribute_not_exists(id) OR expires_at_ms <= :now")
                .expression_attribute_values(":now", n(now)),
        };
        let mut put_bridge = Put::builder().table_name(&tables.voice_bridges).set_item(Some(HashMap::from([
            ("number".to_owned(), s(&number)),
            ("meeting_id".to_owned(), s(&meeting.id)),
        ])));
        put_bridge = match &holder {
            Holder::Nobody => {
                put_bridge.condition_expression("attribute_not_exists(#n)").expression_attribute_names("#n", "number")
            }
            Holder::Itself => {
                put_bridge.condition_expression("meeting_id = :m").expression_attribute_values(":m", s(&meeting.id))
            }
            Holder::Stale(owner) => {
                put_bridge.condition_expression("meeting_id = :m").expression_attribute_values(":m", s(owner))
            }
        };
        let reserve = Update::builder()
            .table_name(&tables.servers)
            .set_key(Some(key("id", &server.id)))
            .update_expression("SET #l = #l + :r, #v = #v + :one")
            .condition_expression("#v = :v AND #st = :enabled AND #o = :true")
            .expression_attribute_names("#l", "load")
            .expression_attribute_names("#v", "version")
            .expression_attribute_names("#st", "state")
            .expression_attribute_names("#o", "online")
            .expression_attribute_values(":r", n(meeting.reserved_load))
            .expression_attribute_values(":one", n(1))
            .expression_attribute_values(":v", n(version_of(&server.id)))
            .expression_attribute_values(":enabled", s(ServerState::Enabled.as_str()))
            .expression_attribute_values(":true", AttributeValue::Bool(true))
            .build()
            .map_err(backend)?;
        let mut link = link_key(&server.id, &meeting.id);
        link.insert("created_at_ms".to_owned(), n(meeting.created_at_ms));
        let put_link = Put::builder().table_name(&tables.server_meetings).set_item(Some(link));

        let mut request = self
            .db
            .client
            .transact_write_items()
            .transact_items(TransactWriteItem::builder().put(put_meeting.build().map_err(backend)?).build())
            .transact_items(TransactWriteItem::builder().put(put_bridge.build().map_err(backend)?).build())
            .transact_items(TransactWriteItem::builder().update(reserve).build())
            .transact_items(TransactWriteItem::builder().put(put_link.build().map_err(backend)?).build());
        if let Holder::Stale(owner) = &holder {
            let check = ConditionCheck::builder()
                .table_name(&tables.meetings)
                .set_key(Some(key("id", owner)))
                .condition_expression("attribute_not_exists(id) OR expires_at_ms <= :now OR voice_bridge <> :b")
                .expression_attribute_values(":now", n(now))
                .expression_attribute_values(":b", s(&number))
                .build()
                .map_err(backend)?;
            request = request.transact_items(TransactWriteItem::builder().condition_check(check).build());
        }
        if let Some(old) = replaced.as_ref().filter(|old| old.server_id != server.id) {
            let unlink = Delete::builder()
                .table_name(&tables.server_meetings)
                .set_key(Some(link_key(&old.server_id, &old.id)))
                .build()
                .map_err(backend)?;
            request = request.transact_items(TransactWriteItem::builder().delete(unlink).build());
            let old_server = current.as_ref().and_then(|(_, s)| s.as_ref());
            if let Some((old_server, old_version)) = old_server.filter(|(s, _)| s.load.is_some()) {
                let returned = placement.load.returned(old, old_server.load.unwrap_or(0.0), now);
                request = request.transact_items(
                    TransactWriteItem::builder()
                        .update(self.give_back(&old_server.id, *old_version, returned)?)
                        .build(),
                );
            }
        }
        match request.send().await {
            Ok(_) => {}
            Err(error) if is_conflict(&error) => return Ok(None),
            Err(error) => return Err(backend(error).into()),
        }
        Ok(Some(Placed::New { meeting, server, replaced }))
    }

    /// Takes `returned` off a server's load if its version is still `version`.
    fn give_back(&self, server_id: &str, version: i64, returned: f64) -> StoreResult<Update> {
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
    async fn save_server(&self, server: &Server, version: i64) -> StoreResult<bool> {
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

    /// Moves a running meeting's expiry on and counts it confirmed, if it is still on `server_id`.
    async fn extend(&self, meeting_id: &str, server_id: &str, expires_at_ms: i64, now: i64) -> StoreResult<()> {
        let done = self
            .db
            .client
            .update_item()
            .table_name(&self.tables().meetings)
            .set_key(Some(key("id", meeting_id)))
            .update_expression(
                "SET expires_at_ms = :e, #t = :t, confirmed_at_ms = if_not_exists(confirmed_at_ms, :now)",
            )
            .condition_expression("server_id = :s")
            .expression_attribute_values(":now", n(now))
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

    /// One poll attempt: the snapshot, the plan, the server written if unchanged, then each meeting change
    /// (conditional on its placement). `None` when the server changed meanwhile.
    async fn try_record_poll(&self, server_id: &str, report: &PollReport) -> StoreResult<Option<PollOutcome>> {
        let now = report.now_ms;
        let Some((server, version)) = self.server_versioned(server_id).await? else {
            return Ok(Some(PollOutcome::default()));
        };
        let (placed, stale) = self.linked(server_id, now).await?;
        let reported_elsewhere = unplaced(report, &placed);
        let others: Vec<String> = reported_elsewhere.iter().map(|m| m.meeting_id.clone()).collect();
        let found = self.batch_meetings(&others).await?;
        let elsewhere: Vec<Meeting> = found.into_values().filter(|m| m.expires_at_ms > now).collect();
        let mut held_bridges = HashSet::new();
        for entry in reported_elsewhere {
            if !entry.voice_bridge.is_empty()
                && !elsewhere.iter().any(|m| m.id == entry.meeting_id)
                && self.holder(&entry.voice_bridge, &entry.meeting_id, now).await?.is_none()
            {
                held_bridges.insert(entry.voice_bridge.clone());
            }
        }
        let plan = plan_poll(&PollSnapshot { server, placed, elsewhere, held_bridges }, report);
        if !self.save_server(&plan.server, version).await? {
            return Ok(None);
        }
        let mut outcome = plan.outcome();
        outcome.ended.clear();
        outcome.released.clear();
        for meeting in &plan.ended {
            if self.remove(meeting, None).await? {
                outcome.ended.push(meeting.id.clone());
            }
        }
        for meeting in &plan.released {
            if self.remove(meeting, None).await? {
                outcome.released.push(meeting.clone());
            }
        }
        try_join_all(plan.running.iter().map(|m| self.extend(&m.id, server_id, plan.expires_at_ms, now))).await?;
        outcome.adopted.clear();
        for meeting in &plan.adopted {
            if self.adopt(meeting, now).await? {
                outcome.adopted.push(meeting.id.clone());
            }
        }
        self.drop_stale_links(server_id, &stale).await?;
        Ok(Some(outcome))
    }

    /// Places a running meeting nobody held back on its server, if its id and voice bridge are still free.
    async fn adopt(&self, meeting: &Meeting, now: i64) -> StoreResult<bool> {
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
    async fn drop_stale_links(&self, server_id: &str, stale: &[(String, i64)]) -> StoreResult<()> {
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

#[async_trait]
impl ServerStore for DynamoMeetings {
    async fn servers(&self) -> StoreResult<Vec<Server>> {
        Ok(self.all_servers().await?.into_iter().map(|(s, _)| s).collect())
    }

    async fn server(&self, id: &str) -> StoreResult<Option<Server>> {
        Ok(self.server_versioned(id).await?.map(|(s, _)| s))
    }

    async fn add_server(&self, server: &Server) -> StoreResult<()> {
        let added = self
            .db
            .client
            .put_item()
            .table_name(&self.tables().servers)
            .set_item(Some(items::server_item(server, 1)))
            .condition_expression("attribute_not_exists(id)")
            .send()
            .await;
        match added {
            Ok(_) => Ok(()),
            Err(error) if is_conflict(&error) => Err(StoreError::Conflict(format!("server {}", server.id))),
            Err(error) => Err(backend(error)),
        }
    }

    async fn update_server(&self, id: &str, update: &ServerUpdate) -> StoreResult<Option<Server>> {
        for attempt in 0..ATTEMPTS {
            let Some((mut server, version)) = self.server_versioned(id).await? else {
                return Ok(None);
            };
            update.apply(&mut server);
            if self.save_server(&server, version).await? {
                return Ok(Some(server));
            }
            back_off(attempt).await;
        }
        Err(lost(&format!("update of server {id}")))
    }

    async fn delete_server(&self, id: &str) -> StoreResult<bool> {
        Ok(self.db.take(&self.tables().servers, key("id", id)).await?.is_some())
    }

    async fn ping(&self) -> StoreResult<()> {
        self.db.client.describe_table().table_name(&self.tables().servers).send().await.map_err(backend)?;
        Ok(())
    }
}

#[async_trait]
impl MeetingStore for DynamoMeetings {
    async fn meeting(&self, id: &str, now_ms: i64) -> StoreResult<Option<Meeting>> {
        Ok(self.meeting_raw(id).await?.filter(|m| m.expires_at_ms > now_ms))
    }

    async fn meetings_on(&self, server_id: &str, now_ms: i64) -> StoreResult<Vec<Meeting>> {
        Ok(self.linked(server_id, now_ms).await?.0)
    }

    /// Through the `voice_bridges` table; a stale holder finds nothing.
    async fn meeting_by_voice_bridge(&self, number: &str, now_ms: i64) -> StoreResult<Option<Meeting>> {
        if number.is_empty() {
            return Ok(None); // no key can be empty
        }
        let Some(item) = self.db.get(&self.tables().voice_bridges, key("number", number)).await? else {
            return Ok(None);
        };
        let Some(holder) = get_s(&item, "meeting_id").filter(|id| !id.is_empty()) else { return Ok(None) };
        Ok(self.meeting(&holder, now_ms).await?.filter(|m| m.voice_bridge == number))
    }

    async fn place_meeting(&self, placement: &Placement) -> Result<Placed, PlaceError> {
        for attempt in 0..ATTEMPTS {
            if let Some(placed) = self.try_place(placement).await? {
                return Ok(placed);
            }
            back_off(attempt).await;
        }
        Err(lost(&format!("placement of {}", placement.meeting_id)).into())
    }

    async fn confirm_meeting(&self, meeting: &Meeting, now_ms: i64) -> StoreResult<()> {
        let done = self
            .db
            .client
            .update_item()
            .table_name(&self.tables().meetings)
            .set_key(Some(key("id", &meeting.id)))
            .update_expression("SET confirmed_at_ms = :now")
            .condition_expression("server_id = :s AND created_at_ms = :c AND create_sent_at_ms = :sent")
            .expression_attribute_values(":now", n(now_ms))
            .expression_attribute_values(":s", s(&meeting.server_id))
            .expression_attribute_values(":c", n(meeting.created_at_ms))
            .expression_attribute_values(":sent", n(meeting.create_sent_at_ms))
            .send()
            .await;
        match done {
            Err(error) if !is_conflict(&error) => Err(backend(error)),
            _ => Ok(()),
        }
    }

    async fn delete_meeting(&self, id: &str, load: &LoadRules, now_ms: i64) -> StoreResult<Option<Meeting>> {
        for attempt in 0..ATTEMPTS {
            let Some(meeting) = self.meeting(id, now_ms).await? else {
                return Ok(None);
            };
            let give_back = match self.server_versioned(&meeting.server_id).await? {
                Some((server, version)) if server.load.is_some() => {
                    let returned = load.returned(&meeting, server.load.unwrap_or(0.0), now_ms);
                    Some(self.give_back(&server.id, version, returned)?)
                }
                _ => None,
            };
            if self.remove(&meeting, give_back).await? {
                return Ok(Some(meeting));
            }
            back_off(attempt).await;
        }
        Err(lost(&format!("removal of meeting {id}")))
    }

    async fn join_meeting(&self, meeting_id: &str, now_ms: i64) -> StoreResult<JoinTarget> {
        let Some(meeting) = self.meeting(meeting_id, now_ms).await? else {
            return Ok(JoinTarget::NoMeeting);
        };
        let server = match self.server(&meeting.server_id).await? {
            Some(server) if server.accepts_joins() => server,
            _ => return Ok(JoinTarget::Unavailable),
        };
        let Some(increment) = server.join_load() else {
            return Ok(JoinTarget::Server(server));
        };
        // Only an enabled server whose load is known counts the join; the version stays, so no placement retries.
        let counted = self
            .db
            .client
            .update_item()
            .table_name(&self.tables().servers)
            .set_key(Some(key("id", &server.id)))
            .update_expression("SET #l = #l + :m")
            .condition_expression("attribute_exists(#l) AND #st = :enabled")
            .expression_attribute_names("#l", "load")
            .expression_attribute_names("#st", "state")
            .expression_attribute_values(":m", n(increment))
            .expression_attribute_values(":enabled", s(ServerState::Enabled.as_str()))
            .send()
            .await;
        match counted {
            Err(error) if !is_conflict(&error) => Err(backend(error)),
            _ => Ok(JoinTarget::Server(server)),
        }
    }

    async fn record_poll(&self, server_id: &str, report: &PollReport) -> StoreResult<PollOutcome> {
        for attempt in 0..ATTEMPTS {
            if let Some(outcome) = self.try_record_poll(server_id, report).await? {
                return Ok(outcome);
            }
            back_off(attempt).await;
        }
        Err(lost(&format!("poll of {server_id}")))
    }
}

#[async_trait]
impl LeaseStore for DynamoMeetings {
    async fn acquire_lease(&self, name: &str, holder: &str, ttl_ms: i64, now: i64) -> StoreResult<bool> {
        let expires = now.saturating_add(ttl_ms.max(1));
        let taken = self
            .db
            .client
            .put_item()
            .table_name(&self.tables().leases)
            .set_item(Some(HashMap::from([
                ("name".to_owned(), s(name)),
                ("holder".to_owned(), s(holder)),
                ("expires_at_ms".to_owned(), n(expires)),
                ("ttl".to_owned(), items::ttl(expires)),
            ])))
            .condition_expression("attribute_not_exists(#n) OR holder = :h OR expires_at_ms <= :now")
            .expression_attribute_names("#n", "name")
            .expression_attribute_values(":h", s(holder))
            .expression_attribute_values(":now", n(now))
            .send()
            .await;
        match taken {
            Ok(_) => Ok(true),
            Err(error) if is_conflict(&error) => Ok(false),
            Err(error) => Err(backend(error)),
        }
    }

    async fn release_lease(&self, name: &str, holder: &str) -> StoreResult<()> {
        let released = self
            .db
            .client
            .delete_item()
            .table_name(&self.tables().leases)
            .set_key(Some(key("name", name)))
            .condition_expression("holder = :h")
            .expression_attribute_values(":h", s(holder))
            .send()
            .await;
        match released {
            Err(error) if !is_conflict(&error) => Err(backend(error)),
            _ => Ok(()),
        }
    }
}

#[async_trait]
impl TokenStore for DynamoMeetings {
    async fn put_token(&self, token: &str, value: &str, ttl_ms: i64, now_ms: i64) -> StoreResult<()> {
        let expires = now_ms.saturating_add(ttl_ms);
        let item = HashMap::from([
            ("token".to_owned(), s(token)),
            ("value".to_owned(), s(value)),
            ("expires_at_ms".to_owned(), n(expires)),
            ("ttl".to_owned(), items::ttl(expires)),
        ]);
        self.db.put(&self.tables().tokens, item).await
    }

    async fn take_token(&self, token: &str, now: i64) -> StoreResult<Option<String>> {
        let taken = self.db.take(&self.tables().tokens, key("token", token)).await?;
        Ok(taken
            .filter(|item| get_n::<i64>(item, "expires_at_ms").is_some_and(|e| e > now))
            .and_then(|item| get_s(&item, "value")))
    }
}
