//! The callback URLs of each meeting on DynamoDB: one item per meeting, replaced by each save.

use std::collections::HashMap;

use async_trait::async_trait;
use scalelite_shared::clock::now_ms;
use scalelite_shared::model::CallbackData;
use scalelite_shared::store::{CallbackStore, StoreResult};

use super::items::{get_s, key, n, s};
use super::recordings::DynamoRecordings;

#[async_trait]
impl CallbackStore for DynamoRecordings {
    async fn save_callbacks(&self, meeting_id: &str, callbacks: &CallbackData) -> StoreResult<()> {
        let mut item =
            HashMap::from([("meeting_id".to_owned(), s(meeting_id)), ("updated_at_ms".to_owned(), n(now_ms()))]);
        for (name, url) in [
            ("recording_ready_url", &callbacks.recording_ready_url),
            ("analytics_callback_url", &callbacks.analytics_callback_url),
            ("end_callback_url", &callbacks.end_callback_url),
        ] {
            if let Some(url) = url {
                item.insert(name.to_owned(), s(url));
            }
        }
        self.db.put(&self.db.tables.callbacks, item).await
    }

    async fn callbacks(&self, meeting_id: &str) -> StoreResult<Option<CallbackData>> {
        let found = self.db.get(&self.db.tables.callbacks, key("meeting_id", meeting_id)).await?;
        Ok(found.map(|item| CallbackData {
            recording_ready_url: get_s(&item, "recording_ready_url"),
            analytics_callback_url: get_s(&item, "analytics_callback_url"),
            end_callback_url: get_s(&item, "end_callback_url"),
        }))
    }
}
