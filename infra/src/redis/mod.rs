//! The Redis store: servers and meetings in upstream Scalelite's key layout, so an existing deployment's
//! Redis keeps working. Each change is planned in Rust by `balance` from a snapshot and committed by one
//! Lua script (a shared prelude plus the commit) that first checks the snapshot still holds: the server's
//! change counter (`server_version:<id>`, moved on by every change but joins) and the meeting's placement.
//! A lost race is read and planned again. Scripts touch keys named in their plan, so Redis Cluster is not
//! supported: use a standalone server or Sentinel.

mod codec;
mod joins;
mod keys;
mod payload;
mod poll;
mod primary;
mod sentinel;
mod snapshot;
mod tenants;

use std::sync::{Arc, LazyLock};
use std::time::Duration;

use async_trait::async_trait;
use redis::aio::{ConnectionManager, ConnectionManagerConfig};
use redis::{AsyncCommands, IntoConnectionInfo, RedisConnectionInfo, Script};
use scalelite_shared::balance::load::LoadRules;
use scalelite_shared::balance::placement::{PlacementSnapshot, eligible_ids, plan as plan_placement};
use scalelite_shared::config::Config;
use scalelite_shared::model::{Meeting, Server, ServerUpdate};
use scalelite_shared::store::{
    JoinTarget, LeaseStore, MeetingStore, PlaceError, Placed, Placement, PollOutcome, PollReport, ServerStore,
    StoreError, StoreResult, TokenStore,
};
use serde_json::{Value, json};

use crate::join_servers::JoinServers;
use joins::Joins;
use keys::Keys;
use primary::Primary;
use snapshot::Versioned;

/// A commit script: the shared prelude, then the commit itself.
macro_rules! commit_script {
    ($file:literal) => {
        LazyLock::new(|| Script::new(concat!(include_str!("lua/prelude.lua"), "\n", include_str!($file))))
    };
}

static PLACE: LazyLock<Script> = commit_script!("lua/place.lua");
static FORGET: LazyLock<Script> = commit_script!("lua/forget.lua");
static CONFIRM: LazyLock<Script> = commit_script!("lua/confirm.lua");
static POLL: LazyLock<Script> = commit_script!("lua/poll.lua");
static SAVE_SERVER: LazyLock<Script> = commit_script!("lua/save_server.lua");
static ACQUIRE_LEASE: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        "local holder = redis.call('GET', KEYS[1]) \
         if holder and holder ~= ARGV[1] then return 0 end \
         redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2]) return 1",
    )
});
static RELEASE_LEASE: LazyLock<Script> = LazyLock::new(|| {
    Script::new("if redis.call('GET', KEYS[1]) == ARGV[1] then redis.call('DEL', KEYS[1]) end return 1")
});

/// How long a call waits for Redis, connecting or answering, before it fails.
const FAIL_FAST: Duration = Duration::from_secs(1);

/// How often a plan is read and computed again after a concurrent change got in first.
const ATTEMPTS: usize = 64;

fn backend(error: redis::RedisError) -> StoreError {
    StoreError::Backend(error.to_string())
}

fn lost(what: &str) -> StoreError {
    StoreError::Backend(format!("{what} kept racing with other changes"))
}

/// How the connection to a primary waits and reconnects.
fn manager_config() -> ConnectionManagerConfig {
    ConnectionManagerConfig::new()
        .set_connection_timeout(Some(FAIL_FAST))
        .set_response_timeout(Some(FAIL_FAST))
        .set_number_of_retries(1)
        .set_max_delay(Duration::from_millis(500))
}

/// The Redis-backed store; cheap to clone (one multiplexed, self-reconnecting connection to the primary).
#[derive(Clone)]
pub struct RedisStore {
    conn: Primary,
    keys: Keys,
    joins: Arc<Joins>,
    join_servers: Arc<JoinServers<String>>,
}

impl RedisStore {
    /// A store on `url` that connects on first use and reconnects in the background, so a process that starts
    /// during an outage stays up (not ready); while Redis does not answer, calls fail within a second. Keys live
    /// under `namespace` (upstream's default is `scalelite`).
    pub async fn open(url: &str, namespace: &str) -> StoreResult<Self> {
        Self::open_direct(url, namespace, 0)
    }

