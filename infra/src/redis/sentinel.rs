//! The primary Sentinel names: asked of every sentinel at once on first use, and asked again once the
//! connection to it is given up (the primary died, or was demoted by a failover); and, when a write's replicas
//! do not acknowledge it, whether the sentinels have since named another primary.

use std::collections::HashMap;
use std::sync::{Mutex, PoisonError};
use std::time::{Duration, Instant};

use futures::future::{join_all, select_ok};
use redis::aio::{ConnectionManager, ConnectionManagerConfig};
use redis::sentinel::{SentinelClient, SentinelNodeConnectionInfo, SentinelServerType};
use redis::{
    ConnectionAddr, ConnectionInfo, ErrorKind, IntoConnectionInfo, RedisConnectionInfo, RedisError, RedisResult,
};
use scalelite_shared::config::RedisSentinel;

/// The longest one sentinel may take to name the primary (the library sets no timeout of its own).
const ASK_TIMEOUT: Duration = Duration::from_secs(1);

/// The least time between two rounds of questions to the sentinels while none names a reachable primary.
pub(crate) const ASK_PAUSE: Duration = Duration::from_millis(200);

/// The primary found last; `generation` counts the primaries found, so a caller gives up only the one it used.
struct Current {
    generation: u64,
    conn: Option<ConnectionManager>,
    /// Its address, `host:port` as the sentinels name it.
    address: String,
}

/// One sentinel: the client that finds the primary through it, and its address for other questions.
struct Sentinel {
    client: tokio::sync::Mutex<SentinelClient>,
    address: ConnectionInfo,
}

/// The sentinels and the connection to the primary they named.
pub(crate) struct Sentinels {
    /// One client per sentinel, so a sentinel that does not answer holds up no other.
    sentinels: Vec<Sentinel>,
    master: String,
    /// One round of questions at a time; when the last one failed, and why.
    asking: tokio::sync::Mutex<Option<(Instant, RedisError)>>,
    current: Mutex<Current>,
    manager: ConnectionManagerConfig,
}

impl Sentinels {
    /// The sentinels of `settings`; the primary is reached with the credentials and database of `node`. Nothing
    /// is asked before the first call.
    pub(crate) fn new(
        settings: &RedisSentinel,
        node: RedisConnectionInfo,
        manager: ConnectionManagerConfig,
    ) -> RedisResult<Self> {
        if settings.sentinels.is_empty() {
            return Err(RedisError::from((ErrorKind::EmptySentinelList, "REDIS_SENTINELS names no sentinel")));
        }
        let node = SentinelNodeConnectionInfo::default().set_redis_connection_info(node);
        let own = settings.password.as_ref().map_or_else(RedisConnectionInfo::default, |password| {
            RedisConnectionInfo::default().set_password(password)
        });
        let sentinels = settings
            .sentinels
            .iter()
            .map(|(host, port)| {
                let address =
                    ConnectionAddr::Tcp(host.clone(), *port).into_connection_info()?.set_redis_settings(own.clone());
                let client = SentinelClient::build(
                    vec![address.clone()],
                    settings.master.clone(),
                    Some(node.clone()),
                    SentinelServerType::Master,
                )?;
                Ok(Sentinel { client: tokio::sync::Mutex::new(client), address })
            })
            .collect::<RedisResult<_>>()?;
        Ok(Self {
            sentinels,
            master: settings.master.clone(),
            asking: tokio::sync::Mutex::new(None),
            current: Mutex::new(Current { generation: 0, conn: None, address: String::new() }),
            manager,
        })
    }

