//! Callback URLs a create could not write because the recordings database did not answer in time: kept in
//! memory, read from there meanwhile, and written in the background when the database is back. A meeting
//! call is never held up or failed by a recordings outage.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use scalelite_shared::model::CallbackData;
use scalelite_shared::store::{CallbackStore, StoreResult};
use tokio::sync::Notify;

/// How long a create waits for the database before it keeps the URLs for later.
const WAIT: Duration = Duration::from_millis(800);
/// How often kept URLs are tried again.
const RETRY: Duration = Duration::from_secs(2);

/// The kept callback URLs, by meeting.
#[derive(Default)]
pub struct PendingCallbacks {
    kept: Mutex<HashMap<String, CallbackData>>,
    wake: Notify,
    writer: std::sync::OnceLock<()>,
}

impl PendingCallbacks {
    fn kept(&self) -> MutexGuard<'_, HashMap<String, CallbackData>> {
        self.kept.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Writes the URLs, or keeps them for the background writer when the database does not answer in time.
    pub async fn save(self: &Arc<Self>, store: &Arc<dyn CallbackStore>, meeting_id: &str, callbacks: CallbackData) {
        match tokio::time::timeout(WAIT, store.save_callbacks(meeting_id, &callbacks)).await {
            Ok(Ok(())) => {
                self.kept().remove(meeting_id);
            }
            Ok(Err(error)) => self.keep(store, meeting_id, callbacks, &error.to_string()),
            Err(_) => self.keep(store, meeting_id, callbacks, "no answer in time"),
        }
    }

    fn keep(self: &Arc<Self>, store: &Arc<dyn CallbackStore>, meeting_id: &str, callbacks: CallbackData, why: &str) {
        tracing::warn!(meeting = meeting_id, why, "callback URLs kept until the recordings database answers");
        self.kept().insert(meeting_id.to_owned(), callbacks);
        self.writer.get_or_init(|| {
            tokio::spawn(write_back(self.clone(), store.clone()));
        });
        self.wake.notify_one();
    }

    /// A meeting's callback URLs: the kept ones first, else the database's.
    pub async fn find(&self, store: &dyn CallbackStore, meeting_id: &str) -> StoreResult<Option<CallbackData>> {
        if let Some(kept) = self.kept().get(meeting_id).cloned() {
            return Ok(Some(kept));
        }
        store.callbacks(meeting_id).await
    }
}

/// Writes kept URLs until none are left, then waits for more.
async fn write_back(pending: Arc<PendingCallbacks>, store: Arc<dyn CallbackStore>) {
    loop {
        let batch: Vec<(String, CallbackData)> = pending.kept().iter().map(|(k, v)| (k.clone(), v.clone())).collect();
        if batch.is_empty() {
            pending.wake.notified().await;
            continue;
        }
        for (meeting_id, callbacks) in batch {
            if store.save_callbacks(&meeting_id, &callbacks).await.is_ok() {
                let mut kept = pending.kept();
                if kept.get(&meeting_id) == Some(&callbacks) {
                    kept.remove(&meeting_id);
                }
                tracing::info!(meeting = meeting_id, "kept callback URLs written");
            }
        }
        tokio::time::sleep(RETRY).await;
    }
}