    /// The store the configuration names, if it names Redis: the primary at `REDIS_URL`, or the one the
    /// sentinels of `REDIS_SENTINELS` name (`REDIS_URL` then gives only its credentials and database); writes
    /// wait for `REDIS_WAIT_REPLICAS` replicas.
    pub fn from_config(config: &Config) -> StoreResult<Option<Self>> {
        let namespace = &config.redis_namespace;
        let Some(settings) = &config.redis_sentinel else {
            let url = config.redis_url.as_deref();
            return url.map(|url| Self::open_direct(url, namespace, config.redis_wait_replicas)).transpose();
        };
        let node = match &config.redis_url {
            Some(url) => url.as_str().into_connection_info().map_err(backend)?.redis_settings().clone(),
            None => RedisConnectionInfo::default(),
        };
        let db = node.db();
        let sentinels = sentinel::Sentinels::new(settings, node, manager_config()).map_err(backend)?;
        let conn = Primary::sentinel(sentinels, settings.retry_timeout, db, config.redis_wait_replicas);
        Ok(Some(Self {
            conn,
            keys: Keys { ns: namespace.to_owned() },
            joins: Arc::default(),
            join_servers: Arc::default(),
        }))
    }

    fn open_direct(url: &str, namespace: &str, wait_replicas: usize) -> StoreResult<Self> {
        let client = redis::Client::open(url).map_err(backend)?;
        let db = client.get_connection_info().redis_settings().db();
        let conn = ConnectionManager::new_lazy_with_config(client, manager_config()).map_err(backend)?;
        let conn = Primary::direct(conn, db, wait_replicas);
        Ok(Self { conn, keys: Keys { ns: namespace.to_owned() }, joins: Arc::default(), join_servers: Arc::default() })
    }

    fn conn(&self) -> Primary {
        self.conn.clone()
    }

    /// The server a live meeting's joins go to (`None`: the meeting is gone; `Some(None)`: its server is): the
    /// one kept from an earlier join while its change counter has not moved, else read whole and kept.
    async fn join_server(&self, meeting_id: &str, now_ms: i64) -> StoreResult<Option<Option<Server>>> {
        let Some((server_id, version)) = snapshot::join_probe(&mut self.conn(), &self.keys, meeting_id).await? else {
            return Ok(None);
        };
        if let Some(server) = version.and_then(|version| self.join_servers.get(&server_id, &version, now_ms)) {
            return Ok(Some(Some(server)));
        }
        // Read again whole: the meeting may have moved since the probe, so its answer stands on its own.
        let Some(read) = snapshot::join(&mut self.conn(), &self.keys, meeting_id).await? else { return Ok(None) };
        if let (Some(server), Some(version)) = (&read.server, &read.version) {
            self.join_servers.put(&server.id, version.clone(), server, i64::MAX);
        }
        Ok(Some(read.server))
    }

    async fn commit(&self, script: &Script, plan: &Value) -> StoreResult<String> {
        self.conn().write_script(&script.arg(plan.to_string())).await.map_err(backend)
    }

    async fn versioned(&self, id: &str) -> StoreResult<Option<Versioned>> {
        snapshot::server(&mut self.conn(), &self.keys, id).await
    }

    async fn read_meeting(&self, id: &str, now_ms: i64) -> StoreResult<Option<Meeting>> {
        Ok(snapshot::meetings(&mut self.conn(), &self.keys, &[id], now_ms).await?.pop().flatten())
    }

    /// The placement snapshot, with the change counter of the server each outcome depends on.
    async fn placement_snapshot(
        &self,
        placement: &Placement,
    ) -> StoreResult<(PlacementSnapshot, Option<(Meeting, Option<Versioned>)>, Vec<Versioned>)> {
        let now = placement.now_ms;
        let current = match self.read_meeting(&placement.meeting_id, now).await? {
            Some(meeting) => {
                let server = self.versioned(&meeting.server_id).await?;
                Some((meeting, server))
            }
            None => None,
        };
        let ids: Vec<String> = self.conn().zrange(self.keys.server_load(), 0, -1).await.map_err(backend)?;
        let candidates = snapshot::servers(&mut self.conn(), &self.keys, &ids).await?;
        let numbers: Vec<&str> = placement.voice_bridges.iter().map(String::as_str).collect();
        let held = snapshot::held_bridges(&mut self.conn(), &self.keys, &numbers, &placement.meeting_id).await?;
        let snapshot = PlacementSnapshot {
            current: current.as_ref().map(|(m, s)| (m.clone(), s.as_ref().map(|v| v.server.clone()))),
            servers: candidates.iter().map(|v| v.server.clone()).collect(),
            held_bridges: held,
        };
        Ok((snapshot, current, candidates))
    }

