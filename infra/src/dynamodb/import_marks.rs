//! The importer's ledger of source files on DynamoDB: one item per source path.

use std::collections::HashMap;

use async_trait::async_trait;
use scalelite_shared::store::{ImportLedger, ImportMark, StoreResult};

use super::items::{get_n, get_s, n, s};
use super::recordings::DynamoRecordings;

#[async_trait]
impl ImportLedger for DynamoRecordings {
    async fn import_marks(&self) -> StoreResult<HashMap<String, ImportMark>> {
        Ok(self
            .db
            .scan(&self.db.tables.import_marks)
            .await?
            .iter()
            .filter_map(|item| {
                let mark = ImportMark {
                    modified_ms: get_n(item, "modified_ms").unwrap_or(0),
                    size: get_n(item, "size").unwrap_or(0),
                    failure: get_s(item, "failure"),
                };
                Some((get_s(item, "source")?, mark))
            })
            .collect())
    }

    async fn mark_import(&self, source: &str, mark: &ImportMark) -> StoreResult<()> {
        let mut item = HashMap::from([
            ("source".to_owned(), s(source)),
            ("modified_ms".to_owned(), n(mark.modified_ms)),
            ("size".to_owned(), n(mark.size)),
        ]);
        if let Some(failure) = &mark.failure {
            item.insert("failure".to_owned(), s(failure));
        }
        self.db.put(&self.db.tables.import_marks, item).await
    }
}
