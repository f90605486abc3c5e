//! The meeting-side ports on Redis: snapshots read with the change counters of the servers they hold, and
//! plans committed by the Lua scripts, which answer raced when a counter or a placement moved meanwhile.

use redis::AsyncCommands;
use scalelite_shared::balance::eligibility::counts_meetings;
use std::collections::HashMap;

use scalelite_shared::balance::placement::{Placed, PlacementRead, PlacementSnapshot, Planned};
use scalelite_shared::balance::poll::{PollOutcome, PollPlan, PollReport, PollSnapshot};
use scalelite_shared::domain::handle::HandleState;
use scalelite_shared::model::{Meeting, Server};
use scalelite_shared::store::{Commit, JoinSnapshot, Located, MeetingPorts, MeetingStore, StoreError, StoreResult};
use serde_json::{Value, json};

use super::keys::Keys;
use super::poll::PollRead;
use super::snapshot::{self, Versioned};
use super::{CONFIRM, FORGET, PLACE, POLL, REMOVE_SERVER, RedisStore, backend, payload, poll};

/// What a placement read saw: each meeting's placement, the change counter of every server read (a placement's
/// server read even when it is gone, and as read with the placement), and the change counter of each tenant whose
/// meetings were counted.
pub struct PlaceRead {
    current: HashMap<String, Meeting>,
    versions: HashMap<String, String>,
    tenant_versions: HashMap<String, String>,
}

impl PlaceRead {
    /// The change counter of server `id` as read (`"0"` when it was not read).
    fn version_of(&self, id: &str) -> String {
        self.versions.get(id).map_or_else(|| "0".to_owned(), Clone::clone)
    }

    /// What the script needs to commit `planned`.
    fn plan(&self, keys: &Keys, planned: &Planned) -> Value {
        let (meeting, server) = match &planned.placed {
            Placed::Existing { meeting, server } | Placed::New { meeting, server, .. } => (meeting, server),
        };
        let mut plan = json!({
            "meeting": payload::meeting(keys, meeting),
            "version_key": keys.server_version(&server.id),
            "version": self.version_of(&server.id),
        });
        if let Some(read) = self.current.get(&meeting.id) {
            plan["current"] = json!({ "server_id": read.server_id, "created_at_ms": read.created_at_ms.to_string() });
        }
        let Placed::New { replaced, .. } = &planned.placed else {
            plan["mode"] = json!("existing");
            return plan;
        };
        let guard = &planned.guard;
        plan["mode"] = json!("new");
        plan["server_as_read"] = json!(guard.server_as_read);
        plan["tenant_as_read"] = json!(guard.tenant_as_read);
        plan["tenant_version"] = json!(self.tenant_versions.get(&meeting.tenant_id).map_or("0", String::as_str));
        if let Some(ceiling) = guard.ceiling {
            plan["ceiling"] = json!(ceiling.to_string());
        }
        if let Some(old) = replaced {
            let mut old_plan = payload::meeting(keys, old);
            old_plan["returned"] = json!(planned.returned.to_string());
            old_plan["version_key"] = json!(keys.server_version(&old.server_id));
            old_plan["version"] = json!(self.version_of(&old.server_id));
            plan["replaced"] = old_plan;
        }
        plan
    }
}

impl RedisStore {
    /// The servers ranked by a placement read, as `(id, load, change counter)`: each taken from memory while its
    /// counter stands where it was read (its load from the ranking), the others read and kept.
    async fn candidates(&self, ranked: Vec<(String, f64, String)>, now_ms: i64) -> StoreResult<Vec<Versioned>> {
        let mut kept = Vec::with_capacity(ranked.len());
        let mut unread = Vec::new();
        for (id, load, version) in ranked {
            match self.join_servers.get(&id, &version, now_ms) {
                Some(server) => kept.push(Versioned { server: Server { load: Some(load), ..server }, version }),
                None => unread.push(id),
            }
        }
        for read in snapshot::servers(&mut self.conn(), &self.keys, &unread).await? {
            self.join_servers.put(&read.server.id, read.version.clone(), &read.server, i64::MAX);
            kept.push(read);
        }
        Ok(kept)
    }
}

