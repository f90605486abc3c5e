//! The Redis store: servers and meetings in upstream Scalelite's key layout, so an existing deployment's
//! Redis keeps working. Multi-key changes are Lua scripts: a placement picks the least loaded of the servers
//! the tag rules allow and reserves its load in one script; a poll computed in Rust is applied only if the
//! server's health and placed meetings are unchanged (and recomputed otherwise). Scripts touch keys they
//! compute, so Redis Cluster is not supported: use a standalone server or Sentinel.

mod codec;
mod keys;
mod tenants;

use std::collections::{HashMap, HashSet};
use std::sync::LazyLock;

use async_trait::async_trait;
use futures::future::try_join_all;
use redis::aio::ConnectionManager;
use redis::{AsyncCommands, Script};
use scalelite_shared::balance::choice::{Candidate, NoChoice, eligible};
use scalelite_shared::balance::health::{Health, Verdict, step};
use scalelite_shared::balance::load::{polled_load, stats};
use scalelite_shared::clock::now_ms;
use scalelite_shared::model::{Meeting, Server, ServerState, ServerUpdate};
use scalelite_shared::store::{
    JoinTarget, MeetingStore, PlaceError, Placed, Placement, PollOutcome, PollReport, StoreError, StoreResult,
};

use codec::ServerParts;
use keys::Keys;

static SAVE_SERVER: LazyLock<Script> = LazyLock::new(|| Script::new(include_str!("lua/save_server.lua")));
static DESTROY_MEETING: LazyLock<Script> = LazyLock::new(|| Script::new(include_str!("lua/destroy_meeting.lua")));
static RESERVE: LazyLock<Script> = LazyLock::new(|| Script::new(include_str!("lua/reserve.lua")));
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
static RECORD_POLL: LazyLock<Script> = LazyLock::new(|| Script::new(include_str!("lua/record_poll.lua")));

/// How often a placement or a poll is recomputed when a concurrent change got in first.
const ATTEMPTS: usize = 64;

fn backend(error: redis::RedisError) -> StoreError {
    StoreError::Backend(error.to_string())
}

/// The Redis-backed store; cheap to clone (one multiplexed, self-reconnecting connection).
#[derive(Clone)]
pub struct RedisStore {
    conn: ConnectionManager,
    keys: Keys,
}

impl RedisStore {
    /// Connects to `url`; keys live under `namespace` (upstream's default is `scalelite`).
    pub async fn open(url: &str, namespace: &str) -> StoreResult<Self> {
        let client = redis::Client::open(url).map_err(backend)?;
        let conn = ConnectionManager::new(client).await.map_err(backend)?;
        Ok(Self { conn, keys: Keys { ns: namespace.to_owned() } })
    }

    fn conn(&self) -> ConnectionManager {
        self.conn.clone()
    }

    async fn read_meeting(&self, id: &str) -> StoreResult<Option<Meeting>> {
        let (hash, pttl): (HashMap<String, String>, i64) = redis::pipe()
            .hgetall(self.keys.meeting(id))
            .pttl(self.keys.meeting(id))
            .query_async(&mut self.conn())
            .await
            .map_err(backend)?;
        Ok(codec::meeting(id, &hash, pttl, now_ms()))
    }

    /// The meetings scalelite-rs placed on a server (its own index).
    async fn indexed_meetings(&self, server_id: &str) -> StoreResult<Vec<Meeting>> {
        let ids: Vec<String> = self.conn().smembers(self.keys.server_meetings(server_id)).await.map_err(backend)?;
        let meetings = try_join_all(ids.iter().map(|id| self.read_meeting(id))).await?;
        Ok(meetings.into_iter().flatten().filter(|m| m.server_id == server_id).collect())
    }

    async fn save_server(&self, server: &Server, must: &str) -> StoreResult<bool> {
        let saved: i64 = SAVE_SERVER
            .arg(&self.keys.ns)
            .arg(&server.id)
            .arg(must)
            .arg(&server.url)
            .arg(&server.secret)
            .arg(server.tag.as_deref().unwrap_or(""))
            .arg(server.state.as_str())
            .arg(server.load_multiplier_text())
            .invoke_async(&mut self.conn())
            .await
            .map_err(backend)?;
        Ok(saved == 1)
    }

