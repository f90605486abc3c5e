//! Reading what a plan depends on: servers with their change counters, meetings, voice bridge holders.

use std::collections::HashMap;
use std::sync::LazyLock;

use redis::{Script, Value};
use scalelite_shared::balance::choice::Reach;
use scalelite_shared::model::{Meeting, Server};
use scalelite_shared::store::{StoreError, StoreResult};

use super::backend;
use super::codec::{self, ServerParts};
use super::keys::Keys;
use super::primary::Primary;

/// The most keys or fields one command is given: larger lists are sent as several commands, so no single command
/// grows with the pool (each blocks Redis while it runs).
const ARGUMENTS_PER_COMMAND: usize = 1000;

/// The most keys one round trip reads: a larger read takes several, so each answers well within the response
/// timeout however many meetings a server reports.
pub(crate) const KEYS_PER_TRIP: usize = 10_000;

/// A server as read, with its change counter (`"0"` when it never had one).
#[derive(Clone)]
pub(crate) struct Versioned {
    pub server: Server,
    pub version: String,
}

type ServerReply = (
    bool,
    HashMap<String, String>,
    Option<f64>,
    Option<f64>,
    bool,
    HashMap<String, String>,
    Option<String>,
    Option<String>,
);

/// The commands [`push_server`] adds for one server.
const SERVER_READS: usize = 8;

/// Adds the reads of server `id` to `pipe` ([`SERVER_READS`] commands): its reply is a [`ServerReply`].
fn push_server(pipe: &mut redis::Pipeline, keys: &Keys, id: &str) {
    pipe.cmd("SISMEMBER")
        .arg(keys.servers())
        .arg(id)
        .hgetall(keys.server(id))
        .zscore(keys.server_load(), id)
        .zscore(keys.cordoned_server_load(), id)
        .sismember(keys.server_enabled(), id)
        .hgetall(keys.health(id))
        .get(keys.server_version(id))
        .get(keys.split_meetings(id));
}

/// Servers by id, in one round trip; missing ones are left out.
pub(crate) async fn servers(conn: &mut Primary, keys: &Keys, ids: &[String]) -> StoreResult<Vec<Versioned>> {
    let read = read_servers(conn, keys, ids, false).await?;
    Ok(read.into_iter().filter_map(|(server, _)| server).collect())
}

/// Servers by id, each with its index of meetings (the ids placed there, as the index holds them), in one round
/// trip, in the order of `ids`: `None` for a server that is gone.
pub(crate) async fn indexed_servers(
    conn: &mut Primary,
    keys: &Keys,
    ids: &[String],
) -> StoreResult<Vec<(Option<Versioned>, Vec<String>)>> {
    read_servers(conn, keys, ids, true).await
}

/// Servers by id in one round trip, in the order of `ids`, each with its index of meetings when `indexes` is set
/// (empty when not).
async fn read_servers(
    conn: &mut Primary,
    keys: &Keys,
    ids: &[String],
    indexes: bool,
) -> StoreResult<Vec<(Option<Versioned>, Vec<String>)>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let mut pipe = redis::pipe();
    for id in ids {
        push_server(&mut pipe, keys, id);
        if indexes {
            pipe.smembers(keys.server_meetings(id));
        }
    }
    let replies: Vec<Value> = pipe.query_async(conn).await.map_err(backend)?;
    let mut replies = replies.into_iter();
    let parsing = |error: redis::ParsingError| StoreError::Backend(format!("a server as read: {error}"));
    let mut servers = Vec::with_capacity(ids.len());
    for id in ids {
        let reply: ServerReply =
            redis::from_redis_value(Value::Array(replies.by_ref().take(SERVER_READS).collect())).map_err(parsing)?;
        let index: Vec<String> = match indexes {
            true => redis::from_redis_value(replies.next().unwrap_or(Value::Nil)).map_err(parsing)?,
            false => Vec::new(),
        };
        servers.push((versioned(id, reply), index));
    }
    Ok(servers)
}