    /// One placement attempt; `None` when a concurrent change got in first.
    async fn try_place(&self, placement: &Placement) -> Result<Option<Placed>, PlaceError> {
        let (snapshot, current, candidates) = self.placement_snapshot(placement).await?;
        let placed = plan_placement(placement, &snapshot)?;
        let version_of = |id: &str| {
            let from_current = current.as_ref().and_then(|(_, s)| s.as_ref()).filter(|v| v.server.id == id);
            from_current.or_else(|| candidates.iter().find(|v| v.server.id == id)).map(|v| v.version.clone())
        };
        let mut plan = json!({
            "servers": self.keys.servers(),
            "server_load": self.keys.server_load(),
            "cordoned_load": self.keys.cordoned_server_load(),
            "meeting_prefix": self.keys.meeting(""),
        });
        if let Some((meeting, _)) = &current {
            plan["current"] =
                json!({ "server_id": meeting.server_id, "created_at_ms": meeting.created_at_ms.to_string() });
        }
        let placed = match placed {
            Placed::Existing { mut meeting, server } => {
                meeting.create_sent_at_ms = placement.now_ms;
                meeting.confirmed_at_ms = None;
                plan["mode"] = json!("existing");
                plan["meeting"] = payload::meeting(&self.keys, &meeting);
                plan["version_key"] = json!(self.keys.server_version(&server.id));
                plan["version"] = json!(version_of(&server.id).unwrap_or_default());
                Placed::Existing { meeting, server }
            }
            Placed::New { meeting, server, replaced } => {
                plan["mode"] = json!("new");
                plan["meeting"] = payload::meeting(&self.keys, &meeting);
                plan["version_key"] = json!(self.keys.server_version(&server.id));
                plan["eligible"] = json!(eligible_ids(placement, &snapshot.servers));
                if let Some(old) = &replaced {
                    let old_load = current.as_ref().and_then(|(_, s)| s.as_ref()).and_then(|v| v.server.load);
                    let mut old_plan = payload::meeting(&self.keys, old);
                    old_plan["returned"] =
                        json!(placement.load.returned(old, old_load.unwrap_or(0.0), placement.now_ms).to_string());
                    old_plan["version_key"] = json!(self.keys.server_version(&old.server_id));
                    plan["replaced"] = old_plan;
                }
                Placed::New { meeting, server, replaced }
            }
        };
        Ok((self.commit(&PLACE, &plan).await? == "ok").then_some(placed))
    }

    /// One removal attempt: `Ok(None)` when a concurrent change got in first.
    async fn try_delete(&self, id: &str, rules: &LoadRules, now_ms: i64) -> StoreResult<Option<Option<Meeting>>> {
        let Some(meeting) = self.read_meeting(id, now_ms).await? else {
            return Ok(Some(None));
        };
        let server = self.versioned(&meeting.server_id).await?;
        let load = server.as_ref().and_then(|v| v.server.load).unwrap_or(0.0);
        let plan = json!({
            "meeting": payload::meeting(&self.keys, &meeting),
            "version_key": self.keys.server_version(&meeting.server_id),
            "version": server.map_or_else(|| "0".to_owned(), |v| v.version),
            "returned": rules.returned(&meeting, load, now_ms).to_string(),
            "server_load": self.keys.server_load(),
            "cordoned_load": self.keys.cordoned_server_load(),
        });
        Ok((self.commit(&FORGET, &plan).await? == "ok").then_some(Some(meeting)))
    }

    async fn save_server(&self, server: &Server, must: &str, version: &str) -> StoreResult<String> {
        let plan = json!({ "server": payload::server(&self.keys, server), "must": must, "version": version });
        self.commit(&SAVE_SERVER, &plan).await
    }
}