    /// The servers that may take new meetings: in `server_load` and online.
    async fn candidates(&self) -> StoreResult<Vec<Candidate>> {
        let scored: Vec<(String, f64)> = redis::cmd("ZRANGE")
            .arg(self.keys.server_load())
            .arg(0)
            .arg(-1)
            .arg("WITHSCORES")
            .query_async(&mut self.conn())
            .await
            .map_err(backend)?;
        let fields = try_join_all(scored.iter().map(|(id, _)| async move {
            let fields: (Option<String>, Option<String>) = redis::cmd("HMGET")
                .arg(self.keys.server(id))
                .arg("tag")
                .arg("online")
                .query_async(&mut self.conn())
                .await
                .map_err(backend)?;
            Ok::<_, StoreError>(fields)
        }))
        .await?;
        Ok(scored
            .into_iter()
            .zip(fields)
            .filter(|(_, (_, online))| online.as_deref() == Some("true"))
            .map(|((id, load), (tag, _))| Candidate { id, tag: tag.filter(|t| !t.is_empty()), load })
            .collect())
    }

    async fn destroy(&self, id: &str) -> StoreResult<Option<Meeting>> {
        let fields: Vec<String> =
            DESTROY_MEETING.arg(&self.keys.ns).arg(id).invoke_async(&mut self.conn()).await.map_err(backend)?;
        let hash: HashMap<String, String> =
            fields.chunks_exact(2).map(|pair| (pair[0].clone(), pair[1].clone())).collect();
        Ok(codec::meeting(id, &hash, -1, now_ms()))
    }
}

#[async_trait]
impl MeetingStore for RedisStore {
    async fn servers(&self) -> StoreResult<Vec<Server>> {
        let mut ids: Vec<String> = self.conn().smembers(self.keys.servers()).await.map_err(backend)?;
        ids.sort();
        let servers = try_join_all(ids.iter().map(|id| self.server(id))).await?;
        Ok(servers.into_iter().flatten().collect())
    }

    async fn server(&self, id: &str) -> StoreResult<Option<Server>> {
        let keys = &self.keys;
        let (member, hash, load, cordoned_load, in_enabled_set, health): (
            bool,
            HashMap<String, String>,
            Option<f64>,
            Option<f64>,
            bool,
            HashMap<String, String>,
        ) = redis::pipe()
            .sismember(keys.servers(), id)
            .hgetall(keys.server(id))
            .zscore(keys.server_load(), id)
            .zscore(keys.cordoned_server_load(), id)
            .sismember(keys.server_enabled(), id)
            .hgetall(keys.health(id))
            .query_async(&mut self.conn())
            .await
            .map_err(backend)?;
        if !member || hash.is_empty() {
            return Ok(None);
        }
        Ok(Some(codec::server(id, ServerParts { hash, load, cordoned_load, in_enabled_set, health })))
    }

    async fn add_server(&self, server: &Server) -> StoreResult<()> {
        if self.save_server(server, "new").await? {
            Ok(())
        } else {
            Err(StoreError::Conflict(format!("server {}", server.id)))
        }
    }

    async fn update_server(&self, id: &str, update: &ServerUpdate) -> StoreResult<Option<Server>> {
        let Some(mut server) = self.server(id).await? else {
            return Ok(None);
        };
        update.apply(&mut server);
        if !self.save_server(&server, "existing").await? {
            return Ok(None);
        }
        self.server(id).await
    }

    async fn delete_server(&self, id: &str) -> StoreResult<bool> {
        let keys = &self.keys;
        let (removed,): (i64,) = redis::pipe()
            .atomic()
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
            .query_async(&mut self.conn())
            .await
            .map_err(backend)?;
        Ok(removed > 0)
    }

