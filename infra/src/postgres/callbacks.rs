//! Callback URLs in upstream's `callback_data` table: `callback_attributes` is a YAML-serialised Ruby hash
//! with symbol keys (`:recording_ready_url: …`), read as Rails wrote it and written the same way.

use async_trait::async_trait;
use scalelite_shared::model::CallbackData;
use scalelite_shared::store::{CallbackStore, StoreError, StoreResult};
use serde_yaml_ng::{Mapping, Value};
use sqlx::PgPool;

use super::{PostgresRecordings, backend};

const RECORDING_READY: &str = "recording_ready_url";
const ANALYTICS: &str = "analytics_callback_url";
const END: &str = "end_callback_url";

/// The attributes as Rails serialises them: `---` then one `:key: value` line per URL that is set.
fn to_yaml(callbacks: &CallbackData) -> StoreResult<String> {
    let mut attributes = Mapping::new();
    for (key, value) in [
        (RECORDING_READY, &callbacks.recording_ready_url),
        (ANALYTICS, &callbacks.analytics_callback_url),
        (END, &callbacks.end_callback_url),
    ] {
        if let Some(url) = value {
            attributes.insert(Value::String(format!(":{key}")), Value::String(url.clone()));
        }
    }
    let body = serde_yaml_ng::to_string(&attributes).map_err(|e| StoreError::Backend(e.to_string()))?;
    Ok(format!("---\n{body}"))
}

/// Reads the attributes Rails (or [`to_yaml`]) wrote; symbol (`:key`) and string keys alike, tags ignored.
fn from_yaml(text: &str) -> StoreResult<CallbackData> {
    let value: Value = serde_yaml_ng::from_str(text).map_err(|e| StoreError::Backend(e.to_string()))?;
    let value = match value {
        Value::Tagged(tagged) => tagged.value,
        other => other,
    };
    let mut callbacks = CallbackData::default();
    let Value::Mapping(attributes) = value else { return Ok(callbacks) };
    for (key, value) in attributes {
        let (Value::String(key), Value::String(url)) = (key, value) else { continue };
        match key.trim_start_matches(':') {
            RECORDING_READY => callbacks.recording_ready_url = Some(url),
            ANALYTICS => callbacks.analytics_callback_url = Some(url),
            END => callbacks.end_callback_url = Some(url),
            _ => {}
        }
    }
    Ok(callbacks)
}

/// Updates the meeting's rows, or inserts one when it has none. Upstream has no unique index on
/// `meeting_id`, so a transaction-scoped advisory lock on the meeting keeps two saves from both inserting.
async fn save(pool: &PgPool, meeting_id: &str, callbacks: &CallbackData) -> StoreResult<()> {
    let attributes = to_yaml(callbacks)?;
    let mut tx = pool.begin().await.map_err(backend)?;
    sqlx::query("SELECT pg_advisory_xact_lock(hashtextextended('scalelite_rs.callback_data:' || $1, 0))")
        .bind(meeting_id)
        .execute(&mut *tx)
        .await
        .map_err(backend)?;
    let updated = sqlx::query(
        "UPDATE callback_data SET callback_attributes = $2, updated_at = (now() AT TIME ZONE 'UTC') \
         WHERE meeting_id = $1",
    )
    .bind(meeting_id)
    .bind(&attributes)
    .execute(&mut *tx)
    .await
    .map_err(backend)?;
    if updated.rows_affected() == 0 {
        sqlx::query(
            "INSERT INTO callback_data (meeting_id, callback_attributes, created_at, updated_at) \
             VALUES ($1, $2, now() AT TIME ZONE 'UTC', now() AT TIME ZONE 'UTC')",
        )
        .bind(meeting_id)
        .bind(&attributes)
        .execute(&mut *tx)
        .await
        .map_err(backend)?;
    }
    tx.commit().await.map_err(backend)
}

/// The meeting's callback URLs (its newest row, should upstream have left several).
async fn find(pool: &PgPool, meeting_id: &str) -> StoreResult<Option<CallbackData>> {
    let attributes: Option<Option<String>> = sqlx::query_scalar(
        "SELECT callback_attributes FROM callback_data WHERE meeting_id = $1 ORDER BY updated_at DESC, id DESC LIMIT 1",
    )
    .bind(meeting_id)
    .fetch_optional(pool)
    .await
    .map_err(backend)?;
    attributes.map(|text| from_yaml(text.as_deref().unwrap_or_default())).transpose()
}

#[async_trait]
impl CallbackStore for PostgresRecordings {
    async fn save_callbacks(&self, meeting_id: &str, callbacks: &CallbackData) -> StoreResult<()> {
        save(&self.pool, meeting_id, callbacks).await
    }

    async fn callbacks(&self, meeting_id: &str) -> StoreResult<Option<CallbackData>> {
        find(&self.pool, meeting_id).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writes_what_rails_writes() {
        let callbacks = CallbackData {
            recording_ready_url: Some("https://lms.example/ready?id=1&x=y".into()),
            analytics_callback_url: Some("https://lms.example/analytics".into()),
            end_callback_url: None,
        };
        let yaml = to_yaml(&callbacks).unwrap();
        assert_eq!(
            yaml,
            "---\n:recording_ready_url: https://lms.example/ready?id=1&x=y\n\
             :analytics_callback_url: https://lms.example/analytics\n"
        );
        assert_eq!(from_yaml(&yaml).unwrap(), callbacks);
    }

    #[test]
    fn reads_what_rails_wrote() {
        let read = from_yaml("---\n:recording_ready_url: https://lms.example/ready\n").unwrap();
        assert_eq!(read.recording_ready_url.as_deref(), Some("https://lms.example/ready"));
        let tagged = "--- !ruby/hash:ActiveSupport::HashWithIndifferentAccess\nanalytics_callback_url: https://a/b\n";
        assert_eq!(from_yaml(tagged).unwrap().analytics_callback_url.as_deref(), Some("https://a/b"));
        assert_eq!(from_yaml("--- {}\n").unwrap(), CallbackData::default());
        assert!(from_yaml("--- [unclosed").is_err());
    }
}
