//! S3 for tests: a fresh bucket on moto per case, emptied and removed afterwards, and the variables that put
//! the local runtime's recording files in it.

use aws_sdk_s3::Client;
use aws_sdk_s3::config::{Credentials, Region};

/// One case's bucket on moto.
pub struct TestBucket {
    pub client: Client,
    pub name: String,
    pub endpoint: String,
}

impl TestBucket {
    /// Creates a fresh bucket, or `None` (skipped) when there is no moto or no AWS credentials for the
    /// runtime's SDK to pick up (tests/dynamodb/run sets both).
    pub async fn create(case: &str) -> Option<Self> {
        let endpoint = crate::moto::endpoint("S3")?;
        if std::env::var_os("AWS_ACCESS_KEY_ID").is_none() || std::env::var_os("AWS_SECRET_ACCESS_KEY").is_none() {
            crate::skip::skip(
                "no AWS credentials for the runtime (set AWS_ACCESS_KEY_ID=test AWS_SECRET_ACCESS_KEY=test)",
            );
            return None;
        }
        let config = aws_sdk_s3::Config::builder()
            .behavior_version_latest()
            .endpoint_url(&endpoint)
            .force_path_style(true)
            .region(Region::new("us-east-1"))
            .credentials_provider(Credentials::new("test", "test", None, None, "tests"))
            .build();
        let client = Client::from_conf(config);
        let name = format!("{case}-{}", uuid::Uuid::new_v4().simple());
        client.create_bucket().bucket(&name).send().await.expect("create bucket");
        Some(Self { client, name, endpoint })
    }

    /// The variables that keep the runtime's recording files in this bucket.
    pub fn env(&self) -> Vec<(&'static str, String)> {
        vec![
            ("S3_RECORDING", "true".into()),
            ("S3_BUCKET_NAME", self.name.clone()),
            ("S3_ENDPOINT", self.endpoint.clone()),
            ("AWS_REGION", "us-east-1".into()),
        ]
    }

    /// Every key in the bucket, sorted.
    pub async fn keys(&self) -> Vec<String> {
        let listed = self.client.list_objects_v2().bucket(&self.name).send().await.expect("list");
        let mut keys: Vec<String> = listed.contents().iter().filter_map(|o| o.key().map(str::to_owned)).collect();
        keys.sort();
        keys
    }

    /// The keys of the multipart uploads under way, sorted.
    pub async fn uploads_in_progress(&self) -> Vec<String> {
        let listed = self.client.list_multipart_uploads().bucket(&self.name).send().await.expect("list uploads");
        let mut keys: Vec<String> = listed.uploads().iter().filter_map(|u| u.key().map(str::to_owned)).collect();
        keys.sort();
        keys
    }

    /// The body of an object.
    pub async fn object(&self, key: &str) -> Vec<u8> {
        let answer = self.client.get_object().bucket(&self.name).key(key).send().await.expect("get object");
        answer.body.collect().await.expect("object body").into_bytes().to_vec()
    }

    /// Puts an object, as a process beside the runtime would.
    pub async fn put(&self, key: &str, body: &str) {
        let put = self.client.put_object().bucket(&self.name).key(key).body(body.to_owned().into_bytes().into());
        put.send().await.expect("put object");
    }

    /// `(content type, content disposition)` of an object.
    pub async fn headers(&self, key: &str) -> (Option<String>, Option<String>) {
        let head = self.client.head_object().bucket(&self.name).key(key).send().await.expect("head object");
        (head.content_type().map(str::to_owned), head.content_disposition().map(str::to_owned))
    }
}

impl Drop for TestBucket {
    fn drop(&mut self) {
        let (client, name) = (self.client.clone(), self.name.clone());
        let _ = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().ok()?;
            runtime.block_on(async {
                let listed = client.list_objects_v2().bucket(&name).send().await.ok()?;
                for key in listed.contents().iter().filter_map(|o| o.key()) {
                    let _ = client.delete_object().bucket(&name).key(key).send().await;
                }
                client.delete_bucket().bucket(&name).send().await.ok()
            })
        })
        .join();
    }
}
