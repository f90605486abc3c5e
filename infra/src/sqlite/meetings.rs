//! Meeting rows: lookups, inserts, removals and create marks. Lists of ids are bound in chunks, so a poll of
//! any size stays within SQLite's limit on bound values.

use std::collections::HashMap;

use scalelite_shared::model::Meeting;
use scalelite_shared::store::StoreResult;
use sqlx::{Executor, Sqlite, SqliteConnection, SqlitePool};

use super::backend;
use super::rows::MeetingRow;

/// Values of a list bound in one statement (SQLite allows 32,766).
pub(crate) const CHUNK: usize = 500;

/// The columns a [`MeetingRow`] reads.
macro_rules! meeting_columns {
    () => {
        "id, server_id, moderator_pw, voice_bridge, tenant_id, reserved_load, created_at_ms, expires_at_ms, \
         create_sent_at_ms, confirmed_at_ms, participants"
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
    let mut found = Vec::new();
    for chunk in ids.chunks(CHUNK) {
        let sql = format!(
            concat!("SELECT ", meeting_columns!(), " FROM meetings WHERE expires_at_ms > ? AND id IN ({})"),
            placeholders(chunk.len())
        );
        // Only placeholders are formatted in.
        let mut query = sqlx::query_as::<_, MeetingRow>(sqlx::AssertSqlSafe(sql)).bind(now_ms);
        for id in chunk {
            query = query.bind(*id);
        }
        found.extend(query.fetch_all(&mut *db).await.map_err(backend)?.into_iter().map(Meeting::from));
    }
    Ok(found)
}

/// The live meeting holding each of `numbers` that is held.
pub(crate) async fn bridge_holders(
    db: &mut SqliteConnection,
    numbers: &[&str],
    now_ms: i64,
) -> StoreResult<HashMap<String, String>> {
    let mut holders = HashMap::new();
    for chunk in numbers.chunks(CHUNK) {
        let sql = format!(
            "SELECT voice_bridge, id FROM meetings WHERE expires_at_ms > ? AND voice_bridge IN ({})",
            placeholders(chunk.len())
        );
        // Only placeholders are formatted in.
        let mut query = sqlx::query_as::<_, (String, String)>(sqlx::AssertSqlSafe(sql)).bind(now_ms);
        for number in chunk {
            query = query.bind(*number);
        }
        holders.extend(query.fetch_all(&mut *db).await.map_err(backend)?);
    }
    Ok(holders)
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

/// How many live meetings are placed on each of `server_ids` (those with none are left out).
pub(crate) async fn count_on(
    db: &mut SqliteConnection,
    server_ids: &[&str],
    now_ms: i64,
) -> StoreResult<HashMap<String, u64>> {
    if server_ids.is_empty() {
        return Ok(HashMap::new());
    }
    let sql = format!(
        "SELECT server_id, COUNT(*) FROM meetings WHERE expires_at_ms > ? AND server_id IN ({}) GROUP BY server_id",
        placeholders(server_ids.len())
    );
    // Only placeholders are formatted in.
    let mut query = sqlx::query_as::<_, (String, i64)>(sqlx::AssertSqlSafe(sql)).bind(now_ms);
    for id in server_ids {
        query = query.bind(*id);
    }
    let counts = query.fetch_all(db).await.map_err(backend)?;
    Ok(counts.into_iter().map(|(id, count)| (id, u64::try_from(count).unwrap_or(0))).collect())
}

/// Tenant `tenant_id`'s live meetings.
pub(crate) async fn of_tenant(db: &mut SqliteConnection, tenant_id: &str, now_ms: i64) -> StoreResult<Vec<Meeting>> {
    let sql = concat!("SELECT ", meeting_columns!(), " FROM meetings WHERE tenant_id = ? AND expires_at_ms > ?");
    let rows: Vec<MeetingRow> =
        sqlx::query_as(sql).bind(tenant_id).bind(now_ms).fetch_all(db).await.map_err(backend)?;
    Ok(rows.into_iter().map(Meeting::from).collect())
}

/// How many live meetings tenant `tenant_id` has.
pub(crate) async fn count_of_tenant(db: &mut SqliteConnection, tenant_id: &str, now_ms: i64) -> StoreResult<u64> {
    let sql = "SELECT COUNT(*) FROM meetings WHERE tenant_id = ? AND expires_at_ms > ?";
    let count: i64 = sqlx::query_scalar(sql).bind(tenant_id).bind(now_ms).fetch_one(db).await.map_err(backend)?;
    Ok(u64::try_from(count).unwrap_or(0))
}

/// Drops meetings that expired by `now_ms` (their voice bridges become free).
pub(crate) async fn drop_expired(db: &mut SqliteConnection, now_ms: i64) -> StoreResult<()> {
    sqlx::query("DELETE FROM meetings WHERE expires_at_ms <= ?").bind(now_ms).execute(db).await.map_err(backend)?;
    Ok(())
}

/// Removes a meeting row.
pub(crate) async fn remove(db: &mut SqliteConnection, meeting: &Meeting) -> StoreResult<()> {
    sqlx::query("DELETE FROM meetings WHERE id = ?").bind(&meeting.id).execute(db).await.map_err(backend)?;
    Ok(())
}

/// Inserts a meeting row.
pub(crate) async fn insert(db: &mut SqliteConnection, meeting: &Meeting) -> StoreResult<()> {
    let sql = concat!("INSERT INTO meetings (", meeting_columns!(), ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)");
    write(db, sql, meeting).await.map(|_| ())
}

/// Inserts a meeting row unless its id or voice bridge is taken; true when it was inserted.
pub(crate) async fn insert_if_free(db: &mut SqliteConnection, meeting: &Meeting) -> StoreResult<bool> {
    let sql = concat!(
        "INSERT INTO meetings (",
        meeting_columns!(),
        ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING"
    );
    write(db, sql, meeting).await.map(|inserted| inserted > 0)
}

/// Runs `sql` with every column of `meeting` bound in order; the rows it changed.
async fn write(db: &mut SqliteConnection, sql: &'static str, meeting: &Meeting) -> StoreResult<u64> {
    let done = sqlx::query(sql)
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
        .bind(i64::try_from(meeting.participants).unwrap_or(i64::MAX))
        .execute(db)
        .await
        .map_err(backend)?;
    Ok(done.rows_affected())
}

/// Marks the meeting's latest create as sent at its `create_sent_at_ms`, not yet answered.
pub(crate) async fn mark_sent(db: &mut SqliteConnection, meeting: &Meeting) -> StoreResult<()> {
    sqlx::query("UPDATE meetings SET create_sent_at_ms = ?, confirmed_at_ms = NULL WHERE id = ?")
        .bind(meeting.create_sent_at_ms)
        .bind(&meeting.id)
        .execute(db)
        .await
        .map_err(backend)?;
    Ok(())
}

/// Counts `participants` more into the meeting `id` while it is placed on `server_id`.
pub(crate) async fn add_participants(
    db: &mut SqliteConnection,
    id: &str,
    server_id: &str,
    participants: u64,
) -> StoreResult<()> {
    sqlx::query("UPDATE meetings SET participants = participants + ? WHERE id = ? AND server_id = ?")
        .bind(i64::try_from(participants).unwrap_or(i64::MAX))
        .bind(id)
        .bind(server_id)
        .execute(db)
        .await
        .map_err(backend)?;
    Ok(())
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
