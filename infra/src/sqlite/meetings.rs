//! Meeting rows: lookups, and the placement snapshot and commit, inside one `BEGIN IMMEDIATE` transaction.

use std::collections::{HashMap, HashSet};

use scalelite_shared::balance::load::LoadRules;
use scalelite_shared::balance::placement::{PlacementSnapshot, plan};
use scalelite_shared::model::Meeting;
use scalelite_shared::store::{PlaceError, Placed, Placement, StoreResult};
use sqlx::{Executor, Sqlite, SqliteConnection, SqlitePool};

use super::backend;
use super::rows::MeetingRow;
use super::servers;

/// The columns a [`MeetingRow`] reads.
macro_rules! meeting_columns {
    () => {
        "id, server_id, moderator_pw, voice_bridge, tenant_id, reserved_load, created_at_ms, expires_at_ms, \
         create_sent_at_ms, confirmed_at_ms"
    };
}

/// `?, ?, …` for `count` values.
pub(crate) fn placeholders(count: usize) -> String {
    vec!["?"; count].join(", ")
}

pub(crate) async fn find_live<'e>(
    db: impl Executor<'e, Database = Sqlite>,
    id: &str,
    now_ms: i64,
) -> StoreResult<Option<Meeting>> {
    let sql = concat!("SELECT ", meeting_columns!(), " FROM meetings WHERE id = ? AND expires_at_ms > ?");
    let row: Option<MeetingRow> =
        sqlx::query_as(sql).bind(id).bind(now_ms).fetch_optional(db).await.map_err(backend)?;
    Ok(row.map(Meeting::from))
}

/// The live meeting holding voice bridge `number`.
pub(crate) async fn holding_bridge(pool: &SqlitePool, number: &str, now_ms: i64) -> StoreResult<Option<Meeting>> {
    let sql = concat!("SELECT ", meeting_columns!(), " FROM meetings WHERE voice_bridge = ? AND expires_at_ms > ?");
    let row: Option<MeetingRow> =
        sqlx::query_as(sql).bind(number).bind(now_ms).fetch_optional(pool).await.map_err(backend)?;
    Ok(row.map(Meeting::from))
}

/// The live meetings among `ids`.
pub(crate) async fn find_many(db: &mut SqliteConnection, ids: &[&str], now_ms: i64) -> StoreResult<Vec<Meeting>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let sql = format!(
        concat!("SELECT ", meeting_columns!(), " FROM meetings WHERE expires_at_ms > ? AND id IN ({})"),
        placeholders(ids.len())
    );
    // Only placeholders are formatted in.
    let mut query = sqlx::query_as::<_, MeetingRow>(sqlx::AssertSqlSafe(sql)).bind(now_ms);
    for id in ids {
        query = query.bind(*id);
    }
    Ok(query.fetch_all(db).await.map_err(backend)?.into_iter().map(Meeting::from).collect())
}

/// Which of `numbers` a live meeting other than `except` holds.
pub(crate) async fn held_bridges(
    db: &mut SqliteConnection,
    numbers: &[&str],
    except: &str,
    now_ms: i64,
) -> StoreResult<HashSet<String>> {
    if numbers.is_empty() {
        return Ok(HashSet::new());
    }
    let sql = format!(
        "SELECT voice_bridge FROM meetings WHERE expires_at_ms > ? AND id <> ? AND voice_bridge IN ({})",
        placeholders(numbers.len())
    );
    // Only placeholders are formatted in.
    let mut query = sqlx::query_scalar::<_, String>(sqlx::AssertSqlSafe(sql)).bind(now_ms).bind(except);
    for number in numbers {
        query = query.bind(*number);
    }
    Ok(query.fetch_all(db).await.map_err(backend)?.into_iter().collect())
}

/// The live meetings placed on each of `server_ids` (at most a few hundred), by server, each list in id order.
pub(crate) async fn on_servers(
    db: &mut SqliteConnection,
    server_ids: &[&str],
    now_ms: i64,
) -> StoreResult<HashMap<String, Vec<Meeting>>> {
    let mut placed: HashMap<String, Vec<Meeting>> = HashMap::new();
    if server_ids.is_empty() {
        return Ok(placed);
    }
    let sql = format!(
        concat!(
            "SELECT ",
            meeting_columns!(),
            " FROM meetings WHERE expires_at_ms > ? AND server_id IN ({}) ORDER BY id"
        ),
        placeholders(server_ids.len())
    );
    // Only placeholders are formatted in.
    let mut query = sqlx::query_as::<_, MeetingRow>(sqlx::AssertSqlSafe(sql)).bind(now_ms);
    for id in server_ids {
        query = query.bind(*id);
    }
    for meeting in query.fetch_all(db).await.map_err(backend)?.into_iter().map(Meeting::from) {
        placed.entry(meeting.server_id.clone()).or_default().push(meeting);
    }
    Ok(placed)
}

