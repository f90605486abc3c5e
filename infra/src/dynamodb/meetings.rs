//! `MeetingStore` on DynamoDB: servers, meetings, placement by conditional transactions, polls, leases, tokens.

use std::collections::{HashMap, HashSet};

use async_trait::async_trait;
use aws_sdk_dynamodb::types::{
    AttributeValue, ConditionCheck, Delete, KeysAndAttributes, Put, TransactWriteItem, Update,
};
use futures::future::try_join_all;
use rand::Rng;
use scalelite_shared::balance::choice::{Candidate, NoChoice, choose, eligible};
use scalelite_shared::balance::health::{Health, Verdict, step};
use scalelite_shared::balance::load::apply_poll;
use scalelite_shared::clock::now_ms;
use scalelite_shared::model::{Meeting, Server, ServerState, ServerStats, ServerUpdate};
use scalelite_shared::store::{
    JoinTarget, MeetingStore, PlaceError, Placed, Placement, PollOutcome, PollReport, StoreError, StoreResult,
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
    async fn linked(&self, server_id: &str) -> StoreResult<(Vec<Meeting>, Vec<(String, i64)>)> {
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
        let now = now_ms();
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
    async fn remove(&self, meeting: &Meeting) -> StoreResult<bool> {
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
        let done = self
            .db
            .client
            .transact_write_items()
            .transact_items(TransactWriteItem::builder().delete(delete_meeting).build())
            .transact_items(TransactWriteItem::builder().delete(delete_link).build())
            .send()
            .await;
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
    async fn try_place(&self, placement: &Placement, attempt: usize) -> Result<Option<Placed>, PlaceError> {
        let tables = self.tables();
        let now = placement.now_ms;
        let existing = self.meeting_raw(&placement.meeting_id).await?;
        let mut replaced = None;
        if let Some(meeting) = existing.clone().filter(|m| m.expires_at_ms > now) {
            if meeting.tenant_id != placement.tenant_id {
                return Err(PlaceError::OtherTenant);
            }
            match self.server_versioned(&meeting.server_id).await? {
                Some((server, _)) if server.accepts_joins() => return Ok(Some(Placed::Existing { meeting, server })),
                _ => replaced = Some(meeting),
            }
        }

        let available: Vec<(Server, i64)> = self
            .all_servers()
            .await?
            .into_iter()
            .filter(|(s, _)| s.state == ServerState::Enabled && s.online && s.load.is_some())
            .collect();
        let candidates: Vec<Candidate> = available
            .iter()
            .map(|(s, _)| Candidate { id: s.id.clone(), tag: s.tag.clone(), load: s.load.unwrap_or(0.0) })
            .collect();
        let no_choice = |reason| match reason {
            NoChoice::NoServer => PlaceError::NoServer,
            NoChoice::TagUnavailable(tags) => PlaceError::TagUnavailable(tags),
        };
        let chosen_id = if attempt == 0 {
            choose(&candidates, &placement.tags).map_err(no_choice)?.id.clone()
        } else {
            // After a lost race, pick at random among the equally least loaded, so racing creates spread out
            // instead of all retrying on the same server.
            let eligible = eligible(&candidates, &placement.tags).map_err(no_choice)?;
            let lowest = eligible.iter().map(|c| c.load).fold(f64::INFINITY, f64::min);
            let ties: Vec<&&Candidate> = eligible.iter().filter(|c| c.load == lowest).collect();
            ties[rand::rng().random_range(0..ties.len())].id.clone()
        };
        let Some((mut server, version)) = available.into_iter().find(|(s, _)| s.id == chosen_id) else {
            return Err(PlaceError::NoServer);
        };

        let mut bridge = None;
        for number in &placement.voice_bridges {
            if let Some(holder) = self.holder(number, &placement.meeting_id, now_ms()).await? {
                bridge = Some((number.clone(), holder));
                break;
            }
        }
        let Some((number, holder)) = bridge else {
            return Err(PlaceError::VoiceBridgeExhausted);
        };

        let reserved_load = placement.load.reservation(server.load_multiplier);
        let meeting = Meeting {
            id: placement.meeting_id.clone(),
            server_id: server.id.clone(),
            moderator_pw: placement.moderator_pw.clone(),
            voice_bridge: number.clone(),
            tenant_id: placement.tenant_id.clone(),
            reserved_load,
            created_at_ms: now,
            expires_at_ms: now.saturating_add(placement.ttl_ms),
        };

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
            .expression_attribute_values(":r", n(reserved_load))
            .expression_attribute_values(":one", n(1))
            .expression_attribute_values(":v", n(version))
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
                .expression_attribute_values(":now", n(now_ms()))
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
        }
        match request.send().await {
            Ok(_) => {}
            Err(error) if is_conflict(&error) => return Ok(None),
            Err(error) => return Err(backend(error).into()),
        }
        server.load = server.load.map(|load| load + reserved_load);
        Ok(Some(Placed::New { meeting, server, replaced }))
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

    /// Moves a running meeting's expiry on, if it is still on `server_id`.
    async fn extend(&self, meeting_id: &str, server_id: &str, expires_at_ms: i64) -> StoreResult<()> {
        let done = self
            .db
            .client
            .update_item()
            .table_name(&self.tables().meetings)
            .set_key(Some(key("id", meeting_id)))
            .update_expression("SET expires_at_ms = :e, #t = :t")
            .condition_expression("server_id = :s")
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
impl MeetingStore for DynamoMeetings {
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

    async fn record_poll(&self, server_id: &str, report: &PollReport) -> StoreResult<PollOutcome> {
        for attempt in 0..ATTEMPTS {
            let Some((mut server, version)) = self.server_versioned(server_id).await? else {
                return Ok(PollOutcome::default());
            };
            let (placed, stale) = self.linked(server_id).await?;
            let (health, verdict) = step(Health::from(&server), report.meetings.is_some(), report.health);
            server.online = health.online;
            server.healthy_counter = health.healthy_counter;
            server.unhealthy_counter = health.unhealthy_counter;
            let now = now_ms();
            let mut outcome = PollOutcome::default();
            let mut running_ids = Vec::new();
            let mut ended = Vec::new();
            match (verdict, &report.meetings) {
                (Verdict::Apply, Some(reported)) => {
                    let running: HashSet<&str> = reported.iter().map(|m| m.meeting_id.as_str()).collect();
                    let mut kept = Vec::new();
                    for meeting in placed {
                        if running.contains(meeting.id.as_str()) {
                            running_ids.push(meeting.id.clone());
                            kept.push(meeting);
                        } else if meeting.created_at_ms < report.started_at_ms {
                            ended.push(meeting);
                        } else {
                            kept.push(meeting);
                        }
                    }
                    outcome.drained = apply_poll(&mut server, reported, &kept, &report.load, now);
                }
                (Verdict::GoOffline, _) => {
                    outcome.released = placed;
                    server.load = None;
                    server.stats = ServerStats::default();
                }
                _ => {}
            }
            if !self.save_server(&server, version).await? {
                back_off(attempt).await;
                continue;
            }
            for meeting in &ended {
                if self.remove(meeting).await? {
                    outcome.ended.push(meeting.id.clone());
                }
            }
            let released = std::mem::take(&mut outcome.released);
            for meeting in released {
                if self.remove(&meeting).await? {
                    outcome.released.push(meeting);
                }
            }
            let expires = now.saturating_add(report.ttl_ms);
            try_join_all(running_ids.iter().map(|id| self.extend(id, server_id, expires))).await?;
            self.drop_stale_links(server_id, &stale).await?;
            outcome.online = server.online;
            outcome.load = server.load;
            return Ok(outcome);
        }
        Err(lost(&format!("poll of {server_id}")))
    }

    async fn meeting(&self, id: &str) -> StoreResult<Option<Meeting>> {
        Ok(self.meeting_raw(id).await?.filter(|m| m.expires_at_ms > now_ms()))
    }

    async fn meetings_on(&self, server_id: &str) -> StoreResult<Vec<Meeting>> {
        Ok(self.linked(server_id).await?.0)
    }

    async fn place_meeting(&self, placement: &Placement) -> Result<Placed, PlaceError> {
        for attempt in 0..ATTEMPTS {
            if let Some(placed) = self.try_place(placement, attempt).await? {
                return Ok(placed);
            }
            back_off(attempt).await;
        }
        Err(lost(&format!("placement of {}", placement.meeting_id)).into())
    }

    async fn delete_meeting(&self, id: &str) -> StoreResult<Option<Meeting>> {
        for attempt in 0..ATTEMPTS {
            let Some(meeting) = self.meeting_raw(id).await? else {
                return Ok(None);
            };
            if self.remove(&meeting).await? {
                return Ok(Some(meeting));
            }
            back_off(attempt).await;
        }
        Err(lost(&format!("removal of meeting {id}")))
    }

    async fn join_meeting(&self, meeting_id: &str) -> StoreResult<JoinTarget> {
        let Some(meeting) = self.meeting(meeting_id).await? else {
            return Ok(JoinTarget::NoMeeting);
        };
        let server = match self.server(&meeting.server_id).await? {
            Some(server) if server.accepts_joins() => server,
            _ => return Ok(JoinTarget::Unavailable),
        };
        // Only a server whose load is known counts the join; the version stays, so no placement retries.
        let counted = self
            .db
            .client
            .update_item()
            .table_name(&self.tables().servers)
            .set_key(Some(key("id", &server.id)))
            .update_expression("SET #l = #l + :m")
            .condition_expression("attribute_exists(#l)")
            .expression_attribute_names("#l", "load")
            .expression_attribute_values(":m", n(server.load_multiplier))
            .send()
            .await;
        match counted {
            Err(error) if !is_conflict(&error) => Err(backend(error)),
            _ => Ok(JoinTarget::Server(server)),
        }
    }

    async fn ping(&self) -> StoreResult<()> {
        self.db.client.describe_table().table_name(&self.tables().servers).send().await.map_err(backend)?;
        Ok(())
    }

    async fn acquire_lease(&self, name: &str, holder: &str, ttl_ms: i64) -> StoreResult<bool> {
        let now = now_ms();
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

    async fn put_token(&self, token: &str, value: &str, ttl_ms: i64) -> StoreResult<()> {
        let expires = now_ms().saturating_add(ttl_ms);
        let item = HashMap::from([
            ("token".to_owned(), s(token)),
            ("value".to_owned(), s(value)),
            ("expires_at_ms".to_owned(), n(expires)),
            ("ttl".to_owned(), items::ttl(expires)),
        ]);
        self.db.put(&self.tables().tokens, item).await
    }

    async fn take_token(&self, token: &str) -> StoreResult<Option<String>> {
        let taken = self.db.take(&self.tables().tokens, key("token", token)).await?;
        let now = now_ms();
        Ok(taken
            .filter(|item| get_n::<i64>(item, "expires_at_ms").is_some_and(|e| e > now))
            .and_then(|item| get_s(&item, "value")))
    }
}
