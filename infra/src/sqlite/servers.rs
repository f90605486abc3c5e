//! Server rows: reads, inserts, writes and load increments.

use scalelite_shared::balance::choice::Reach;
use scalelite_shared::model::Server;
use scalelite_shared::store::{StoreError, StoreResult};
use sqlx::query::Query;
use sqlx::sqlite::SqliteArguments;
use sqlx::{Executor, Sqlite, SqliteConnection};

use std::collections::HashMap;

use super::backend;
use super::meetings::placeholders;
use super::rows::ServerRow;

pub(crate) async fn all<'e>(db: impl Executor<'e, Database = Sqlite>) -> StoreResult<Vec<Server>> {
    let sql = concat!("SELECT ", server_columns!(""), " FROM servers ORDER BY id");
    let rows: Vec<ServerRow> = sqlx::query_as(sql).fetch_all(db).await.map_err(backend)?;
    Ok(rows.into_iter().map(Server::from).collect())
}

/// The servers that take new meetings in order of load then id (an index walk): the first `depth`, and how far
/// they reach.
pub(crate) async fn least_loaded(db: &mut SqliteConnection, depth: usize) -> StoreResult<(Vec<Server>, Reach)> {
    let sql = concat!(
        "SELECT ",
        server_columns!(""),
        " FROM servers WHERE state = 'enabled' AND online AND load IS NOT NULL ORDER BY load, id LIMIT ?"
    );
    let limit = i64::try_from(depth.saturating_add(1)).unwrap_or(i64::MAX);
    let rows: Vec<ServerRow> = sqlx::query_as(sql).bind(limit).fetch_all(db).await.map_err(backend)?;
    let mut servers: Vec<Server> = rows.into_iter().map(Server::from).collect();
    let reach = if servers.len() > depth {
        servers.pop().map_or(Reach::All, |next| Reach::UpTo(next.load.unwrap_or(0.0)))
    } else {
        Reach::All
    };
    Ok((servers, reach))
}

pub(crate) async fn find<'e>(db: impl Executor<'e, Database = Sqlite>, id: &str) -> StoreResult<Option<Server>> {
    let sql = concat!("SELECT ", server_columns!(""), " FROM servers WHERE id = ?");
    let row: Option<ServerRow> = sqlx::query_as(sql).bind(id).fetch_optional(db).await.map_err(backend)?;
    Ok(row.map(Server::from))
}

/// The servers among `ids` (at most a few hundred), by id.
pub(crate) async fn find_many(db: &mut SqliteConnection, ids: &[&str]) -> StoreResult<HashMap<String, Server>> {
    if ids.is_empty() {
        return Ok(HashMap::new());
    }
    let sql =
        format!(concat!("SELECT ", server_columns!(""), " FROM servers WHERE id IN ({})"), placeholders(ids.len()));
    // Only placeholders are formatted in.
    let mut query = sqlx::query_as::<_, ServerRow>(sqlx::AssertSqlSafe(sql));
    for id in ids {
        query = query.bind(*id);
    }
    let rows = query.fetch_all(db).await.map_err(backend)?;
    Ok(rows.into_iter().map(Server::from).map(|server| (server.id.clone(), server)).collect())
}

/// Adds `amount` to the server's load, if it has one.
pub(crate) async fn add_load(db: &mut SqliteConnection, id: &str, amount: f64) -> StoreResult<()> {
    sqlx::query("UPDATE servers SET load = load + ? WHERE id = ? AND load IS NOT NULL")
        .bind(amount)
        .bind(id)
        .execute(db)
        .await
        .map_err(backend)?;
    Ok(())
}

/// Binds every column of `server`, in the order of [`server_columns!`], as `?1` to `?18`.
fn bind_all<'q>(sql: &'static str, server: &'q Server) -> Query<'q, Sqlite, SqliteArguments> {
    let count = |n: u64| i64::try_from(n).unwrap_or(i64::MAX);
    sqlx::query(sql)
        .bind(&server.id)
        .bind(&server.url)
        .bind(&server.secret)
        .bind(&server.tag)
        .bind(server.state.as_str())
        .bind(server.load)
        .bind(server.load_multiplier)
        .bind(server.online)
        .bind(count(server.stats.meetings))
        .bind(count(server.stats.users))
        .bind(count(server.stats.largest_meeting))
        .bind(count(server.stats.videos))
        .bind(&server.bbb_version)
        .bind(server.healthy_counter)
        .bind(server.unhealthy_counter)
        .bind(serde_json::to_string(&server.split_meetings).unwrap_or_else(|_| "[]".to_owned()))
        .bind(server.max_meetings.map(count))
        .bind(server.max_participants.map(count))
}

/// Adds `server`; `Conflict` if its id is taken.
pub(crate) async fn insert<'e>(db: impl Executor<'e, Database = Sqlite>, server: &Server) -> StoreResult<()> {
    let sql = concat!(
        "INSERT INTO servers (",
        server_columns!(""),
        ") VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18) ON CONFLICT (id) DO NOTHING"
    );
    let result = bind_all(sql, server).execute(db).await.map_err(backend)?;
    if result.rows_affected() == 0 {
        return Err(StoreError::Conflict(format!("server {}", server.id)));
    }
    Ok(())
}

/// Writes every column of `server`.
pub(crate) async fn save(db: &mut SqliteConnection, server: &Server) -> StoreResult<()> {
    let sql = "UPDATE servers SET url = ?2, secret = ?3, tag = ?4, state = ?5, load = ?6, load_multiplier = ?7, \
               online = ?8, meetings = ?9, users = ?10, largest_meeting = ?11, videos = ?12, bbb_version = ?13, \
               healthy_counter = ?14, unhealthy_counter = ?15, split_meetings = ?16, max_meetings = ?17, \
               max_participants = ?18 WHERE id = ?1";
    bind_all(sql, server).execute(db).await.map_err(backend)?;
    Ok(())
}

pub(crate) async fn delete<'e>(db: impl Executor<'e, Database = Sqlite>, id: &str) -> StoreResult<bool> {
    let result = sqlx::query("DELETE FROM servers WHERE id = ?").bind(id).execute(db).await.map_err(backend)?;
    Ok(result.rows_affected() > 0)
}