/// A server from its parts as read; `None` when it is not in the servers set or has no hash.
fn versioned(id: &str, reply: ServerReply) -> Option<Versioned> {
    let (member, hash, load, cordoned_load, in_enabled_set, health, version, split) = reply;
    if !member || hash.is_empty() {
        return None;
    }
    let mut server = codec::server(id, ServerParts { hash, load, cordoned_load, in_enabled_set, health });
    server.split_meetings = split.and_then(|s| serde_json::from_str(&s).ok()).unwrap_or_default();
    Some(Versioned { server, version: version.unwrap_or_else(|| "0".to_owned()) })
}

/// How many meetings the index of each of `ids` holds (an expired one stays there until a poll drops it: counted).
pub(crate) async fn placed_counts(conn: &mut Primary, keys: &Keys, ids: &[&str]) -> StoreResult<HashMap<String, u64>> {
    if ids.is_empty() {
        return Ok(HashMap::new());
    }
    let mut pipe = redis::pipe();
    for id in ids {
        pipe.scard(keys.server_meetings(id));
    }
    let counts: Vec<u64> = pipe.query_async(conn).await.map_err(backend)?;
    Ok(ids.iter().map(|id| (*id).to_owned()).zip(counts).collect())
}

pub(crate) async fn server(conn: &mut Primary, keys: &Keys, id: &str) -> StoreResult<Option<Versioned>> {
    Ok(servers(conn, keys, &[id.to_owned()]).await?.pop())
}

static JOIN_PROBE: LazyLock<Script> = LazyLock::new(|| Script::new(include_str!("lua/join_probe.lua")));
static JOIN: LazyLock<Script> = LazyLock::new(|| Script::new(include_str!("lua/join.lua")));

/// The server id a live meeting is placed on, with that server's change counter (`None` when it never had
/// one), in one small round trip; `None` when the meeting is gone.
pub(crate) async fn join_probe(
    conn: &mut Primary,
    keys: &Keys,
    id: &str,
) -> StoreResult<Option<(String, Option<String>)>> {
    let (server_id, version): (Option<String>, Option<String>) =
        JOIN_PROBE.arg(keys.meeting(id)).arg(keys.server_version("")).invoke_async(conn).await.map_err(backend)?;
    Ok(server_id.map(|server_id| (server_id, version)))
}

/// What a join read of a live meeting's server.
pub(crate) struct JoinRead {
    /// The server as a join needs it (no health counters or split list); `None` when it is gone.
    pub server: Option<Server>,
    /// Its change counter as read with it, `None` when it never had one.
    pub version: Option<String>,
}

type JoinParts = (bool, HashMap<String, String>, Option<f64>, Option<f64>, bool, Option<String>);

/// The server a live meeting is placed on, as a join needs it, in one round trip: `None` when the meeting is
/// gone.
pub(crate) async fn join(conn: &mut Primary, keys: &Keys, id: &str) -> StoreResult<Option<JoinRead>> {
    let (server_id, parts): (Option<String>, Option<JoinParts>) = JOIN
        .arg(keys.meeting(id))
        .arg(keys.servers())
        .arg(keys.server_load())
        .arg(keys.cordoned_server_load())
        .arg(keys.server_enabled())
        .arg(keys.server(""))
        .arg(keys.server_version(""))
        .invoke_async(conn)
        .await
        .map_err(backend)?;
    let Some(server_id) = server_id else { return Ok(None) };
    let Some((member, hash, load, cordoned_load, in_enabled_set, version)) = parts else {
        return Ok(Some(JoinRead { server: None, version: None }));
    };
    let server = (member && !hash.is_empty()).then(|| {
        codec::server(&server_id, ServerParts { hash, load, cordoned_load, in_enabled_set, health: HashMap::new() })
    });
    Ok(Some(JoinRead { server, version }))
}

/// Meetings by id, in one round trip: each one Redis holds (every one it holds is live), or `None`.
pub(crate) async fn meetings(conn: &mut Primary, keys: &Keys, ids: &[&str]) -> StoreResult<Vec<Option<Meeting>>> {
    read_meetings(conn, keys, ids, &codec::MEETING_FIELDS).await
}

