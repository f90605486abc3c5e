//! Meeting rows: lookups, and placement (server choice, load reservation, voice bridge) in one transaction.

use scalelite_shared::balance::choice::{Candidate, NoChoice, choose};
use scalelite_shared::clock::now_ms;
use scalelite_shared::model::{Meeting, Server};
use scalelite_shared::store::{JoinTarget, PlaceError, Placed, Placement, StoreResult};
use sqlx::{Executor, Sqlite, SqliteConnection, SqlitePool};

use super::backend;
use super::rows::{MeetingRow, ServerRow};
use super::servers;

/// The columns a [`MeetingRow`] reads.
macro_rules! meeting_columns {
    () => {
        "id, server_id, moderator_pw, voice_bridge, tenant_id, reserved_load, created_at_ms, expires_at_ms"
    };
}

async fn find_at<'e>(db: impl Executor<'e, Database = Sqlite>, id: &str, at_ms: i64) -> StoreResult<Option<Meeting>> {
    let sql = concat!("SELECT ", meeting_columns!(), " FROM meetings WHERE id = ? AND expires_at_ms > ?");
    let row: Option<MeetingRow> = sqlx::query_as(sql).bind(id).bind(at_ms).fetch_optional(db).await.map_err(backend)?;
    Ok(row.map(Meeting::from))
}

pub(crate) async fn find_live<'e>(db: impl Executor<'e, Database = Sqlite>, id: &str) -> StoreResult<Option<Meeting>> {
    find_at(db, id, now_ms()).await
}

/// The server a join goes to, in one read on the common path.
pub(crate) async fn join_target(pool: &SqlitePool, meeting_id: &str) -> StoreResult<JoinTarget> {
    let now = now_ms();
    let sql = "SELECT s.* FROM servers s JOIN meetings m ON m.server_id = s.id WHERE m.id = ? AND m.expires_at_ms > ?";
    let row: Option<ServerRow> =
        sqlx::query_as(sql).bind(meeting_id).bind(now).fetch_optional(pool).await.map_err(backend)?;
    Ok(match row.map(Server::from) {
        Some(server) if server.accepts_joins() => JoinTarget::Server(server),
        Some(_) => JoinTarget::Unavailable,
        None if find_at(pool, meeting_id, now).await?.is_some() => JoinTarget::Unavailable,
        None => JoinTarget::NoMeeting,
    })
}

pub(crate) async fn on_server<'e>(
    db: impl Executor<'e, Database = Sqlite>,
    server_id: &str,
) -> StoreResult<Vec<Meeting>> {
    let sql = concat!("SELECT ", meeting_columns!(), " FROM meetings WHERE server_id = ? ORDER BY id");
    let rows: Vec<MeetingRow> = sqlx::query_as(sql).bind(server_id).fetch_all(db).await.map_err(backend)?;
    Ok(rows.into_iter().map(Meeting::from).collect())
}

pub(crate) async fn delete<'e>(db: impl Executor<'e, Database = Sqlite>, id: &str) -> StoreResult<Option<Meeting>> {
    let sql = concat!("DELETE FROM meetings WHERE id = ? RETURNING ", meeting_columns!(), "");
    let row: Option<MeetingRow> = sqlx::query_as(sql).bind(id).fetch_optional(db).await.map_err(backend)?;
    Ok(row.map(Meeting::from))
}

/// Inserts `meeting` with the first voice bridge of `candidates` that no other meeting holds.
async fn insert_with_voice_bridge(
    db: &mut SqliteConnection,
    meeting: &mut Meeting,
    candidates: &[String],
) -> Result<(), PlaceError> {
    for number in candidates {
        number.clone_into(&mut meeting.voice_bridge);
        let inserted = sqlx::query(
            "INSERT INTO meetings (id, server_id, moderator_pw, voice_bridge, tenant_id, reserved_load, created_at_ms, \
             expires_at_ms) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        )
        .bind(&meeting.id)
        .bind(&meeting.server_id)
        .bind(&meeting.moderator_pw)
        .bind(&meeting.voice_bridge)
        .bind(&meeting.tenant_id)
        .bind(meeting.reserved_load)
        .bind(meeting.created_at_ms)
        .bind(meeting.expires_at_ms)
        .execute(&mut *db)
        .await;
        match inserted {
            Ok(_) => return Ok(()),
            // The meeting id was checked in this transaction, so a unique violation is the voice bridge.
            Err(sqlx::Error::Database(error)) if error.is_unique_violation() => continue,
            Err(other) => return Err(backend(other).into()),
        }
    }
    Err(PlaceError::VoiceBridgeExhausted)
}

/// Runs inside a `BEGIN IMMEDIATE` transaction: the choice and the reservation cannot interleave.
pub(crate) async fn place(db: &mut SqliteConnection, placement: &Placement) -> Result<Placed, PlaceError> {
    sqlx::query("DELETE FROM meetings WHERE expires_at_ms <= ?")
        .bind(placement.now_ms)
        .execute(&mut *db)
        .await
        .map_err(backend)?;

    let mut replaced = None;
    if let Some(meeting) = find_at(&mut *db, &placement.meeting_id, placement.now_ms).await? {
        if meeting.tenant_id != placement.tenant_id {
            return Err(PlaceError::OtherTenant);
        }
        match servers::find(&mut *db, &meeting.server_id).await? {
            Some(server) if server.accepts_joins() => {
                return Ok(Placed::Existing { meeting, server });
            }
            _ => replaced = delete(&mut *db, &meeting.id).await?,
        }
    }

    let available = servers::available(&mut *db).await?;
    let candidates: Vec<Candidate> = available
        .iter()
        .map(|s| Candidate { id: s.id.clone(), tag: s.tag.clone(), load: s.load.unwrap_or(0.0) })
        .collect();
    let chosen = choose(&candidates, &placement.tags).map_err(|reason| match reason {
        NoChoice::NoServer => PlaceError::NoServer,
        NoChoice::TagUnavailable(tags) => PlaceError::TagUnavailable(tags),
    })?;
    let Some(mut server) = available.into_iter().find(|s| s.id == chosen.id) else {
        return Err(PlaceError::NoServer);
    };

    let reserved_load = placement.load.reservation(server.load_multiplier);
    let mut meeting = Meeting {
        id: placement.meeting_id.clone(),
        server_id: server.id.clone(),
        moderator_pw: placement.moderator_pw.clone(),
        voice_bridge: String::new(),
        tenant_id: placement.tenant_id.clone(),
        reserved_load,
        created_at_ms: placement.now_ms,
        expires_at_ms: placement.now_ms.saturating_add(placement.ttl_ms),
    };
    insert_with_voice_bridge(db, &mut meeting, &placement.voice_bridges).await?;
    sqlx::query("UPDATE servers SET load = load + ? WHERE id = ?")
        .bind(reserved_load)
        .bind(&server.id)
        .execute(&mut *db)
        .await
        .map_err(backend)?;
    server.load = server.load.map(|load| load + reserved_load);
    Ok(Placed::New { meeting, server, replaced })
}
