//! The importer's ledger of source files, in scalelite-rs's own table next to upstream's.

use std::collections::HashMap;

use async_trait::async_trait;
use scalelite_shared::store::{ImportLedger, ImportMark, StoreResult};

use super::{PostgresRecordings, backend};
use crate::recording_rows::{MarkRow, marks};

#[async_trait]
impl ImportLedger for PostgresRecordings {
    async fn import_marks(&self) -> StoreResult<HashMap<String, ImportMark>> {
        let rows: Vec<MarkRow> =
            sqlx::query_as("SELECT source, modified_ms, size, failure FROM scalelite_rs_import_marks")
                .fetch_all(&self.pool)
                .await
                .map_err(backend)?;
        Ok(marks(rows))
    }

    async fn mark_import(&self, source: &str, mark: &ImportMark) -> StoreResult<()> {
        sqlx::query(
            "INSERT INTO scalelite_rs_import_marks (source, modified_ms, size, failure) VALUES ($1, $2, $3, $4) \
         ON CONFLICT (source) DO UPDATE SET modified_ms = EXCLUDED.modified_ms, size = EXCLUDED.size, \
         failure = EXCLUDED.failure",
        )
        .bind(source)
        .bind(mark.modified_ms)
        .bind(mark.size)
        .bind(mark.failure.as_deref())
        .execute(&self.pool)
        .await
        .map_err(backend)?;
        Ok(())
    }
}
