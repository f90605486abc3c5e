//! DynamoDB for tests: `DYNAMODB_ENDPOINT` when set, else moto started once for this test process; each case gets tables of its own under a fresh prefix, deleted afterwards.

use scalelite_infra::dynamodb::{Dynamo, Tables};

/// The DynamoDB endpoint the tests use: `DYNAMODB_ENDPOINT` when set, else moto's ([`crate::moto`]), or
/// `None` with a message when there is neither.
pub fn dynamodb_endpoint() -> Option<String> {
    match std::env::var("DYNAMODB_ENDPOINT").ok().filter(|e| !e.is_empty()) {
        Some(endpoint) => Some(endpoint),
        None => crate::moto::endpoint("DynamoDB"),
    }
}

/// A client for `endpoint` with moto's dummy credentials, whatever the environment says.
pub fn client(endpoint: &str) -> aws_sdk_dynamodb::Client {
    let config = aws_sdk_dynamodb::Config::builder()
        .behavior_version_latest()
        .endpoint_url(endpoint)
        .region(aws_sdk_dynamodb::config::Region::new("us-east-1"))
        .credentials_provider(aws_sdk_dynamodb::config::Credentials::new("test", "test", None, None, "tests"))
        .build();
    aws_sdk_dynamodb::Client::from_conf(config)
}

/// A fresh table prefix: every case has its own tables, so cases run in parallel.
pub fn fresh_prefix(name: &str) -> String {
    format!("{name}-{}-", uuid::Uuid::new_v4().simple())
}

/// Tables of one case under a fresh prefix, created now and deleted when this is dropped.
pub struct DynamoTables {
    pub db: Dynamo,
    pub endpoint: String,
    pub prefix: String,
}

impl DynamoTables {
    /// Creates the tables, or `None` (skip) when there is no DynamoDB.
    pub async fn create(name: &str) -> Option<Self> {
        let endpoint = dynamodb_endpoint()?;
        let prefix = fresh_prefix(name);
        let db = Dynamo::new(client(&endpoint), Tables::new(&prefix));
        db.ensure_tables().await.expect("create DynamoDB tables");
        Some(Self { db, endpoint, prefix })
    }
}

impl Drop for DynamoTables {
    fn drop(&mut self) {
        let (endpoint, prefix) = (self.endpoint.clone(), self.prefix.clone());
        let _ = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().ok()?;
            runtime.block_on(async {
                let client = client(&endpoint);
                let names = client.list_tables().send().await.ok()?.table_names.unwrap_or_default();
                for name in names.into_iter().filter(|n| n.starts_with(&prefix)) {
                    let _ = client.delete_table().table_name(name).send().await;
                }
                Some(())
            })
        })
        .join();
    }
}
