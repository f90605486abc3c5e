//! The primary Sentinel names: asked of every sentinel at once on first use, and asked again once the
//! connection to it is given up (the primary died, or was demoted by a failover).

use std::sync::{Mutex, PoisonError};
use std::time::{Duration, Instant};

use futures::future::select_ok;
use redis::aio::{ConnectionManager, ConnectionManagerConfig};
use redis::sentinel::{SentinelClient, SentinelNodeConnectionInfo, SentinelServerType};
use redis::{ConnectionAddr, ErrorKind, IntoConnectionInfo, RedisConnectionInfo, RedisError, RedisResult};
use scalelite_shared::config::RedisSentinel;

/// The longest one sentinel may take to name the primary (the library sets no timeout of its own).
const ASK_TIMEOUT: Duration = Duration::from_secs(1);

/// The least time between two rounds of questions to the sentinels while none names a reachable primary.
pub(crate) const ASK_PAUSE: Duration = Duration::from_millis(200);

/// The primary found last; `generation` counts the primaries found, so a caller gives up only the one it used.
struct Current {
    generation: u64,
    conn: Option<ConnectionManager>,
}

/// The sentinels and the connection to the primary they named.
pub(crate) struct Sentinels {
    /// One client per sentinel, so a sentinel that does not answer holds up no other.
    sentinels: Vec<tokio::sync::Mutex<SentinelClient>>,
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
                    vec![address],
                    settings.master.clone(),
                    Some(node.clone()),
                    SentinelServerType::Master,
                )?;
                Ok(tokio::sync::Mutex::new(client))
            })
            .collect::<RedisResult<_>>()?;
        Ok(Self {
            sentinels,
            master: settings.master.clone(),
            asking: tokio::sync::Mutex::new(None),
            current: Mutex::new(Current { generation: 0, conn: None }),
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
        tracing::info!(master = %self.master, %address, generation = current.generation, "Redis primary found through Sentinel");
        Ok((current.generation, conn))
    }

    /// Gives up the connection of `generation` (unless a newer primary was found meanwhile): the next call asks
    /// the sentinels again.
    pub(crate) fn forget(&self, generation: u64, error: &RedisError) {
        let mut current = self.current.lock().unwrap_or_else(PoisonError::into_inner);
        if current.generation == generation && current.conn.take().is_some() {
            tracing::warn!(master = %self.master, %error, "lost the Redis primary; asking the sentinels again");
        }
    }

    /// The connection of `generation`, if that primary is still the one in use.
    pub(crate) fn connection(&self, generation: u64) -> Option<ConnectionManager> {
        self.found().filter(|(current, _)| *current == generation).map(|(_, conn)| conn)
    }

    fn found(&self) -> Option<(u64, ConnectionManager)> {
        let current = self.current.lock().unwrap_or_else(PoisonError::into_inner);
        current.conn.clone().map(|conn| (current.generation, conn))
    }

    /// The first primary a sentinel names and that answers as primary (the library checks its role).
    async fn ask(&self) -> RedisResult<redis::Client> {
        let questions = self.sentinels.iter().map(|sentinel| {
            Box::pin(async move {
                let mut sentinel = sentinel.lock().await;
                match tokio::time::timeout(ASK_TIMEOUT, sentinel.async_get_client()).await {
                    Ok(answer) => answer,
                    Err(_) => Err(RedisError::from((ErrorKind::Io, "the sentinel did not answer in time"))),
                }
            })
        });
        select_ok(questions).await.map(|(client, _)| client)
    }
}
