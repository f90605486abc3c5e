//! The Redis store: servers and meetings in upstream Scalelite's key layout, so an existing deployment's
//! Redis keeps working. A snapshot is read with the change counters of the servers it holds
//! (`server_version:<id>`); a plan is committed by one Lua script (a shared prelude plus the commit) that
//! first checks the snapshot still holds, and answers raced when it does not. The prelude's helpers move a
//! server's counter whenever they change the server, so no commit script can forget to (a test holds the
//! scripts to it); joins add their load outside the scripts without moving it, on purpose: a join changes
//! nothing a plan depends on. Scripts touch
//! keys named in their plan, so Redis Cluster is not supported: use a standalone server or Sentinel.

mod codec;
mod joins;
mod keys;
mod payload;
mod poll;
mod ports;
mod primary;
mod sentinel;
mod snapshot;
mod tenants;

use std::sync::{Arc, LazyLock};
use std::time::Duration;

use async_trait::async_trait;
use redis::aio::{ConnectionManager, ConnectionManagerConfig};
use redis::{AsyncCommands, FromRedisValue, IntoConnectionInfo, RedisConnectionInfo, Script};
use scalelite_shared::config::Config;
use scalelite_shared::domain::handle::HandleState;
use scalelite_shared::model::{Meeting, Server};
use scalelite_shared::store::{JoinSnapshot, LeaseStore, StoreError, StoreResult, TokenStore};
use serde_json::{Value, json};

use crate::coalesced_reads::CoalescedReads;
use crate::join_servers::JoinServers;
use joins::Joins;
use keys::Keys;
use primary::{Primary, Replication};
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
static REMOVE_SERVER: LazyLock<Script> = commit_script!("lua/remove_server.lua");
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

fn backend(error: redis::RedisError) -> StoreError {
    StoreError::Backend(error.to_string())
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
    /// Join reads of one meeting asked for at once, shared.
    join_reads: Arc<CoalescedReads<StoreResult<JoinSnapshot>>>,
    /// The domain's state of this handle (the store's clock as followed, the placement turn).
    handle: Arc<HandleState>,
}

impl RedisStore {
    /// A store on `url` that connects on first use and reconnects in the background, so a process that starts
    /// during an outage stays up (not ready); while Redis does not answer, calls fail within a second. Keys live
    /// under `namespace` (upstream's default is `scalelite`).
    pub async fn open(url: &str, namespace: &str) -> StoreResult<Self> {
        Self::open_direct(url, namespace, Replication::default())
    }

    /// The store the configuration names, if it names Redis: the primary at `REDIS_URL`, or the one the
    /// sentinels of `REDIS_SENTINELS` name (`REDIS_URL` then gives only its credentials and database); writes
    /// wait for `REDIS_WAIT_REPLICAS` replicas (and fail without them with `REDIS_WAIT_REPLICAS_REQUIRED`).
    pub fn from_config(config: &Config) -> StoreResult<Option<Self>> {
        let namespace = &config.redis_namespace;
        let replication =
            Replication { wanted: config.redis_wait_replicas, required: config.redis_wait_replicas_required };
        let Some(settings) = &config.redis_sentinel else {
            let url = config.redis_url.as_deref();
            return url.map(|url| Self::open_direct(url, namespace, replication)).transpose();
        };
        let node = match &config.redis_url {
            Some(url) => url.as_str().into_connection_info().map_err(backend)?.redis_settings().clone(),
            None => RedisConnectionInfo::default(),
        };
        let db = node.db();
        let sentinels = sentinel::Sentinels::new(settings, node, manager_config()).map_err(backend)?;
        let conn = Primary::sentinel(sentinels, settings.retry_timeout, db, replication);
        Ok(Some(Self {
            conn,
            keys: Keys { ns: namespace.to_owned() },
            joins: Arc::default(),
            join_servers: Arc::default(),
            join_reads: Arc::default(),
            handle: Arc::default(),
        }))
    }

    fn open_direct(url: &str, namespace: &str, replication: Replication) -> StoreResult<Self> {
        let client = redis::Client::open(url).map_err(backend)?;
        let db = client.get_connection_info().redis_settings().db();
        let conn = ConnectionManager::new_lazy_with_config(client, manager_config()).map_err(backend)?;
        let conn = Primary::direct(conn, db, replication);
        Ok(Self {
            conn,
            keys: Keys { ns: namespace.to_owned() },
            joins: Arc::default(),
            join_servers: Arc::default(),
            join_reads: Arc::default(),
            handle: Arc::default(),
        })
    }

    fn conn(&self) -> Primary {
        self.conn.clone()
    }