impl MeetingPorts for RedisStore {
    type PlaceStamp = PlaceRead;
    /// The meeting's server's change counter as read.
    type RemoveStamp = String;
    /// The server's change counter as read.
    type ServerStamp = String;
    type PollStamp = Vec<Option<PollRead>>;

    async fn read_placement(&self, read: PlacementRead<'_>) -> StoreResult<(PlacementSnapshot, PlaceRead)> {
        let keys = &self.keys;
        let ids: Vec<&str> = read.requests.iter().map(|r| r.meeting_id.as_str()).collect();
        let live: Vec<Meeting> =
            snapshot::meetings(&mut self.conn(), keys, &ids).await?.into_iter().flatten().collect();
        let mut homes: Vec<String> = live.iter().map(|m| m.server_id.clone()).collect();
        homes.sort_unstable();
        homes.dedup();
        let home_servers: HashMap<String, Versioned> = snapshot::servers(&mut self.conn(), keys, &homes)
            .await?
            .into_iter()
            .map(|v| (v.server.id.clone(), v))
            .collect();
        let mut home_versions = HashMap::new();
        for id in homes {
            let version = match home_servers.get(&id) {
                Some(home) => home.version.clone(),
                // A removed server's counter stays where its removal moved it.
                None => self.counter(&id).await?,
            };
            home_versions.insert(id, version);
        }
        let current: HashMap<String, (Meeting, Option<Server>)> = live
            .iter()
            .map(|m| (m.id.clone(), (m.clone(), home_servers.get(&m.server_id).map(|v| v.server.clone()))))
            .collect();
        let (ranked, reach) = snapshot::least_loaded(&mut self.conn(), keys, read.depth).await?;
        let candidates = self.candidates(ranked, read.now_ms()).await?;
        // Counted after the servers' change counters were read: a placement in between moves a counter.
        let counted: Vec<&str> =
            candidates.iter().filter(|v| counts_meetings(&v.server)).map(|v| v.server.id.as_str()).collect();
        let placed_meetings = snapshot::placed_counts(&mut self.conn(), keys, &counted).await?;
        let bridge_holders = snapshot::bridge_holders(&mut self.conn(), keys, &read.voice_bridges()).await?;
        let mut tenant_meetings = HashMap::new();
        let mut tenant_versions = HashMap::new();
        for tenant in read.counted_tenants() {
            // Counted after the tenant's change counter was read: a meeting of it written in between moves it.
            tenant_versions.insert(tenant.to_owned(), self.tenant_counter(tenant).await?);
            let meetings = self.tenant_meetings(tenant).await?;
            tenant_meetings.insert(tenant.to_owned(), meetings.len() as u64);
        }
        let snapshot = PlacementSnapshot {
            current,
            servers: candidates.iter().map(|v| v.server.clone()).collect(),
            reach,
            bridge_holders,
            placed_meetings,
            tenant_meetings,
        };
        // A placement's server keeps the counter it was read at with the placement.
        let mut versions: HashMap<String, String> = candidates.into_iter().map(|v| (v.server.id, v.version)).collect();
        versions.extend(home_versions);
        let current = live.into_iter().map(|m| (m.id.clone(), m)).collect();
        Ok((snapshot, PlaceRead { current, versions, tenant_versions }))
    }

