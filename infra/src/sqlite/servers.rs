//! Server rows: reads, inserts, state changes and load increments.

use scalelite_shared::model::{Server, ServerState, ServerUpdate};
use scalelite_shared::store::{StoreError, StoreResult};
use sqlx::{Executor, Sqlite, SqliteConnection};

use super::backend;
use super::rows::ServerRow;

/// The columns a [`ServerRow`] reads.
macro_rules! server_columns {
    () => {
        "id, url, secret, tag, state, load, load_multiplier, online, meetings, users, largest_meeting, videos, \
         bbb_version, healthy_counter, unhealthy_counter"
    };
}

pub(crate) async fn all<'e>(db: impl Executor<'e, Database = Sqlite>) -> StoreResult<Vec<Server>> {
    let sql = concat!("SELECT ", server_columns!(), " FROM servers ORDER BY id");
    let rows: Vec<ServerRow> = sqlx::query_as(sql).fetch_all(db).await.map_err(backend)?;
    Ok(rows.into_iter().map(Server::from).collect())
}

pub(crate) async fn find<'e>(db: impl Executor<'e, Database = Sqlite>, id: &str) -> StoreResult<Option<Server>> {
    let sql = concat!("SELECT ", server_columns!(), " FROM servers WHERE id = ?");
    let row: Option<ServerRow> = sqlx::query_as(sql).bind(id).fetch_optional(db).await.map_err(backend)?;
    Ok(row.map(Server::from))
}

/// Servers that take new meetings: enabled, online, with a known load.
pub(crate) async fn available(db: &mut SqliteConnection) -> StoreResult<Vec<Server>> {
    let sql = concat!(
        "SELECT ",
        server_columns!(),
        " FROM servers WHERE state = 'enabled' AND online = 1 AND load IS NOT NULL"
    );
    let rows: Vec<ServerRow> = sqlx::query_as(sql).fetch_all(db).await.map_err(backend)?;
    Ok(rows.into_iter().map(Server::from).collect())
}

pub(crate) async fn insert<'e>(db: impl Executor<'e, Database = Sqlite>, server: &Server) -> StoreResult<()> {
    let result = sqlx::query(
        "INSERT INTO servers (id, url, secret, tag, state, load, load_multiplier, online) \
         VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO NOTHING",
    )
    .bind(&server.id)
    .bind(&server.url)
    .bind(&server.secret)
    .bind(&server.tag)
    .bind(server.state.as_str())
    .bind(server.load)
    .bind(server.load_multiplier)
    .bind(server.online)
    .execute(db)
    .await
    .map_err(backend)?;
    if result.rows_affected() == 0 {
        return Err(StoreError::Conflict(format!("server {}", server.id)));
    }
    Ok(())
}

/// Writes every mutable column of `server`.
pub(crate) async fn save(db: &mut SqliteConnection, server: &Server) -> StoreResult<()> {
    sqlx::query(
        "UPDATE servers SET url = ?, secret = ?, tag = ?, state = ?, load = ?, load_multiplier = ?, online = ?, \
         meetings = ?, users = ?, largest_meeting = ?, videos = ?, bbb_version = ?, healthy_counter = ?, \
         unhealthy_counter = ? WHERE id = ?",
    )
    .bind(&server.url)
    .bind(&server.secret)
    .bind(&server.tag)
    .bind(server.state.as_str())
    .bind(server.load)
    .bind(server.load_multiplier)
    .bind(server.online)
    .bind(i64::try_from(server.stats.meetings).unwrap_or(i64::MAX))
    .bind(i64::try_from(server.stats.users).unwrap_or(i64::MAX))
    .bind(i64::try_from(server.stats.largest_meeting).unwrap_or(i64::MAX))
    .bind(i64::try_from(server.stats.videos).unwrap_or(i64::MAX))
    .bind(&server.bbb_version)
    .bind(server.healthy_counter)
    .bind(server.unhealthy_counter)
    .bind(&server.id)
    .execute(db)
    .await
    .map_err(backend)?;
    Ok(())
}

/// Applies `update`; entering `disabled` forgets the load, as upstream drops a disabled server's load.
pub(crate) async fn update(db: &mut SqliteConnection, id: &str, update: &ServerUpdate) -> StoreResult<Option<Server>> {
    let Some(mut server) = find(&mut *db, id).await? else {
        return Ok(None);
    };
    if let Some(url) = &update.url {
        url.clone_into(&mut server.url);
    }
    if let Some(secret) = &update.secret {
        secret.clone_into(&mut server.secret);
    }
    if let Some(multiplier) = update.load_multiplier {
        server.load_multiplier = multiplier;
    }
    if let Some(tag) = &update.tag {
        server.tag.clone_from(tag);
    }
    if let Some(state) = update.state {
        server.state = state;
        if state == ServerState::Disabled {
            server.load = None;
        }
    }
    save(db, &server).await?;
    Ok(Some(server))
}

pub(crate) async fn delete<'e>(db: impl Executor<'e, Database = Sqlite>, id: &str) -> StoreResult<bool> {
    let result = sqlx::query("DELETE FROM servers WHERE id = ?").bind(id).execute(db).await.map_err(backend)?;
    Ok(result.rows_affected() > 0)
}
