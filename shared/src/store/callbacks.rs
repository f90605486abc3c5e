//! The callbacks port: the callback URLs front-ends gave at create, kept beside the recordings index.

use async_trait::async_trait;

use super::StoreResult;
use crate::model::CallbackData;

/// The callback URLs of each meeting.
#[async_trait]
pub trait CallbackStore: Send + Sync {
    /// Remembers the callback URLs of `meeting_id`, replacing any it had.
    async fn save_callbacks(&self, meeting_id: &str, callbacks: &CallbackData) -> StoreResult<()>;
    /// The callback URLs remembered for `meeting_id`.
    async fn callbacks(&self, meeting_id: &str) -> StoreResult<Option<CallbackData>>;
}