    async fn commit_placement(&self, read: PlaceRead, plans: &[Planned]) -> StoreResult<Vec<Commit>> {
        let keys = &self.keys;
        let plan = json!({
            "servers": keys.servers(),
            "server_load": keys.server_load(),
            "cordoned_load": keys.cordoned_server_load(),
            "meeting_prefix": keys.meeting(""),
            "plans": plans.iter().map(|planned| read.plan(keys, planned)).collect::<Vec<_>>(),
        });
        let (answers, counters): (Vec<String>, Vec<(String, String, String)>) = self.commit(&PLACE, &plan).await?;
        let prefix = keys.server_version("");
        for (key, before, after) in counters {
            if let Some(id) = key.strip_prefix(&prefix) {
                self.join_servers.restamp(id, &before, after);
            }
        }
        Ok(answers.iter().map(|answer| Commit::held(answer == "ok")).collect())
    }

    async fn read_removal(&self, id: &str, _now_ms: i64) -> StoreResult<(Option<Located>, String)> {
        let Some(meeting) = self.read_meeting(id).await? else { return Ok((None, "0".to_owned())) };
        let (server, version) = match self.versioned(&meeting.server_id).await? {
            Some(Versioned { server, version }) => (Some(server), version),
            // A removed server's counter stays where its removal moved it.
            None => (None, self.counter(&meeting.server_id).await?),
        };
        Ok((Some((meeting, server)), version))
    }

    async fn commit_removal(&self, version: String, meeting: &Meeting, returned: f64) -> StoreResult<Commit> {
        let plan = json!({
            "meeting": payload::meeting(&self.keys, meeting),
            "version_key": self.keys.server_version(&meeting.server_id),
            "version": version,
            "returned": returned.to_string(),
            "server_load": self.keys.server_load(),
            "cordoned_load": self.keys.cordoned_server_load(),
        });
        Ok(Commit::held(self.commit::<String>(&FORGET, &plan).await? == "ok"))
    }

    async fn read_server(&self, id: &str) -> StoreResult<(Option<Server>, String)> {
        Ok(match self.versioned(id).await? {
            Some(Versioned { server, version }) => (Some(server), version),
            None => (None, "0".to_owned()),
        })
    }

    async fn commit_server(&self, version: String, server: &Server) -> StoreResult<Commit<bool>> {
        Ok(match self.save_server(server, "existing", &version).await?.as_str() {
            "ok" => Commit::Committed(true),
            "gone" => Commit::Committed(false),
            _ => Commit::Raced,
        })
    }

    async fn commit_new_server(&self, server: &Server) -> StoreResult<()> {
        match self.save_server(server, "new", "0").await?.as_str() {
            "ok" => Ok(()),
            _ => Err(StoreError::Conflict(format!("server {}", server.id))),
        }
    }

    async fn commit_server_removal(&self, id: &str) -> StoreResult<bool> {
        let plan = json!({ "server": payload::server_keys(&self.keys, id) });
        Ok(self.commit::<String>(&REMOVE_SERVER, &plan).await? == "ok")
    }

    async fn read_polls(
        &self,
        batch: &[(String, PollReport)],
    ) -> StoreResult<(Vec<Option<PollSnapshot>>, Vec<Option<PollRead>>)> {
        for (server_id, _) in batch {
            // The poll replaces the load: join load still pending for the server is not written after it.
            self.joins.forget(server_id);
        }
        poll::read(self, batch).await
    }

    async fn commit_polls(
        &self,
        read: Vec<Option<PollRead>>,
        batch: &[(String, PollReport)],
        plans: Vec<Option<PollPlan>>,
    ) -> StoreResult<Vec<Commit<PollOutcome>>> {
        poll::write(self, &POLL, batch, read, plans).await
    }

    /// Joins of one meeting that come while its read is on the way share the next read (a class joining as it
    /// starts costs Redis a round trip or two, not one a participant).
    async fn read_join(&self, meeting_id: &str, now_ms: i64) -> StoreResult<JoinSnapshot> {
        // A shared read starts after every join it answers: it reads at the store's time when it starts.
        let shared = || {
            let (store, id) = (self.clone(), meeting_id.to_owned());
            async move { store.join_snapshot(&id, MeetingStore::now_ms(&store).await?).await }
        };
        self.join_reads.read(meeting_id, self.join_snapshot(meeting_id, now_ms), shared).await
    }

