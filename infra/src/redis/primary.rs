//! The connection to the Redis primary: the one `REDIS_URL` names, or the one Sentinel names, followed through a
//! failover with each call retried for a bounded time; and, after a write, the wait for replicas (`WAIT`), which
//! runs the write again on the new primary when the one written to turns out to have been replaced.

use std::sync::Arc;
use std::time::{Duration, Instant};

use redis::aio::{ConnectionLike, ConnectionManager};
use redis::{
    Cmd, ErrorKind, FromRedisValue, Pipeline, RedisError, RedisFuture, RedisResult, ScriptInvocation, ServerErrorKind,
    Value,
};

use super::sentinel::{ASK_PAUSE, Sentinels};

/// The longest a write waits for its replicas (below the one-second response timeout).
const REPLICA_WAIT: Duration = Duration::from_millis(500);

/// After the replicas did not acknowledge in time, how long writes do not wait for them, so a replica that is down
/// does not cost every write half a second (`WAIT` also holds up the calls behind it on the shared connection).
const REPLICA_REST: Duration = Duration::from_secs(5);

/// What writes wait for.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct Replication {
    /// Replicas a write waits for (`REDIS_WAIT_REPLICAS`); none: writes do not wait.
    pub wanted: usize,
    /// A write they did not acknowledge fails the call (`REDIS_WAIT_REPLICAS_REQUIRED`) instead of standing.
    pub required: bool,
}

enum Link {
    Direct(ConnectionManager),
    /// Through Sentinel: a call that finds the primary gone asks for the new one, for `retry_timeout` at most.
    Sentinel {
        sentinels: Box<Sentinels>,
        retry_timeout: Duration,
    },
}

/// A connection to the primary, cheap to clone; a [`ConnectionLike`], so commands, pipelines and scripts run on it.
#[derive(Clone)]
pub(crate) struct Primary {
    link: Arc<Link>,
    replicas: Arc<Replicas>,
    db: i64,
    /// The generation of the primary this clone's last call ran on (always 0 for a direct connection).
    used: u64,
}

impl Primary {
    /// The primary at a fixed address.
    pub(crate) fn direct(conn: ConnectionManager, db: i64, replication: Replication) -> Self {
        Self::new(Link::Direct(conn), db, replication)
    }

    /// The primary `sentinels` name.
    pub(crate) fn sentinel(sentinels: Sentinels, retry_timeout: Duration, db: i64, replication: Replication) -> Self {
        Self::new(Link::Sentinel { sentinels: Box::new(sentinels), retry_timeout }, db, replication)
    }

    fn new(link: Link, db: i64, replication: Replication) -> Self {
        let replicas = Arc::new(Replicas { replication, state: tokio::sync::Mutex::new(Waited::default()) });
        Self { link: Arc::new(link), replicas, db, used: 0 }
    }

    /// How long a write may keep trying: without Sentinel, one wait for the replicas.
    fn retry_timeout(&self) -> Duration {
        match &*self.link {
            Link::Direct(_) => REPLICA_WAIT,
            Link::Sentinel { retry_timeout, .. } => *retry_timeout,
        }
    }

    /// Runs a script. A failover between loading it and running it finds the new primary without it: it is
    /// loaded there too.
    pub(crate) async fn invoke<T: FromRedisValue>(&mut self, script: &ScriptInvocation<'_>) -> RedisResult<T> {
        match script.invoke_async(self).await {
            Err(error) if error.kind() == ErrorKind::Server(ServerErrorKind::NoScript) => {
                script.invoke_async(self).await
            }
            done => done,
        }
    }

    /// Runs a script that writes, then waits for the replicas.
    pub(crate) async fn write_script<T: FromRedisValue>(&mut self, script: &ScriptInvocation<'_>) -> RedisResult<T> {
        self.written(Write::Script(script)).await
    }

    /// Runs a pipeline that writes, then waits for the replicas.
    pub(crate) async fn write<T: FromRedisValue>(&mut self, pipe: &Pipeline) -> RedisResult<T> {
        self.written(Write::Pipeline(pipe)).await
    }

    /// Makes `write`, then waits for the replicas; makes it again on the new primary, until the retry timeout,
    /// while the one written to turns out to have been replaced (what was written there is lost, so a second run
    /// counts nothing twice; a commit checks what it was planned from there, as anywhere).
    async fn written<T: FromRedisValue>(&mut self, write: Write<'_, '_>) -> RedisResult<T> {
        let give_up = Instant::now() + self.retry_timeout();
        loop {
            let reply = match write {
                Write::Script(script) => self.invoke(script).await?,
                Write::Pipeline(pipe) => pipe.query_async(self).await?,
            };
            match self.replicated(give_up).await? {
                Written::Kept => return Ok(reply),
                Written::Astray if Instant::now() < give_up => {}
                Written::Astray => return Err(lost("the Redis primary written to was replaced")),
            }
        }
    }