    async fn record_poll(&self, server_id: &str, report: &PollReport) -> StoreResult<PollOutcome> {
        for _ in 0..ATTEMPTS {
            let Some(server) = self.server(server_id).await? else {
                return Ok(PollOutcome::default());
            };
            let (health, verdict) = step(Health::from(&server), report.meetings.is_some(), report.health);
            let placed = self.indexed_meetings(server_id).await?;
            let reported = report.meetings.as_deref().unwrap_or_default();
            let running: HashSet<&str> = reported.iter().map(|m| m.meeting_id.as_str()).collect();
            let (ended, live): (Vec<Meeting>, Vec<Meeting>) = placed
                .iter()
                .cloned()
                .partition(|m| !running.contains(m.id.as_str()) && m.created_at_ms < report.started_at_ms);
            let load = polled_load(reported, &live, server.load_multiplier, &report.load, now_ms());
            let figures = stats(reported);

            let mut script = RECORD_POLL.prepare_invoke();
            script
                .arg(&self.keys.ns)
                .arg(server_id)
                .arg(if server.online { "true" } else { "false" })
                .arg(server.healthy_counter)
                .arg(server.unhealthy_counter)
                .arg(match verdict {
                    Verdict::Apply => "apply",
                    Verdict::Hold => "hold",
                    Verdict::GoOffline => "offline",
                })
                .arg(if health.online { "true" } else { "false" })
                .arg(health.healthy_counter)
                .arg(health.unhealthy_counter)
                .arg(report.ttl_ms)
                .arg(load.to_string())
                .arg(figures.meetings)
                .arg(figures.users)
                .arg(figures.largest_meeting)
                .arg(figures.videos)
                .arg(placed.len());
            for meeting in &placed {
                script.arg(&meeting.id);
            }
            script.arg(ended.len());
            for meeting in &ended {
                script.arg(&meeting.id);
            }
            script.arg(running.len());
            for id in &running {
                script.arg(*id);
            }
            let result: Vec<String> = script.invoke_async(&mut self.conn()).await.map_err(backend)?;
            match result.first().map(String::as_str) {
                Some("retry") => continue,
                Some("ok") => {}
                _ => return Ok(PollOutcome::default()),
            }
            let released = result[2..]
                .chunks_exact(2)
                .map(|pair| Meeting {
                    id: pair[0].clone(),
                    server_id: server_id.to_owned(),
                    moderator_pw: pair[1].clone(),
                    voice_bridge: String::new(),
                    tenant_id: String::new(),
                    reserved_load: 0.0,
                    created_at_ms: 0,
                    expires_at_ms: 0,
                })
                .collect();
            let after = self.server(server_id).await?;
            return Ok(PollOutcome {
                online: health.online,
                load: after.as_ref().and_then(|s| s.load),
                released,
                ended: if verdict == Verdict::Apply { ended.into_iter().map(|m| m.id).collect() } else { Vec::new() },
                drained: result.get(1).is_some_and(|d| d == "1"),
            });
        }
        Err(StoreError::Backend(format!("poll of {server_id} kept racing with other changes")))
    }

    async fn meeting(&self, id: &str) -> StoreResult<Option<Meeting>> {
        self.read_meeting(id).await
    }

    /// Every meeting on the server, including those an upstream deployment placed (a scan of `meetings`).
    async fn meetings_on(&self, server_id: &str) -> StoreResult<Vec<Meeting>> {
        let ids: Vec<String> = self.conn().smembers(self.keys.meetings()).await.map_err(backend)?;
        let meetings = try_join_all(ids.iter().map(|id| self.read_meeting(id))).await?;
        let mut on_server: Vec<Meeting> = meetings.into_iter().flatten().filter(|m| m.server_id == server_id).collect();
        on_server.sort_by(|a, b| a.id.cmp(&b.id));
        Ok(on_server)
    }

