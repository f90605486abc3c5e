//! DynamoDB's clock: it has no call that tells the time, so the store reads the `Date` header of an answer
//! (whole seconds, by the service's clock) and takes the middle of that second.

use std::sync::{Arc, Mutex};

use aws_sdk_dynamodb::config::interceptors::BeforeDeserializationInterceptorContextRef;
use aws_sdk_dynamodb::config::{ConfigBag, Intercept, RuntimeComponents};
use aws_sdk_dynamodb::error::BoxError;
use aws_sdk_dynamodb::primitives::{DateTime, DateTimeFormat};
use scalelite_shared::store::{StoreError, StoreResult};

use super::{Dynamo, backend};

/// Keeps the `Date` header of the answer it sees.
#[derive(Clone, Debug, Default)]
struct DateOfAnswer(Arc<Mutex<Option<String>>>);

impl Intercept for DateOfAnswer {
    fn name(&self) -> &'static str {
        "DateOfAnswer"
    }

    fn read_before_deserialization(
        &self,
        context: &BeforeDeserializationInterceptorContextRef<'_>,
        _: &RuntimeComponents,
        _: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        let date = context.response().headers().get("date").map(str::to_owned);
        *self.0.lock().unwrap_or_else(|poisoned| poisoned.into_inner()) = date;
        Ok(())
    }
}

/// The service's time, in milliseconds since the Unix epoch, from the answer to a table description.
pub(super) async fn read(db: &Dynamo, table: &str) -> StoreResult<i64> {
    let seen = DateOfAnswer::default();
    db.client.describe_table().table_name(table).customize().interceptor(seen.clone()).send().await.map_err(backend)?;
    let date = seen.0.lock().unwrap_or_else(|poisoned| poisoned.into_inner()).take();
    let date = date.ok_or_else(|| StoreError::Backend("DynamoDB answered without a Date header".into()))?;
    let unreadable = |e: &dyn std::fmt::Display| StoreError::Backend(format!("DynamoDB answered the Date {date}: {e}"));
    let at = DateTime::from_str(&date, DateTimeFormat::HttpDate).map_err(|e| unreadable(&e))?;
    let second = at.to_millis().map_err(|e| unreadable(&e))?;
    Ok(second.saturating_add(500))
}