    /// Where a live meeting's joins go: its server is the one kept from an earlier join while its change counter
    /// has not moved, else read whole and kept.
    async fn join_snapshot(&self, meeting_id: &str, now_ms: i64) -> StoreResult<JoinSnapshot> {
        let Some((server_id, version)) = snapshot::join_probe(&mut self.conn(), &self.keys, meeting_id).await? else {
            return Ok(JoinSnapshot::NoMeeting);
        };
        if let Some(server) = version.and_then(|version| self.join_servers.get(&server_id, &version, now_ms)) {
            return Ok(JoinSnapshot::Placed(Some(server)));
        }
        // Read again whole: the meeting may have moved since the probe, so its answer stands on its own.
        let Some(read) = snapshot::join(&mut self.conn(), &self.keys, meeting_id).await? else {
            return Ok(JoinSnapshot::NoMeeting);
        };
        if let (Some(server), Some(version)) = (&read.server, &read.version) {
            self.join_servers.put(&server.id, version.clone(), server, i64::MAX);
        }
        Ok(JoinSnapshot::Placed(read.server))
    }

    async fn commit<T: FromRedisValue>(&self, script: &Script, plan: &Value) -> StoreResult<T> {
        self.conn().write_script(&script.arg(plan.to_string())).await.map_err(backend)
    }

    /// Server `id`'s change counter (`"0"` when it never had one), whether or not the server is there.
    async fn counter(&self, id: &str) -> StoreResult<String> {
        let counter: Option<String> = self.conn().get(self.keys.server_version(id)).await.map_err(backend)?;
        Ok(counter.unwrap_or_else(|| "0".to_owned()))
    }

    /// Tenant `tenant_id`'s change counter (`"0"` when it never had one).
    async fn tenant_counter(&self, tenant_id: &str) -> StoreResult<String> {
        let counter: Option<String> = self.conn().get(self.keys.tenant_version(tenant_id)).await.map_err(backend)?;
        Ok(counter.unwrap_or_else(|| "0".to_owned()))
    }

    /// The live meetings in tenant `tenant_id`'s index.
    async fn tenant_meetings(&self, tenant_id: &str) -> StoreResult<Vec<Meeting>> {
        let ids: Vec<String> = self.conn().smembers(self.keys.tenant_meetings(tenant_id)).await.map_err(backend)?;
        let ids: Vec<&str> = ids.iter().map(String::as_str).collect();
        let meetings = snapshot::meetings(&mut self.conn(), &self.keys, &ids).await?;
        Ok(meetings.into_iter().flatten().filter(|m| m.tenant_id == tenant_id).collect())
    }

    async fn versioned(&self, id: &str) -> StoreResult<Option<Versioned>> {
        snapshot::server(&mut self.conn(), &self.keys, id).await
    }

    async fn read_meeting(&self, id: &str) -> StoreResult<Option<Meeting>> {
        Ok(snapshot::meetings(&mut self.conn(), &self.keys, &[id]).await?.pop().flatten())
    }

    async fn save_server(&self, server: &Server, must: &str, version: &str) -> StoreResult<String> {
        let plan = json!({ "server": payload::server(&self.keys, server), "must": must, "version": version });
        self.commit(&SAVE_SERVER, &plan).await
    }
}

#[async_trait]
impl LeaseStore for RedisStore {
    async fn acquire_lease(&self, name: &str, holder: &str, ttl_ms: i64) -> StoreResult<bool> {
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
}

#[cfg(test)]
mod tests {
    /// The commit scripts besides the prelude.
    const SCRIPTS: [(&str, &str); 6] = [
        ("place", include_str!("lua/place.lua")),
        ("forget", include_str!("lua/forget.lua")),
        ("confirm", include_str!("lua/confirm.lua")),
        ("poll", include_str!("lua/poll.lua")),
        ("save_server", include_str!("lua/save_server.lua")),
        ("remove_server", include_str!("lua/remove_server.lua")),
    ];

    /// Commands that change a server's load, state sets or counters: only the prelude's helpers
    /// (`write_server`, `forget_server`, `add_load`) may call them, and they move the server's counter.
    const SERVER_WRITES: [&str; 5] = ["'INCR'", "'ZADD'", "'ZINCRBY'", "'ZREM'", "s.key"];

    #[test]
    fn commit_scripts_change_servers_only_through_the_prelude() {
        for (name, script) in SCRIPTS {
            for write in SERVER_WRITES {
                assert!(!script.contains(write), "{name}.lua writes {write} itself: use the prelude's helpers");
            }
        }
        let prelude = include_str!("lua/prelude.lua");
        let body = |helper: &str| {
            let body = prelude.split(&format!("local function {helper}(")).nth(1).expect("the helper is defined");
            body.split("\nend").next().unwrap_or_default().to_owned()
        };
        assert!(body("move_on").contains("'INCR', key"), "move_on moves a change counter");
        for helper in ["write_server", "forget_server", "add_load"] {
            assert!(body(helper).contains("move_on("), "{helper} must move the server's change counter");
        }
        for helper in ["write_meeting", "forget"] {
            assert!(body(helper).contains("index_in_tenant(m"), "{helper} must move the tenant's change counter");
        }
        assert!(body("index_in_tenant").contains("move_on(m.tenant_version)"));
    }
}