/// Placed meetings by id as a poll compares them ([`codec::PLACEMENT_FIELDS`]), in one round trip: a third less to
/// read and parse for every meeting of every server a pass asks.
pub(crate) async fn placements(conn: &mut Primary, keys: &Keys, ids: &[&str]) -> StoreResult<Vec<Option<Meeting>>> {
    read_meetings(conn, keys, ids, codec::PLACEMENT_FIELDS).await
}

/// `fields` of each meeting's hash (all of [`codec::MEETING_FIELDS`] or its leading part), one `HMGET` a meeting in
/// a pipeline a trip of keys.
async fn read_meetings(
    conn: &mut Primary,
    keys: &Keys,
    ids: &[&str],
    fields: &[&str],
) -> StoreResult<Vec<Option<Meeting>>> {
    let mut meetings = Vec::with_capacity(ids.len());
    for trip in ids.chunks(KEYS_PER_TRIP) {
        let mut pipe = redis::pipe();
        for id in trip {
            pipe.hmget(keys.meeting(id), fields);
        }
        let replies: Vec<Vec<Option<String>>> = pipe.query_async(conn).await.map_err(backend)?;
        meetings.extend(trip.iter().zip(replies).map(|(id, fields)| codec::meeting(id, fields)));
    }
    Ok(meetings)
}

/// The live meeting holding each of `numbers` that is held (an entry of `voice_bridges` whose meeting still
/// names the number).
pub(crate) async fn bridge_holders(
    conn: &mut Primary,
    keys: &Keys,
    numbers: &[&str],
) -> StoreResult<HashMap<String, String>> {
    // A poll may ask for a large server's every number: a few HMGETs a round trip.
    let mut owners = Vec::with_capacity(numbers.len());
    for trip in numbers.chunks(KEYS_PER_TRIP) {
        let mut pipe = redis::pipe();
        for chunk in trip.chunks(ARGUMENTS_PER_COMMAND) {
            pipe.cmd("HMGET").arg(keys.voice_bridges()).arg(chunk);
        }
        let replies: Vec<Vec<Option<String>>> = pipe.query_async(conn).await.map_err(backend)?;
        owners.extend(replies.into_iter().flatten());
    }
    let claimed: Vec<(&str, String)> =
        numbers.iter().zip(owners).filter_map(|(number, owner)| Some((*number, owner?))).collect();
    let mut held = Vec::with_capacity(claimed.len());
    for trip in claimed.chunks(KEYS_PER_TRIP) {
        let mut pipe = redis::pipe();
        for (_, owner) in trip {
            pipe.hget(keys.meeting(owner), "voice_bridge");
        }
        let replies: Vec<Option<String>> = pipe.query_async(conn).await.map_err(backend)?;
        held.extend(replies);
    }
    Ok(claimed
        .into_iter()
        .zip(held)
        .filter(|((number, _), bridge)| bridge.as_deref() == Some(*number))
        .map(|((number, owner), _)| (number.to_owned(), owner))
        .collect())
}

static LEAST_LOADED: LazyLock<Script> = LazyLock::new(|| Script::new(include_str!("lua/least_loaded.lua")));

/// The first `depth` servers of `server_load` (those that take new meetings, in order of load then id), each with
/// its load and change counter, in one round trip; and how far they reach: the load of the next one, or all.
pub(crate) async fn least_loaded(
    conn: &mut Primary,
    keys: &Keys,
    depth: usize,
) -> StoreResult<(Vec<(String, f64, String)>, Reach)> {
    let mut ranked: Vec<(String, f64, String)> = LEAST_LOADED
        .arg(keys.server_load())
        .arg(keys.server_version(""))
        .arg(depth)
        .invoke_async(conn)
        .await
        .map_err(backend)?;
    let reach = match ranked.len() > depth {
        true => ranked.pop().map_or(Reach::All, |(_, load, _)| Reach::UpTo(load)),
        false => Reach::All,
    };
    Ok((ranked, reach))
}
