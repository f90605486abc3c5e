//! An existing Scalelite deployment's Redis keeps working: keys written in upstream's layout (as its Rails
//! models write them) are served through HTTP, and what scalelite-rs writes is readable the same way.

use bbb_simulator::Fleet;
use redis::AsyncCommands;
use scalelite_integration_tests::{Harness, NamespaceCleanup, fresh_namespace, redis_url};
use serde_json::json;

#[tokio::test]
async fn an_upstream_redis_is_served() {
    let Some(url) = redis_url().await else { return };
    let ns = fresh_namespace("upstream");
    let _cleanup = NamespaceCleanup { url: url.clone(), namespace: ns.clone() };
    let fleet = Fleet::start(2).await.unwrap();
    let mut redis = redis::Client::open(url.as_str()).unwrap().get_multiplexed_async_connection().await.unwrap();
    let key = |name: &str| format!("{ns}:{name}");

    // A legacy server (no state field, enabled through server_enabled) with a load, and a cordoned one.
    let _: () = redis.sadd(key("servers"), &["bbb-a", "bbb-b"]).await.unwrap();
    let _: () = redis
        .hset_multiple(
            key("server:bbb-a"),
            &[
                ("url", fleet.servers[0].url()),
                ("secret", fleet.servers[0].secret().into()),
                ("online", "true".into()),
                ("load_multiplier", "1.0".into()),
            ],
        )
        .await
        .unwrap();
    let _: () = redis.sadd(key("server_enabled"), "bbb-a").await.unwrap();
    let _: () = redis.zadd(key("server_load"), "bbb-a", 3.0).await.unwrap();
    let _: () = redis
        .hset_multiple(
            key("server:bbb-b"),
            &[
                ("url", fleet.servers[1].url()),
                ("secret", fleet.servers[1].secret().into()),
                ("online", "true".into()),
                ("state", "cordoned".into()),
                ("tag", "gpu".into()),
            ],
        )
        .await
        .unwrap();
    let _: () = redis.zadd(key("cordoned_server_load"), "bbb-b", 7.0).await.unwrap();
    let _: () = redis.hset(key("bbb-b"), "unhealthy_counter", 1).await.unwrap();

    // A running meeting upstream placed on bbb-a, with the fields and TTL its model writes.
    let _: () = redis.sadd(key("meetings"), "old-room").await.unwrap();
    let _: () = redis
        .hset_multiple(
            key("meeting:old-room"),
            &[("server_id", "bbb-a"), ("moderator_pw", "mp"), ("voice_bridge", "123456789"), ("tenant_id", "")],
        )
        .await
        .unwrap();
    let _: () = redis.expire(key("meeting:old-room"), 86_400).await.unwrap();
    let _: () = redis.hset(key("voice_bridges"), "123456789", "old-room").await.unwrap();

    let harness =
        Harness::with_env(0, &[("REDIS_URL", &url), ("REDIS_NAMESPACE", &ns), ("SINGLE_REPLICA", "true")]).await;
    let servers = harness.admin("getServers", "", None).await.json();
    assert_eq!(servers[0]["id"], json!("bbb-a"));
    assert_eq!((servers[0]["state"].clone(), servers[0]["load"].clone()), (json!("enabled"), json!(3.0)));
    assert_eq!(
        (servers[1]["state"].clone(), servers[1]["load"].clone(), servers[1]["tag"].clone()),
        (json!("cordoned"), json!(7.0), json!("gpu"))
    );

    // The meeting exists on the BBB server too; joins go there, with the server's own secret.
    let sim_create = scalelite_shared::bbb::checksum::sign(
        scalelite_shared::bbb::checksum::Algorithm::Sha1,
        "create",
        "meetingID=old-room&name=Old",
        fleet.servers[0].secret(),
    );
    harness
        .get_url(&format!("{}/create?meetingID=old-room&name=Old&checksum={sim_create}", fleet.servers[0].url()))
        .await;
    let join = harness.call("join", "meetingID=old-room&fullName=x&role=VIEWER").await;
    assert!(join.location().unwrap().starts_with(&fleet.servers[0].url()), "{}", join.body);
    // Join load is written in batches, a fraction of a second after the join.
    let mut load = 0.0;
    for _ in 0..50 {
        load = redis.zscore(key("server_load"), "bbb-a").await.unwrap();
        if load == 4.0 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    assert_eq!(load, 4.0, "the join counted on upstream's set");
    let again = harness.call("create", "meetingID=old-room&name=Old").await;
    assert_eq!(again.message_key().as_deref(), Some("duplicateWarning"), "the existing meeting keeps its server");

    // What scalelite-rs writes is upstream's layout too.
    harness.create("new-room").await;
    let placed: std::collections::HashMap<String, String> = redis.hgetall(key("meeting:new-room")).await.unwrap();
    assert_eq!(placed["server_id"], "bbb-a");
    assert_eq!(placed["tenant_id"], "");
    let owner: String = redis.hget(key("voice_bridges"), &placed["voice_bridge"]).await.unwrap();
    assert_eq!(owner, "new-room");
    let multiplier: Option<String> = redis.hget(key("server:bbb-b"), "load_multiplier").await.unwrap();
    assert_eq!(multiplier, None, "untouched fields stay as upstream left them");
    let ttl: i64 = redis.ttl(key("meeting:new-room")).await.unwrap();
    assert!(ttl > 86_000, "DEFAULT_MEETING_TTL applies: {ttl}");

    // An upstream deployment sharing this Redis takes bbb-a offline: it writes the hash and leaves the change
    // counter scalelite-rs keeps beside it where it was, so a server kept in memory for joins is given up within
    // its lifetime (a second) all the same.
    let counter: Option<i64> = redis.get(key("server_version:bbb-a")).await.unwrap();
    assert!(counter.is_some(), "the placement moved bbb-a's counter, so joins may keep the server");
    let join = harness.call("join", "meetingID=old-room&fullName=x&role=VIEWER").await;
    assert!(join.location().is_some(), "{}", join.body);
    let _: () = redis.hset(key("server:bbb-a"), "online", "false").await.unwrap();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(3);
    loop {
        let join = harness.call("join", "meetingID=old-room&fullName=x&role=VIEWER").await;
        if join.location().is_none() {
            break;
        }
        assert!(std::time::Instant::now() < deadline, "joins still go to the offline server after 3 s");
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    let _: () = redis.hset(key("server:bbb-a"), "online", "true").await.unwrap();

    // A poll keeps the health counters in upstream's bare-id hash and the state machine goes on from them.
    fleet.servers[1].go_down().await;
    harness.poll().await;
    let online: String = redis.hget(key("server:bbb-b"), "online").await.unwrap();
    assert_eq!(online, "false", "the second failure (threshold 2) takes it offline");
    let counters: std::collections::HashMap<String, String> = redis.hgetall(key("bbb-b")).await.unwrap();
    assert_eq!(counters["unhealthy_counter"], "0");
    let on_a: String = redis.hget(key("server:bbb-a"), "online").await.unwrap();
    assert_eq!(on_a, "true");

    // Upstream's meeting had a TTL and no expiry in its hash: it read as never expiring, so the poll that found it
    // running wrote both, the hash's time the one its TTL ends at.
    let expiry: Option<i64> = redis.hget(key("meeting:old-room"), "expires_at_ms").await.unwrap();
    let pttl: i64 = redis.pttl(key("meeting:old-room")).await.unwrap();
    let (seconds, micros): (i64, i64) = redis::cmd("TIME").query_async(&mut redis).await.unwrap();
    let redis_now = seconds * 1_000 + micros / 1_000;
    let expiry = expiry.expect("the poll wrote the meeting's expiry into its hash");
    assert!((expiry - (redis_now + pttl)).abs() < 1_000, "{expiry} against {}", redis_now + pttl);
    assert!(pttl > 86_000_000, "DEFAULT_MEETING_TTL applies: {pttl}");
}
