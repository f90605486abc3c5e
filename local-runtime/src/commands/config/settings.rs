//! The effective settings as `scalelite config` shows them: one row a setting, secrets masked (passwords inside
//! store URLs too), so the output can be pasted into a ticket.

use std::time::Duration;

use scalelite_shared::config::{Config, ImportMode};

/// What a secret is shown as.
const MASK: &str = "********";

/// `(variable, effective value)` for the settings that decide a deployment.
pub fn rows(config: &Config) -> Vec<(&'static str, String)> {
    let recordings = &config.recordings;
    let algorithms: Vec<String> =
        config.checksum_algorithms.iter().map(|a| format!("{a:?}").to_ascii_uppercase()).collect();
    let sentinels = config.redis_sentinel.as_ref().map(|s| {
        let listed: Vec<String> = s.sentinels.iter().map(|(host, port)| format!("{host}:{port}")).collect();
        format!("{} (primary {})", listed.join(","), s.master)
    });
    vec![
        ("LOADBALANCER_SECRET(S)", secrets(config.secrets.len())),
        ("LOADBALANCER_CHECKSUM_ALGORITHM", algorithms.join(":")),
        ("PORT", config.port.to_string()),
        ("URL_HOST", shown(config.url_host.clone())),
        ("MULTITENANCY_ENABLED", config.multitenancy.to_string()),
        ("SQLITE_PATH", config.sqlite_path.display().to_string()),
        ("REDIS_URL", shown(config.redis_url.as_deref().map(masked_url))),
        ("REDIS_SENTINELS", shown(sentinels)),
        ("REDIS_NAMESPACE", config.redis_namespace.clone()),
        ("DATABASE_URL", shown(config.database_url.as_deref().map(masked_url))),
        ("DYNAMODB_TABLE_PREFIX", shown(config.dynamodb_table_prefix.clone())),
        ("SINGLE_REPLICA", config.single_replica.to_string()),
        (
            "CONNECT_TIMEOUT, RESPONSE_TIMEOUT",
            format!("{}, {}", time(config.connect_timeout), time(config.response_timeout)),
        ),
        ("POLL_INTERVAL", time(config.poll_interval)),
        ("RECORDING_DISABLED", recordings.disabled.to_string()),
        (
            "RECORDING_IMPORT_MODE",
            (if recordings.import_mode == ImportMode::Spool { "spool" } else { "in-place" }).into(),
        ),
        ("RECORDING_SPOOL_DIR", recordings.spool_dir.display().to_string()),
        ("RECORDING_WORK_DIR", recordings.work_dir.display().to_string()),
        ("RECORDING_PUBLISH_DIR", recordings.publish_dir.display().to_string()),
        ("RECORDING_UNPUBLISH_DIR", recordings.unpublish_dir.display().to_string()),
        ("RECORDING_CAPTIONS_DIR", recordings.captions_dir.display().to_string()),
        ("RECORDING_IMPORT_POLL_INTERVAL", time(recordings.import_interval)),
        ("S3_BUCKET_NAME", shown(recordings.s3.as_ref().map(|s3| s3.bucket.clone()))),
        ("PROTECTED_RECORDINGS_ENABLED", recordings.protected.to_string()),
        (
            "SECRET_KEY_BASE",
            recordings.secret_key_base.as_ref().map_or("the first load-balancer secret".into(), |_| MASK.into()),
        ),
        (
            "FSAPI_PASSWORD",
            config.fsapi.password.as_ref().map_or("none: dial plans are open to anyone".into(), |_| MASK.into()),
        ),
        ("STATUS_PAGE_TOKEN", shown(config.status_page_token.as_ref().map(|_| MASK.into()))),
    ]
}

fn shown(value: Option<String>) -> String {
    value.unwrap_or_else(|| "-".into())
}

fn secrets(count: usize) -> String {
    match count {
        0 => "none".into(),
        1 => MASK.into(),
        n => format!("{MASK} ({n} secrets)"),
    }
}

fn time(duration: Duration) -> String {
    humantime::format_duration(duration).to_string()
}

/// `url` with its password (in the authority or a `password` query parameter) masked; all of it when it is no URL.
fn masked_url(url: &str) -> String {
    let Ok(mut parsed) = url::Url::parse(url) else { return format!("{MASK} (not a URL)") };
    if parsed.password().is_some() && parsed.set_password(Some(MASK)).is_err() {
        return MASK.into();
    }
    if parsed.query_pairs().any(|(key, _)| key == "password") {
        let pairs: Vec<(String, String)> = parsed
            .query_pairs()
            .map(|(key, value)| {
                let value = if key == "password" { MASK.to_owned() } else { value.into_owned() };
                (key.into_owned(), value)
            })
            .collect();
        parsed.query_pairs_mut().clear().extend_pairs(pairs);
    }
    parsed.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_in_urls_are_masked() {
        assert_eq!(masked_url("redis://:pw@r:6379/1"), "redis://:********@r:6379/1");
        assert_eq!(masked_url("postgres://u:pw@db/x?sslmode=require"), "postgres://u:********@db/x?sslmode=require");
        let query = masked_url("postgres://db/x?user=u&password=pw");
        assert!(!query.contains("pw") && query.contains("user=u"), "{query}");
        assert_eq!(masked_url("redis://r:6379"), "redis://r:6379");
        assert!(!masked_url("pw not a url").contains("pw"));
    }

    #[test]
    fn secrets_are_never_shown() {
        let vars = [
            ("LOADBALANCER_SECRET", "lb-one"),
            ("LOADBALANCER_SECRETS", "lb-two"),
            ("SECRET_KEY_BASE", "cookie-key"),
            ("FSAPI_PASSWORD", "dial-in"),
            ("STATUS_PAGE_TOKEN", "status-token"),
            ("REDIS_URL", "redis://:redis-pw@r"),
            ("DATABASE_URL", "postgres://u:pg-pw@db/x"),
        ];
        let config = Config::from_lookup(|name| vars.iter().find(|(n, _)| *n == name).map(|(_, v)| (*v).to_owned()));
        let shown = format!("{:?}", rows(&config.unwrap()));
        for (_, secret) in &vars[..5] {
            assert!(!shown.contains(secret), "{secret} shown: {shown}");
        }
        assert!(!shown.contains("redis-pw") && !shown.contains("pg-pw"), "{shown}");
        assert!(shown.contains("(2 secrets)"), "{shown}");
    }
}
