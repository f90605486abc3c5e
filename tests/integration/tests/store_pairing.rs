//! A shared meeting store is never paired silently with a per-process embedded file.

use scalelite_integration_tests::redis_url;
use scalelite_shared::config::Config;

fn config(vars: &[(&str, &str)], dir: &std::path::Path) -> Config {
    let db = dir.join("local.db").display().to_string();
    let mut all: Vec<(String, String)> = vec![("LOADBALANCER_SECRET".into(), "s".into()), ("SQLITE_PATH".into(), db)];
    all.extend(vars.iter().map(|(k, v)| (k.to_string(), v.to_string())));
    Config::from_lookup(|name| all.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone())).expect("config")
}

#[tokio::test]
async fn redis_meetings_without_a_recordings_database_need_single_replica() {
    let Some(url) = redis_url().await else { return };
    let dir = tempfile::tempdir().unwrap();
    let refused = scalelite_infra::open_stores(&config(&[("REDIS_URL", &url)], dir.path())).await;
    let error = refused.err().expect("refused at start").to_string();
    assert!(error.contains("SINGLE_REPLICA") && error.contains("recordings"), "{error}");
    let single = config(&[("REDIS_URL", &url), ("SINGLE_REPLICA", "true")], dir.path());
    assert!(scalelite_infra::open_stores(&single).await.is_ok());
}