/// Drops meetings that expired by `now_ms` (their voice bridges become free).
pub(crate) async fn drop_expired(db: &mut SqliteConnection, now_ms: i64) -> StoreResult<()> {
    sqlx::query("DELETE FROM meetings WHERE expires_at_ms <= ?").bind(now_ms).execute(db).await.map_err(backend)?;
    Ok(())
}

/// Removes a meeting row; with `returning`, its reservation goes back to its server's load.
pub(crate) async fn remove(
    db: &mut SqliteConnection,
    meeting: &Meeting,
    returning: Option<(&LoadRules, i64)>,
) -> StoreResult<()> {
    sqlx::query("DELETE FROM meetings WHERE id = ?").bind(&meeting.id).execute(&mut *db).await.map_err(backend)?;
    let Some((rules, now_ms)) = returning else {
        return Ok(());
    };
    if let Some(load) = servers::find(&mut *db, &meeting.server_id).await?.and_then(|s| s.load) {
        sqlx::query("UPDATE servers SET load = load - ? WHERE id = ? AND load IS NOT NULL")
            .bind(rules.returned(meeting, load, now_ms))
            .bind(&meeting.server_id)
            .execute(&mut *db)
            .await
            .map_err(backend)?;
    }
    Ok(())
}

/// Deletes a live meeting and gives its reservation back.
pub(crate) async fn delete(
    db: &mut SqliteConnection,
    id: &str,
    rules: &LoadRules,
    now_ms: i64,
) -> StoreResult<Option<Meeting>> {
    let Some(meeting) = find_live(&mut *db, id, now_ms).await? else {
        return Ok(None);
    };
    remove(db, &meeting, Some((rules, now_ms))).await?;
    Ok(Some(meeting))
}

pub(crate) async fn insert(db: &mut SqliteConnection, meeting: &Meeting) -> StoreResult<()> {
    sqlx::query(concat!("INSERT INTO meetings (", meeting_columns!(), ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"))
        .bind(&meeting.id)
        .bind(&meeting.server_id)
        .bind(&meeting.moderator_pw)
        .bind(&meeting.voice_bridge)
        .bind(&meeting.tenant_id)
        .bind(meeting.reserved_load)
        .bind(meeting.created_at_ms)
        .bind(meeting.expires_at_ms)
        .bind(meeting.create_sent_at_ms)
        .bind(meeting.confirmed_at_ms)
        .execute(db)
        .await
        .map_err(backend)?;
    Ok(())
}

/// Reads the placement snapshot, plans, and writes the plan: the caller holds the write transaction, so
/// nothing the plan was computed from can change before it commits.
pub(crate) async fn place(db: &mut SqliteConnection, placement: &Placement) -> Result<Placed, PlaceError> {
    let now = placement.now_ms;
    drop_expired(db, now).await?;
    let current = match find_live(&mut *db, &placement.meeting_id, now).await? {
        Some(meeting) => {
            let server = servers::find(&mut *db, &meeting.server_id).await?;
            Some((meeting, server))
        }
        None => None,
    };
    let numbers: Vec<&str> = placement.voice_bridges.iter().map(String::as_str).collect();
    let snapshot = PlacementSnapshot {
        current,
        servers: servers::available(&mut *db).await?,
        held_bridges: held_bridges(db, &numbers, &placement.meeting_id, now).await?,
    };
    match plan(placement, &snapshot)? {
        Placed::Existing { mut meeting, server } => {
            sqlx::query("UPDATE meetings SET create_sent_at_ms = ?, confirmed_at_ms = NULL WHERE id = ?")
                .bind(now)
                .bind(&meeting.id)
                .execute(&mut *db)
                .await
                .map_err(backend)?;
            meeting.create_sent_at_ms = now;
            meeting.confirmed_at_ms = None;
            Ok(Placed::Existing { meeting, server })
        }
        Placed::New { meeting, server, replaced } => {
            if let Some(old) = &replaced {
                remove(db, old, Some((&placement.load, now))).await?;
            }
            insert(db, &meeting).await?;
            sqlx::query("UPDATE servers SET load = load + ? WHERE id = ?")
                .bind(meeting.reserved_load)
                .bind(&server.id)
                .execute(&mut *db)
                .await
                .map_err(backend)?;
            Ok(Placed::New { meeting, server, replaced })
        }
    }
}

/// Marks the placement's latest create as answered, if it is still the latest.
pub(crate) async fn confirm(db: &mut SqliteConnection, meeting: &Meeting, now_ms: i64) -> StoreResult<()> {
    sqlx::query(
        "UPDATE meetings SET confirmed_at_ms = ? WHERE id = ? AND server_id = ? AND created_at_ms = ? \
         AND create_sent_at_ms = ?",
    )
    .bind(now_ms)
    .bind(&meeting.id)
    .bind(&meeting.server_id)
    .bind(meeting.created_at_ms)
    .bind(meeting.create_sent_at_ms)
    .execute(db)
    .await
    .map_err(backend)?;
    Ok(())
}