#[async_trait]
impl ServerStore for RedisStore {
    async fn servers(&self) -> StoreResult<Vec<Server>> {
        let mut ids: Vec<String> = self.conn().smembers(self.keys.servers()).await.map_err(backend)?;
        ids.sort();
        let servers = snapshot::servers(&mut self.conn(), &self.keys, &ids).await?;
        Ok(servers.into_iter().map(|v| self.joins.overlay(v.server)).collect())
    }

    async fn server(&self, id: &str) -> StoreResult<Option<Server>> {
        Ok(self.versioned(id).await?.map(|v| self.joins.overlay(v.server)))
    }

    async fn add_server(&self, server: &Server) -> StoreResult<()> {
        match self.save_server(server, "new", "0").await?.as_str() {
            "ok" => Ok(()),
            _ => Err(StoreError::Conflict(format!("server {}", server.id))),
        }
    }

    async fn update_server(&self, id: &str, update: &ServerUpdate) -> StoreResult<Option<Server>> {
        for _ in 0..ATTEMPTS {
            let Some(Versioned { mut server, version }) = self.versioned(id).await? else {
                return Ok(None);
            };
            update.apply(&mut server);
            match self.save_server(&server, "existing", &version).await?.as_str() {
                "ok" => return Ok(Some(server)),
                "gone" => return Ok(None),
                _ => continue,
            }
        }
        Err(lost(&format!("update of server {id}")))
    }

    async fn delete_server(&self, id: &str) -> StoreResult<bool> {
        let keys = &self.keys;
        let mut pipe = redis::pipe();
        pipe.atomic()
            .srem(keys.servers(), id)
            .del(keys.server(id))
            .ignore()
            .zrem(keys.server_load(), id)
            .ignore()
            .zrem(keys.cordoned_server_load(), id)
            .ignore()
            .srem(keys.server_enabled(), id)
            .ignore()
            .del(keys.health(id))
            .ignore()
            .del(keys.server_meetings(id))
            .ignore()
            .del(keys.split_meetings(id))
            .ignore()
            .incr(keys.server_version(id), 1)
            .ignore();
        let (removed,): (i64,) = self.conn().write(&pipe).await.map_err(backend)?;
        Ok(removed > 0)
    }

    async fn ping(&self) -> StoreResult<()> {
        let _: String = redis::cmd("PING").query_async(&mut self.conn()).await.map_err(backend)?;
        Ok(())
    }
}

#[async_trait]
impl MeetingStore for RedisStore {
    async fn meeting(&self, id: &str, now_ms: i64) -> StoreResult<Option<Meeting>> {
        self.read_meeting(id, now_ms).await
    }

    /// Every meeting on the server, including those an upstream deployment placed (a scan of `meetings`).
    async fn meetings_on(&self, server_id: &str, now_ms: i64) -> StoreResult<Vec<Meeting>> {
        let ids: Vec<String> = self.conn().smembers(self.keys.meetings()).await.map_err(backend)?;
        let ids: Vec<&str> = ids.iter().map(String::as_str).collect();
        let meetings = snapshot::meetings(&mut self.conn(), &self.keys, &ids, now_ms).await?;
        let mut on_server: Vec<Meeting> = meetings.into_iter().flatten().filter(|m| m.server_id == server_id).collect();
        on_server.sort_by(|a, b| a.id.cmp(&b.id));
        Ok(on_server)
    }

    /// Through upstream's `voice_bridges` hash; an entry left by a meeting that expired or now holds another
    /// number finds nothing.
    async fn meeting_by_voice_bridge(&self, number: &str, now_ms: i64) -> StoreResult<Option<Meeting>> {
        let holder: Option<String> = self.conn().hget(self.keys.voice_bridges(), number).await.map_err(backend)?;
        let Some(holder) = holder else { return Ok(None) };
        Ok(self.read_meeting(&holder, now_ms).await?.filter(|m| m.voice_bridge == number))
    }

    async fn place_meeting(&self, placement: &Placement) -> Result<Placed, PlaceError> {
        for _ in 0..ATTEMPTS {
            if let Some(placed) = self.try_place(placement).await? {
                return Ok(placed);
            }
        }
        Err(lost(&format!("placement of {}", placement.meeting_id)).into())
    }

