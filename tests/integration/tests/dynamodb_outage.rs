//! DynamoDB that does not answer when a process starts, through HTTP: the process stays up and not ready, and
//! becomes ready and serves once DynamoDB answers (moto, or `DYNAMODB_ENDPOINT`; the AWS variables give the
//! credentials, as `tests/run-all` sets them).
#![cfg(feature = "dynamodb")]

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use scalelite_cli::Options;
use scalelite_integration_tests::dynamo::{dynamodb_endpoint, fresh_prefix};
use scalelite_integration_tests::outage::Outage;
use scalelite_shared::bbb::checksum::{Algorithm, sign};
use scalelite_shared::config::Config;

#[tokio::test]
async fn a_process_started_while_dynamodb_is_down_stays_up_and_becomes_ready() {
    let Some(endpoint) = dynamodb_endpoint() else { return };
    let address = endpoint.split("://").nth(1).unwrap().trim_end_matches('/').to_owned();
    let mut outage = Outage::new(tokio::net::lookup_host(&address).await.unwrap().next().unwrap());
    let dir = tempfile::tempdir().unwrap();
    let vars = [
        ("LOADBALANCER_SECRET".to_owned(), "s".to_owned()),
        ("SQLITE_PATH".to_owned(), dir.path().join("tenants.db").display().to_string()),
        ("SINGLE_REPLICA".to_owned(), "true".to_owned()),
        ("DYNAMODB_TABLE_PREFIX".to_owned(), fresh_prefix("outage")),
        ("DYNAMODB_ENDPOINT".to_owned(), format!("http://127.0.0.1:{}", outage.port)),
        ("POLL_INTERVAL".to_owned(), "3600".to_owned()),
        ("RECORDING_IMPORT_POLL_INTERVAL".to_owned(), "3600".to_owned()),
        ("RECORDING_IMPORT_WATCH".to_owned(), "false".to_owned()),
    ];
    let config = Config::from_lookup(|name| vars.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone())).unwrap();
    let options = Options { bind: SocketAddr::from(([127, 0, 0, 1], 0)), demo_servers: 0 };
    let running = scalelite_cli::start(config, options).await.expect("starts while DynamoDB is down");
    let base = running.base_url();
    let client = reqwest::Client::new();
    let status = async |url: &str| client.get(url).send().await.unwrap().status().as_u16();

    assert_eq!(status(&format!("{base}/readyz")).await, 503, "not ready while DynamoDB is down");
    assert_eq!(status(&format!("{base}/healthz")).await, 200, "alive");
    let checksum = sign(Algorithm::Sha256, "getMeetings", "", "s");
    let meetings = format!("{base}/bigbluebutton/api/getMeetings?checksum={checksum}");
    let answer = client.get(&meetings).send().await.unwrap().text().await.unwrap();
    assert!(answer.contains("<messageKey>internalError</messageKey>"), "{answer}");

    outage.end().await;
    let started = Instant::now();
    while status(&format!("{base}/readyz")).await != 200 {
        assert!(started.elapsed() < Duration::from_secs(30), "not ready 30 s after DynamoDB answers");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let answer = client.get(&meetings).send().await.unwrap().text().await.unwrap();
    assert!(answer.contains("<messageKey>noMeetings</messageKey>"), "served from the tables made meanwhile: {answer}");
}
