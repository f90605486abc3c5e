//! Leases and single-use tokens on DynamoDB: conditional puts and deletes, TTL-expired items checked by their
//! own expiry.

use std::collections::HashMap;

use async_trait::async_trait;
use scalelite_shared::store::{LeaseStore, MeetingStore, StoreResult, TokenStore};

use super::items::{self, get_n, get_s, key, n, s};
use super::{DynamoMeetings, backend, is_conflict};

#[async_trait]
impl LeaseStore for DynamoMeetings {
    async fn acquire_lease(&self, name: &str, holder: &str, ttl_ms: i64) -> StoreResult<bool> {
        let now = self.now_ms().await?;
        let expires = now.saturating_add(ttl_ms.max(1));
        let taken = self
            .db
            .client
            .put_item()
            .table_name(&self.tables().leases)
            .set_item(Some(HashMap::from([
                ("name".to_owned(), s(name)),
                ("holder".to_owned(), s(holder)),
                ("expires_at_ms".to_owned(), n(expires)),
                ("ttl".to_owned(), items::ttl(expires)),
            ])))
            .condition_expression("attribute_not_exists(#n) OR holder = :h OR expires_at_ms <= :now")
            .expression_attribute_names("#n", "name")
            .expression_attribute_values(":h", s(holder))
            .expression_attribute_values(":now", n(now))
            .send()
            .await;
        match taken {
            Ok(_) => Ok(true),
            Err(error) if is_conflict(&error) => Ok(false),
            Err(error) => Err(backend(error)),
        }
    }

    async fn release_lease(&self, name: &str, holder: &str) -> StoreResult<()> {
        let released = self
            .db
            .client
            .delete_item()
            .table_name(&self.tables().leases)
            .set_key(Some(key("name", name)))
            .condition_expression("holder = :h")
            .expression_attribute_values(":h", s(holder))
            .send()
            .await;
        match released {
            Err(error) if !is_conflict(&error) => Err(backend(error)),
            _ => Ok(()),
        }
    }
}

#[async_trait]
impl TokenStore for DynamoMeetings {
    async fn put_token(&self, token: &str, value: &str, ttl_ms: i64) -> StoreResult<()> {
        let now_ms = self.now_ms().await?;
        let expires = now_ms.saturating_add(ttl_ms);
        let item = HashMap::from([
            ("token".to_owned(), s(token)),
            ("value".to_owned(), s(value)),
            ("expires_at_ms".to_owned(), n(expires)),
            ("ttl".to_owned(), items::ttl(expires)),
        ]);
        self.db.put(&self.tables().tokens, item).await
    }

    async fn take_token(&self, token: &str) -> StoreResult<Option<String>> {
        let now = self.now_ms().await?;
        let taken = self.db.take(&self.tables().tokens, key("token", token)).await?;
        Ok(taken
            .filter(|item| get_n::<i64>(item, "expires_at_ms").is_some_and(|e| e > now))
            .and_then(|item| get_s(&item, "value")))
    }
}
