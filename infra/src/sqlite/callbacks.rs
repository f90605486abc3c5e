//! The callback URLs of each meeting in the embedded store, one row per meeting.

use async_trait::async_trait;
use scalelite_shared::model::CallbackData;
use scalelite_shared::store::{CallbackStore, StoreResult};

use super::{SqliteStore, backend};

#[derive(sqlx::FromRow)]
struct CallbackRow {
    recording_ready_url: Option<String>,
    analytics_callback_url: Option<String>,
    end_callback_url: Option<String>,
}

#[async_trait]
impl CallbackStore for SqliteStore {
    async fn save_callbacks(&self, meeting_id: &str, callbacks: &CallbackData) -> StoreResult<()> {
        let mut tx = self.write().await?;
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
        .execute(tx.conn())
        .await
        .map_err(backend)?;
        tx.commit().await
    }

    async fn callbacks(&self, meeting_id: &str) -> StoreResult<Option<CallbackData>> {
        let row: Option<CallbackRow> = sqlx::query_as(
            "SELECT recording_ready_url, analytics_callback_url, end_callback_url FROM meeting_callbacks \
             WHERE meeting_id = ?",
        )
        .bind(meeting_id)
        .fetch_optional(&self.pool)
        .await
        .map_err(backend)?;
        Ok(row.map(|r| CallbackData {
            recording_ready_url: r.recording_ready_url,
            analytics_callback_url: r.analytics_callback_url,
            end_callback_url: r.end_callback_url,
        }))
    }
}