    /// Waits, half a second at most, until the last write reached the replicas wanted, on the primary it was made
    /// on. Fails when that primary was lost meanwhile: the write may not have survived the failover. When the
    /// replicas do not acknowledge in time, the sentinels are asked whether that primary was replaced (the write
    /// went astray); if not, the write stands, is logged, and writes stop waiting for a while, or, when
    /// acknowledgements are required, it is waited for until `give_up` and then fails.
    async fn replicated(&mut self, give_up: Instant) -> RedisResult<Written> {
        let replicas = self.replicas.clone();
        let Replication { wanted, required } = replicas.replication;
        if wanted == 0 {
            return Ok(Written::Kept);
        }
        let written = Instant::now();
        let generation = self.used;
        let (mut conn, address) = match &*self.link {
            Link::Direct(conn) => (conn.clone(), None),
            Link::Sentinel { sentinels, .. } => {
                let (conn, address) = sentinels
                    .connection(generation)
                    .ok_or_else(|| lost("the Redis primary was lost before a write reached a replica"))?;
                (conn, Some((sentinels, address)))
            }
        };
        let mut state = replicas.state.lock().await;
        // The last acknowledged `WAIT` was sent after this write, or writes to this primary rest.
        let covers = |waited: Option<(u64, Instant)>| waited.is_some_and(|(g, at)| g == generation && at >= written);
        if covers(state.acknowledged) || (!required && covers(state.resting_until)) {
            return Ok(Written::Kept);
        }
        loop {
            let sent = Instant::now();
            // Required acknowledgements are waited for up to `give_up`, no longer; 0 would wait for ever.
            let patience = if required {
                give_up.saturating_duration_since(sent).clamp(Duration::from_millis(1), REPLICA_WAIT)
            } else {
                REPLICA_WAIT
            };
            let wait = redis::cmd("WAIT").arg(wanted).arg(patience.as_millis() as u64).to_owned();
            let reached: usize = wait.query_async(&mut conn).await?;
            if reached >= wanted {
                state.acknowledged = Some((generation, sent));
                return Ok(Written::Kept);
            }
            if let Some((sentinels, address)) = &address
                && sentinels.replaced(generation, address).await
            {
                return Ok(Written::Astray);
            }
            if !required {
                tracing::warn!(reached, wanted, "Redis replicas did not acknowledge a write in time");
                state.resting_until = Some((generation, Instant::now() + REPLICA_REST));
                return Ok(Written::Kept);
            }
            if Instant::now() >= give_up {
                tracing::warn!(reached, wanted, "Redis replicas did not acknowledge a write; the call fails");
                return Err(lost("no Redis replica acknowledged the write"));
            }
        }
    }

    /// Sends `request`; through Sentinel, a lost primary is found again and the request sent there, until the
    /// retry timeout. Answers the primary's generation with the reply.
    async fn run<R: Request + Sync>(&self, request: &R) -> RedisResult<(u64, R::Reply)> {
        let (sentinels, retry_timeout) = match &*self.link {
            Link::Direct(conn) => return Ok((0, request.send(&mut conn.clone()).await?)),
            Link::Sentinel { sentinels, retry_timeout } => (sentinels, *retry_timeout),
        };
        let give_up = Instant::now() + retry_timeout;
        loop {
            let error = match sentinels.primary().await {
                Ok((generation, mut conn)) => match request.send(&mut conn).await {
                    Ok(reply) => return Ok((generation, reply)),
                    Err(error) if primary_lost(&error) => {
                        sentinels.forget(generation, &error);
                        error
                    }
                    Err(error) => return Err(error),
                },
                Err(error) => error,
            };
            if !primary_lost(&error) || Instant::now() + ASK_PAUSE > give_up {
                return Err(error);
            }
            tokio::time::sleep(ASK_PAUSE).await;
        }
    }
}

/// A write that may be lost, or that no replica has: the call fails with the documented error.
fn lost(what: &'static str) -> RedisError {
    RedisError::from((ErrorKind::Io, what))
}

