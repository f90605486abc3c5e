//! The importer's ledger of source files in the embedded store, one row per source path.

use std::collections::HashMap;

use async_trait::async_trait;
use scalelite_shared::store::{ImportLedger, ImportMark, StoreResult};

use super::{SqliteStore, backend};
use crate::recording_rows::{MarkRow, marks};

#[async_trait]
impl ImportLedger for SqliteStore {
    async fn import_marks(&self) -> StoreResult<HashMap<String, ImportMark>> {
        let rows: Vec<MarkRow> = sqlx::query_as("SELECT source, modified_ms, size, failure FROM import_marks")
            .fetch_all(&self.pool)
            .await
            .map_err(backend)?;
        Ok(marks(rows))
    }

    async fn mark_import(&self, source: &str, mark: &ImportMark) -> StoreResult<()> {
        let mut tx = self.write().await?;
        sqlx::query(
            "INSERT INTO import_marks (source, modified_ms, size, failure) VALUES (?1, ?2, ?3, ?4) ON CONFLICT (source) \
             DO UPDATE SET modified_ms = excluded.modified_ms, size = excluded.size, failure = excluded.failure",
        )
        .bind(source)
        .bind(mark.modified_ms)
        .bind(mark.size)
        .bind(&mark.failure)
        .execute(tx.conn())
        .await
        .map_err(backend)?;
        tx.commit().await
    }
}