    async fn place_meeting(&self, placement: &Placement) -> Result<Placed, PlaceError> {
        for _ in 0..ATTEMPTS {
            let mut replace = None;
            if let Some(meeting) = self.read_meeting(&placement.meeting_id).await? {
                if meeting.tenant_id != placement.tenant_id {
                    return Err(PlaceError::OtherTenant);
                }
                match self.server(&meeting.server_id).await? {
                    Some(server) if server.accepts_joins() => return Ok(Placed::Existing { meeting, server }),
                    _ => replace = Some(meeting),
                }
            }
            let candidates = self.candidates().await?;
            let mut eligible: Vec<&str> = eligible(&candidates, &placement.tags)
                .map_err(|reason| match reason {
                    NoChoice::NoServer => PlaceError::NoServer,
                    NoChoice::TagUnavailable(tags) => PlaceError::TagUnavailable(tags),
                })?
                .into_iter()
                .map(|c| c.id.as_str())
                .collect();
            eligible.sort_unstable();

            let mut script = RESERVE.prepare_invoke();
            script
                .arg(&self.keys.ns)
                .arg(&placement.meeting_id)
                .arg(&placement.tenant_id)
                .arg(&placement.moderator_pw)
                .arg(placement.now_ms.saturating_add(placement.ttl_ms))
                .arg(placement.now_ms)
                .arg(placement.load.min_user_count.to_string())
                .arg(replace.as_ref().map_or("", |m| m.server_id.as_str()))
                .arg(eligible.len());
            for id in &eligible {
                script.arg(*id);
            }
            for number in &placement.voice_bridges {
                script.arg(number);
            }
            let result: Vec<String> = script.invoke_async(&mut self.conn()).await.map_err(backend)?;
            match (result.first().map(String::as_str), result.get(1), result.get(2), result.get(3)) {
                (Some("ok"), Some(server_id), Some(voice_bridge), Some(reserved)) => {
                    let Some(server) = self.server(server_id).await? else { continue };
                    let meeting = Meeting {
                        id: placement.meeting_id.clone(),
                        server_id: server_id.clone(),
                        moderator_pw: placement.moderator_pw.clone(),
                        voice_bridge: voice_bridge.clone(),
                        tenant_id: placement.tenant_id.clone(),
                        reserved_load: reserved.parse().unwrap_or(0.0),
                        created_at_ms: placement.now_ms,
                        expires_at_ms: placement.now_ms.saturating_add(placement.ttl_ms),
                    };
                    return Ok(Placed::New { meeting, server, replaced: replace });
                }
                (Some("exhausted"), ..) => return Err(PlaceError::VoiceBridgeExhausted),
                _ => continue,
            }
        }
        Err(StoreError::Backend("placement kept racing with other changes".into()).into())
    }

    async fn delete_meeting(&self, id: &str) -> StoreResult<Option<Meeting>> {
        self.destroy(id).await
    }

    async fn join_meeting(&self, meeting_id: &str) -> StoreResult<JoinTarget> {
        let Some(meeting) = self.read_meeting(meeting_id).await? else {
            return Ok(JoinTarget::NoMeeting);
        };
        let server = match self.server(&meeting.server_id).await? {
            Some(server) if server.accepts_joins() => server,
            _ => return Ok(JoinTarget::Unavailable),
        };
        let set = match server.state {
            ServerState::Cordoned => self.keys.cordoned_server_load(),
            _ => self.keys.server_load(),
        };
        // Only a server whose load is known (a member of its set) counts the join, as upstream does.
        let _: Option<f64> = redis::cmd("ZADD")
            .arg(set)
            .arg("XX")
            .arg("INCR")
            .arg(server.load_multiplier)
            .arg(&server.id)
            .query_async(&mut self.conn())
            .await
            .map_err(backend)?;
        Ok(JoinTarget::Server(server))
    }

    async fn acquire_lease(&self, name: &str, holder: &str, ttl_ms: i64) -> StoreResult<bool> {
        let taken: i64 = ACQUIRE_LEASE
            .key(self.keys.lease(name))
            .arg(holder)
            .arg(ttl_ms.max(1))
            .invoke_async(&mut self.conn())
            .await
            .map_err(backend)?;
        Ok(taken == 1)
    }

    async fn release_lease(&self, name: &str, holder: &str) -> StoreResult<()> {
        let _: i64 = RELEASE_LEASE
            .key(self.keys.lease(name))
            .arg(holder)
            .invoke_async(&mut self.conn())
            .await
            .map_err(backend)?;
        Ok(())
    }

    async fn put_token(&self, token: &str, value: &str, ttl_ms: i64) -> StoreResult<()> {
        let ttl = u64::try_from(ttl_ms).unwrap_or(0).max(1);
        self.conn().pset_ex(self.keys.token(token), value, ttl).await.map_err(backend)
    }

    async fn take_token(&self, token: &str) -> StoreResult<Option<String>> {
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

    async fn ping(&self) -> StoreResult<()> {
        let _: String = redis::cmd("PING").query_async(&mut self.conn()).await.map_err(backend)?;
        Ok(())
    }
}