/// The error says the primary is gone, not reachable, or no longer primary (a replica refuses writes with
/// `READONLY`): worth finding it again. A call whose reply was lost may so run twice: a commit checks what it
/// was planned from, so its second run finds the change made and is planned again; a join's load increment may
/// count twice until the next poll.
fn primary_lost(error: &RedisError) -> bool {
    match error.kind() {
        ErrorKind::AuthenticationFailed | ErrorKind::InvalidClientConfig | ErrorKind::EmptySentinelList => false,
        ErrorKind::Io | ErrorKind::MasterNameNotFoundBySentinel => true,
        ErrorKind::Server(
            ServerErrorKind::ReadOnly
            | ServerErrorKind::MasterDown
            | ServerErrorKind::BusyLoading
            | ServerErrorKind::TryAgain,
        ) => true,
        // A transaction a replica refused: its queued writes answered READONLY.
        ErrorKind::Server(ServerErrorKind::ExecAbort) => error
            .clone()
            .into_server_errors()
            .is_some_and(|errors| errors.iter().any(|(_, error)| error.kind() == Some(ServerErrorKind::ReadOnly))),
        // A primary that lost its replicas and refuses writes (`min-replicas-to-write`) may be on its way out.
        _ if error.code() == Some("NOREPLICAS") => true,
        _ => error.is_unrecoverable_error(),
    }
}

/// A write, as the store makes it.
#[derive(Clone, Copy)]
enum Write<'a, 'b> {
    Script(&'a ScriptInvocation<'b>),
    Pipeline(&'a Pipeline),
}

/// How a write's wait for replicas ended.
enum Written {
    /// The write stands.
    Kept,
    /// The write went to a primary the sentinels have replaced: it is lost and must be made again.
    Astray,
}

/// What writes wait for, and how the last wait went.
struct Replicas {
    replication: Replication,
    /// One `WAIT` at a time: it covers every write before it, so callers behind it rarely need their own.
    state: tokio::sync::Mutex<Waited>,
}

#[derive(Default)]
struct Waited {
    /// The primary and the time the last `WAIT` the replicas acknowledged was sent.
    acknowledged: Option<(u64, Instant)>,
    /// The primary whose writes do not wait before this time.
    resting_until: Option<(u64, Instant)>,
}

/// A request as sent on a connection: a command, or a pipeline's commands.
trait Request {
    type Reply;
    fn send<'a>(&'a self, conn: &'a mut ConnectionManager) -> RedisFuture<'a, Self::Reply>;
}

impl Request for Cmd {
    type Reply = Value;
    fn send<'a>(&'a self, conn: &'a mut ConnectionManager) -> RedisFuture<'a, Value> {
        conn.req_packed_command(self)
    }
}

/// The part of a pipeline a caller asked for.
struct Packed<'a>(&'a Pipeline, usize, usize);

impl Request for Packed<'_> {
    type Reply = Vec<Value>;
    fn send<'a>(&'a self, conn: &'a mut ConnectionManager) -> RedisFuture<'a, Vec<Value>> {
        conn.req_packed_commands(self.0, self.1, self.2)
    }
}

impl ConnectionLike for Primary {
    fn req_packed_command<'a>(&'a mut self, cmd: &'a Cmd) -> RedisFuture<'a, Value> {
        Box::pin(async move {
            let (generation, reply) = self.run(cmd).await?;
            self.used = generation;
            Ok(reply)
        })
    }

    fn req_packed_commands<'a>(
        &'a mut self,
        pipeline: &'a Pipeline,
        offset: usize,
        count: usize,
    ) -> RedisFuture<'a, Vec<Value>> {
        Box::pin(async move {
            let (generation, replies) = self.run(&Packed(pipeline, offset, count)).await?;
            self.used = generation;
            Ok(replies)
        })
    }

    fn get_db(&self) -> i64 {
        self.db
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn server_error(reply: &str) -> RedisError {
        let value = redis::parse_redis_value(reply.as_bytes()).unwrap();
        match value {
            Value::ServerError(error) => error.into(),
            other => panic!("not an error: {other:?}"),
        }
    }

    #[test]
    fn a_demoted_or_missing_primary_is_found_again() {
        assert!(primary_lost(&server_error("-READONLY You can't write against a read only replica.\r\n")));
        assert!(primary_lost(&server_error("-NOREPLICAS Not enough good replicas to write.\r\n")));
        assert!(primary_lost(&server_error("-LOADING Redis is loading the dataset in memory\r\n")));
        assert!(primary_lost(&RedisError::from(std::io::Error::from(std::io::ErrorKind::ConnectionRefused))));
        assert!(primary_lost(&RedisError::from(std::io::Error::from(std::io::ErrorKind::TimedOut))));
    }

    #[test]
    fn a_refused_call_is_not_retried() {
        assert!(!primary_lost(&server_error("-ERR wrong number of arguments\r\n")));
        assert!(!primary_lost(&server_error("-NOSCRIPT No matching script.\r\n")));
        assert!(!primary_lost(&RedisError::from((ErrorKind::AuthenticationFailed, "invalid password"))));
    }
}