    async fn confirm_meeting(&self, meeting: &Meeting, now_ms: i64) -> StoreResult<()> {
        let plan = json!({ "meeting": payload::meeting(&self.keys, meeting), "now_ms": now_ms.to_string() });
        self.commit(&CONFIRM, &plan).await.map(|_| ())
    }

    async fn delete_meeting(&self, id: &str, load: &LoadRules, now_ms: i64) -> StoreResult<Option<Meeting>> {
        for _ in 0..ATTEMPTS {
            if let Some(deleted) = self.try_delete(id, load, now_ms).await? {
                return Ok(deleted);
            }
        }
        Err(lost(&format!("removal of meeting {id}")))
    }

    /// Redis expires a meeting's hash itself: what it still holds is live, whatever the time.
    async fn join_meeting(&self, meeting_id: &str, now_ms: i64) -> StoreResult<JoinTarget> {
        let server = match self.join_server(meeting_id, now_ms).await? {
            None => return Ok(JoinTarget::NoMeeting),
            Some(Some(server)) if server.accepts_joins() => server,
            Some(_) => return Ok(JoinTarget::Unavailable),
        };
        if let Some(load) = server.join_load() {
            self.joins.count(&self.conn, || self.keys.server_load(), &server.id, load);
        }
        Ok(JoinTarget::Server(server))
    }

    async fn record_poll(&self, server_id: &str, report: &PollReport) -> StoreResult<PollOutcome> {
        let batch = [(server_id.to_owned(), report.clone())];
        self.joins.forget(server_id);
        for _ in 0..ATTEMPTS {
            if let Some(Some(outcome)) = poll::record_batch(self, &POLL, &batch).await?.pop() {
                return Ok(outcome);
            }
        }
        Err(lost(&format!("poll of {server_id}")))
    }

    /// Batches of servers read and committed together; a server whose commit lost a race is recorded again alone.
    async fn record_polls(&self, reports: &[(String, PollReport)]) -> Vec<StoreResult<PollOutcome>> {
        let mut outcomes = Vec::with_capacity(reports.len());
        for batch in reports.chunks(poll::BATCH) {
            for (server_id, _) in batch {
                self.joins.forget(server_id);
            }
            match poll::record_batch(self, &POLL, batch).await {
                Ok(recorded) => {
                    for ((server_id, report), outcome) in batch.iter().zip(recorded) {
                        outcomes.push(match outcome {
                            Some(outcome) => Ok(outcome),
                            None => self.record_poll(server_id, report).await,
                        });
                    }
                }
                Err(error) => outcomes.extend(batch.iter().map(|_| Err(error.clone()))),
            }
        }
        outcomes
    }
}

#[async_trait]
impl LeaseStore for RedisStore {
    async fn acquire_lease(&self, name: &str, holder: &str, ttl_ms: i64, _now_ms: i64) -> StoreResult<bool> {
        let mut lease = ACQUIRE_LEASE.key(self.keys.lease(name));
        lease.arg(holder).arg(ttl_ms.max(1));
        let taken: i64 = self.conn().invoke(&lease).await.map_err(backend)?;
        Ok(taken == 1)
    }

    async fn release_lease(&self, name: &str, holder: &str) -> StoreResult<()> {
        let mut lease = RELEASE_LEASE.key(self.keys.lease(name));
        lease.arg(holder);
        let _: i64 = self.conn().invoke(&lease).await.map_err(backend)?;
        Ok(())
    }
}

#[async_trait]
impl TokenStore for RedisStore {
    async fn put_token(&self, token: &str, value: &str, ttl_ms: i64, _now_ms: i64) -> StoreResult<()> {
        let ttl = u64::try_from(ttl_ms).unwrap_or(0).max(1);
        self.conn().pset_ex(self.keys.token(token), value, ttl).await.map_err(backend)
    }

    async fn take_token(&self, token: &str, _now_ms: i64) -> StoreResult<Option<String>> {
        // GET and DEL in one MULTI, as upstream does (GETDEL needs Redis 6.2).
        let (value, _): (Option<String>, i64) = redis::pipe()
            .atomic()
            .get(self.keys.token(token))
            .del(self.keys.token(token))
            .query_async(&mut self.conn())
            .await
            .map_err(backend)?;
        Ok(value)
    }
}