    /// Gathered in memory and written within a fraction of a second.
    async fn count_join(&self, meeting_id: &str, server_id: &str, load: Option<f64>) -> StoreResult<()> {
        self.joins.count(&self.conn, &self.keys, meeting_id, server_id, load);
        Ok(())
    }

    async fn commit_confirmation(&self, meeting: &Meeting, now_ms: i64) -> StoreResult<()> {
        let plan = json!({ "meeting": payload::meeting(&self.keys, meeting), "now_ms": now_ms.to_string() });
        self.commit::<String>(&CONFIRM, &plan).await.map(|_| ())
    }

    async fn list_servers(&self) -> StoreResult<Vec<Server>> {
        let mut ids: Vec<String> = self.conn().smembers(self.keys.servers()).await.map_err(backend)?;
        ids.sort();
        let servers = snapshot::servers(&mut self.conn(), &self.keys, &ids).await?;
        Ok(servers.into_iter().map(|v| self.joins.overlay(v.server)).collect())
    }

    async fn find_server(&self, id: &str) -> StoreResult<Option<Server>> {
        Ok(self.versioned(id).await?.map(|v| self.joins.overlay(v.server)))
    }

    async fn find_meeting(&self, id: &str, _now_ms: i64) -> StoreResult<Option<Meeting>> {
        Ok(self.read_meeting(id).await?.map(|m| self.joins.overlay_meeting(m)))
    }

    /// Every meeting on the server, including those an upstream deployment placed (a scan of `meetings`).
    async fn list_meetings_on(&self, server_id: &str, _now_ms: i64) -> StoreResult<Vec<Meeting>> {
        let ids: Vec<String> = self.conn().smembers(self.keys.meetings()).await.map_err(backend)?;
        let ids: Vec<&str> = ids.iter().map(String::as_str).collect();
        let meetings = snapshot::meetings(&mut self.conn(), &self.keys, &ids).await?;
        let mut on_server: Vec<Meeting> = meetings
            .into_iter()
            .flatten()
            .filter(|m| m.server_id == server_id)
            .map(|m| self.joins.overlay_meeting(m))
            .collect();
        on_server.sort_by(|a, b| a.id.cmp(&b.id));
        Ok(on_server)
    }

    /// Through scalelite-rs's index of the tenant's meetings (upstream placed none of a tenant).
    async fn list_tenant_meetings(&self, tenant_id: &str, _now_ms: i64) -> StoreResult<Vec<Meeting>> {
        let of_tenant = self.tenant_meetings(tenant_id).await?;
        Ok(of_tenant.into_iter().map(|m| self.joins.overlay_meeting(m)).collect())
    }

    /// Through upstream's `voice_bridges` hash; an entry left by a meeting that expired or now holds another
    /// number finds nothing.
    async fn find_by_voice_bridge(&self, number: &str, _now_ms: i64) -> StoreResult<Option<Meeting>> {
        let holder: Option<String> = self.conn().hget(self.keys.voice_bridges(), number).await.map_err(backend)?;
        let Some(holder) = holder else { return Ok(None) };
        Ok(self.read_meeting(&holder).await?.filter(|m| m.voice_bridge == number))
    }

    async fn ping_backend(&self) -> StoreResult<()> {
        let _: String = redis::cmd("PING").query_async(&mut self.conn()).await.map_err(backend)?;
        Ok(())
    }

    fn handle_state(&self) -> &HandleState {
        &self.handle
    }

    async fn read_store_time(&self) -> StoreResult<i64> {
        let (seconds, micros): (i64, i64) = redis::cmd("TIME").query_async(&mut self.conn()).await.map_err(backend)?;
        Ok(seconds.saturating_mul(1_000).saturating_add(micros / 1_000))
    }
}