    /// The connection to the primary and its generation, asking the sentinels when there is none.
    pub(crate) async fn primary(&self) -> RedisResult<(u64, ConnectionManager)> {
        if let Some(found) = self.found() {
            return Ok(found);
        }
        let mut asking = self.asking.lock().await;
        if let Some(found) = self.found() {
            return Ok(found);
        }
        if let Some((at, error)) = asking.as_ref().filter(|(at, _)| at.elapsed() < ASK_PAUSE) {
            tracing::debug!(since = ?at.elapsed(), "no Redis primary yet");
            return Err(error.clone());
        }
        let client = match self.ask().await {
            Ok(client) => client,
            Err(error) => {
                *asking = Some((Instant::now(), error.clone()));
                return Err(error);
            }
        };
        *asking = None;
        let address = client.get_connection_info().addr().to_string();
        let conn = ConnectionManager::new_lazy_with_config(client, self.manager.clone())?;
        let mut current = self.current.lock().unwrap_or_else(PoisonError::into_inner);
        current.generation += 1;
        current.conn = Some(conn.clone());
        current.address.clone_from(&address);
        tracing::info!(master = %self.master, %address, generation = current.generation, "Redis primary found through Sentinel");
        Ok((current.generation, conn))
    }

    /// Gives up the connection of `generation` (unless a newer primary was found meanwhile): the next call asks
    /// the sentinels again.
    pub(crate) fn forget(&self, generation: u64, error: &dyn std::fmt::Display) {
        let mut current = self.current.lock().unwrap_or_else(PoisonError::into_inner);
        if current.generation == generation && current.conn.take().is_some() {
            tracing::warn!(master = %self.master, %error, "lost the Redis primary; asking the sentinels again");
        }
    }

    /// The connection of `generation` and its address, if that primary is still the one in use.
    pub(crate) fn connection(&self, generation: u64) -> Option<(ConnectionManager, String)> {
        let current = self.current.lock().unwrap_or_else(PoisonError::into_inner);
        let conn = current.conn.clone().filter(|_| current.generation == generation)?;
        Some((conn, current.address.clone()))
    }

    /// Whether the sentinels now name another server than `address`, the primary of `generation`; that primary
    /// is then given up. A primary that was frozen or cut off while the sentinels failed it over answers as
    /// primary again when it comes back, until they demote it and it copies the new primary, dropping what was
    /// written to it meanwhile. False when no sentinel answers: nothing says the write went astray.
    pub(crate) async fn replaced(&self, generation: u64, address: &str) -> bool {
        let Some(named) = self.named().await.filter(|named| named != address) else { return false };
        self.forget(generation, &format_args!("{address} was written to, but the sentinels now name {named}"));
        true
    }

    /// The primary's address as named by the sentinel that knows the latest failover (the highest configuration
    /// epoch) among those that answer within [`ASK_TIMEOUT`].
    async fn named(&self) -> Option<String> {
        let questions = self.sentinels.iter().map(|sentinel| async move {
            let ask = async {
                let mut conn =
                    redis::Client::open(sentinel.address.clone())?.get_multiplexed_async_connection().await?;
                let question = redis::cmd("SENTINEL").arg("MASTER").arg(&self.master).to_owned();
                question.query_async::<HashMap<String, String>>(&mut conn).await
            };
            let master = tokio::time::timeout(ASK_TIMEOUT, ask).await.ok()?.ok()?;
            let epoch: u64 = master.get("config-epoch")?.parse().ok()?;
            Some((epoch, format!("{}:{}", master.get("ip")?, master.get("port")?)))
        });
        join_all(questions).await.into_iter().flatten().max_by_key(|(epoch, _)| *epoch).map(|(_, address)| address)
    }

    fn found(&self) -> Option<(u64, ConnectionManager)> {
        let current = self.current.lock().unwrap_or_else(PoisonError::into_inner);
        current.conn.clone().map(|conn| (current.generation, conn))
    }

    /// The first primary a sentinel names and that answers as primary (the library checks its role).
    async fn ask(&self) -> RedisResult<redis::Client> {
        let questions = self.sentinels.iter().map(|sentinel| {
            Box::pin(async move {
                let mut sentinel = sentinel.client.lock().await;
                match tokio::time::timeout(ASK_TIMEOUT, sentinel.async_get_client()).await {
                    Ok(answer) => answer,
                    Err(_) => Err(RedisError::from((ErrorKind::Io, "the sentinel did not answer in time"))),
                }
            })
        });
        select_ok(questions).await.map(|(client, _)| client)
    }
}
