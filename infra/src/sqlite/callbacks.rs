//! The callback URLs of each meeting in the embedded store, one row per meeting.

use scalelite_shared::model::CallbackData;
use scalelite_shared::store::StoreResult;
use sqlx::{SqliteConnection, SqlitePool};

use super::backend;

#[derive(sqlx::FromRow)]
struct CallbackRow {
    recording_ready_url: Option<String>,
    analytics_callback_url: Option<String>,
    end_callback_url: Option<String>,
}

pub(crate) async fn save(conn: &mut SqliteConnection, meeting_id: &str, callbacks: &CallbackData) -> StoreResult<()> {
    sqlx::query(
        "INSERT INTO meeting_callbacks (meeting_id, recording_ready_url, analytics_callback_url, end_callback_url, \
         updated_at_ms) VALUES (?1, ?2, ?3, ?4, ?5) ON CONFLICT (meeting_id) DO UPDATE SET \
         recording_ready_url = excluded.recording_ready_url, analytics_callback_url = excluded.analytics_callback_url, \
         end_callback_url = excluded.end_callback_url, updated_at_ms = excluded.updated_at_ms",
    )
    .bind(meeting_id)
    .bind(&callbacks.recording_ready_url)
    .bind(&callbacks.analytics_callback_url)
    .bind(&callbacks.end_callback_url)
    .bind(scalelite_shared::clock::now_ms())
    .execute(conn)
    .await
    .map(|_| ())
    .map_err(backend)
}

pub(crate) async fn find(pool: &SqlitePool, meeting_id: &str) -> StoreResult<Option<CallbackData>> {
    let row: Option<CallbackRow> = sqlx::query_as(
        "SELECT recording_ready_url, analytics_callback_url, end_callback_url FROM meeting_callbacks \
         WHERE meeting_id = ?",
    )
    .bind(meeting_id)
    .fetch_optional(pool)
    .await
    .map_err(backend)?;
    Ok(row.map(|r| CallbackData {
        recording_ready_url: r.recording_ready_url,
        analytics_callback_url: r.analytics_callback_url,
        end_callback_url: r.end_callback_url,
    }))
}
