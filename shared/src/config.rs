//! One configuration from the environment, with upstream Scalelite's variable names and defaults.

use std::path::PathBuf;
use std::time::Duration;

use crate::balance::health::HealthRules;
use crate::balance::load::{LoadRules, LoadWeights};
use crate::bbb::checksum::{Algorithm, ChecksumPolicy};
use crate::bbb::params::{Params, parse_assignments};

/// A variable that could not be read.
#[derive(Debug, thiserror::Error)]
#[error("{name}: cannot use {value:?}: {reason}")]
pub struct ConfigError {
    pub name: &'static str,
    pub value: String,
    pub reason: &'static str,
}

/// Everything the handlers, jobs and runtimes read from the environment.
#[derive(Clone, Debug)]
pub struct Config {
    pub secrets: Vec<String>,
    pub checksum_algorithms: Vec<Algorithm>,
    /// Algorithm for calls to BBB: SHA256 unless `LOADBALANCER_CHECKSUM_ALGORITHM` is set, then the strongest allowed.
    pub outbound_algorithm: Algorithm,
    pub build_number: Option<String>,
    /// `URL_HOST`: the host front-ends reach this load balancer at (callback URLs handed to BBB use it).
    pub url_host: Option<String>,
    /// `MULTITENANCY_ENABLED`: calls to `<tenant>.<host>` are the tenant's, with its secrets.
    pub multitenancy: bool,
    pub port: u16,
    pub sqlite_path: PathBuf,
    pub redis_url: Option<String>,
    /// Prefix of every Redis key (`REDIS_NAMESPACE`, upstream's production default `scalelite`).
    pub redis_namespace: String,
    /// `REDIS_SENTINELS` and its companions: the Redis primary is the one Sentinel names (then `REDIS_URL`, if
    /// set, only gives the primary's credentials and database).
    pub redis_sentinel: Option<RedisSentinel>,
    /// `REDIS_WAIT_REPLICAS`: replicas a write to Redis waits for (`WAIT`, half a second at most) before the call
    /// answers; default 1 with `REDIS_SENTINELS`, else 0.
    pub redis_wait_replicas: usize,
    /// `REDIS_WAIT_REPLICAS_REQUIRED`: a write those replicas did not acknowledge (within
    /// `REDIS_SENTINEL_RETRY_TIMEOUT` with Sentinel, half a second without) fails the call instead of standing.
    pub redis_wait_replicas_required: bool,
    pub database_url: Option<String>,
    /// `SINGLE_REPLICA`: this process is the only one, so a shared meeting store may be paired with the
    /// embedded file for what has no shared store configured (recordings without `DATABASE_URL`, tenants
    /// beside DynamoDB meetings). Without it, such a pairing is refused at start.
    pub single_replica: bool,
    /// `DYNAMODB_TABLE_PREFIX`: DynamoDB tables `<prefix>servers`, `<prefix>meetings`, ... (builds with the
    /// `dynamodb` feature): meetings there unless `REDIS_URL` is set, recordings unless `DATABASE_URL` is.
    pub dynamodb_table_prefix: Option<String>,
    /// `DYNAMODB_ENDPOINT`: a DynamoDB-compatible endpoint instead of AWS's (a local server).
    pub dynamodb_endpoint: Option<String>,
    pub connect_timeout: Duration,
    pub response_timeout: Duration,
    /// `BBB_MAX_ANSWER_BYTES`: the largest answer read from a BBB server (a larger one is an error).
    pub bbb_max_answer_bytes: usize,
    pub poll_interval: Duration,
    /// `POLL_CONCURRENCY` (default 64): servers a poll pass asks at once.
    pub poll_concurrency: usize,
    /// `BBB_KEPT_CONNECTIONS`: idle connections to BBB servers kept open (one a server), the least recently
    /// used closed first; unset, a quarter of the process's open-file limit.
    pub bbb_kept_connections: Option<usize>,
    pub health: HealthRules,
    pub load: LoadRules,
    pub max_meeting_duration: u32,
    pub meeting_ttl: Duration,
    pub create_exclude_params: Vec<String>,
    pub join_exclude_params: Vec<String>,
    pub default_create_params: Params,
    pub override_create_params: Params,
    pub default_join_params: Params,
    pub override_join_params: Params,
    pub get_meetings_api_disabled: bool,
    pub voice_bridge_len: usize,
    pub use_external_voice_bridge: bool,
    pub server_id_is_hostname: bool,
    /// Largest request body accepted, in bytes.
    pub max_body_bytes: usize,
    /// How the HTTP server guards itself against slow and numerous clients.
    pub http: HttpLimits,
    /// `STATUS_PAGE_TOKEN`: opens `/scalelite/status` with `?token=` (besides the admin checksum); unset, only
    /// the checksum does.
    pub status_page_token: Option<String>,
    pub recordings: RecordingConfig,
    /// FreeSWITCH dial-in (`POST /fsapi`).
    pub fsapi: FsapiConfig,
}

impl Config {
    /// Servers and meetings are kept in Redis (`REDIS_URL` or `REDIS_SENTINELS`).
    pub fn uses_redis(&self) -> bool {
        self.redis_url.is_some() || self.redis_sentinel.is_some()
    }

    /// The longest one call to BBB can take (connect plus response timeout): a create sent that long ago has
    /// come back, whatever its answer.
    pub fn bbb_call_budget(&self) -> Duration {
        self.connect_timeout + self.response_timeout
    }
}

/// A Redis primary found through Sentinel, so a failover moves the load balancer to the promoted replica.
#[derive(Clone, Debug)]
pub struct RedisSentinel {
    /// `REDIS_SENTINELS`: the sentinels, `host:port` (port 26379 when left out), comma-separated.
    pub sentinels: Vec<(String, u16)>,
    /// `REDIS_SENTINEL_MASTER` (default `mymaster`): the name the sentinels monitor the primary under.
    pub master: String,
    /// `REDIS_SENTINEL_PASSWORD`: the sentinels' own password (`requirepass` in their configuration), if any.
    pub password: Option<String>,
    /// `REDIS_SENTINEL_RETRY_TIMEOUT` (default 10 s): how long a call keeps retrying while there is no primary
    /// to reach (a failover under way) before it fails.
    pub retry_timeout: Duration,
}

impl RedisSentinel {
    fn from_lookup(lookup: &impl Fn(&str) -> Option<String>) -> Result<Option<Self>, ConfigError> {
        let listed = list(lookup("REDIS_SENTINELS"));
        if listed.is_empty() {
            return Ok(None);
        }
        let sentinels = listed
            .iter()
            .map(|entry| {
                let (host, port) = match entry.rsplit_once(':').filter(|(host, _)| !host.ends_with(':')) {
                    Some((host, port)) => (host, port.parse().ok()),
                    None => (entry.as_str(), Some(26379)),
                };
                let host = host.trim_start_matches('[').trim_end_matches(']');
                match port {
                    Some(port) if !host.is_empty() => Ok((host.to_owned(), port)),
                    _ => Err(ConfigError { name: "REDIS_SENTINELS", value: entry.clone(), reason: "not host:port" }),
                }
            })
            .collect::<Result<_, _>>()?;
        Ok(Some(Self {
            sentinels,
            master: lookup("REDIS_SENTINEL_MASTER")
                .map(|v| v.trim().to_owned())
                .filter(|v| !v.is_empty())
                .unwrap_or_else(|| "mymaster".into()),
            password: lookup("REDIS_SENTINEL_PASSWORD").filter(|v| !v.is_empty()),
            retry_timeout: seconds("REDIS_SENTINEL_RETRY_TIMEOUT", lookup("REDIS_SENTINEL_RETRY_TIMEOUT"), 10.0)?,
        }))
    }
}

/// The HTTP server's limits: a client that sends its headers slowly, stalls its body, or opens connection
/// after connection cannot hold the server.
#[derive(Clone, Copy, Debug)]
pub struct HttpLimits {
    /// `HTTP_HEADER_TIMEOUT` (default 10 s): the longest a request's headers (or the next request on a kept-alive
    /// connection) may take to arrive.
    pub header_timeout: Duration,
    /// `HTTP_BODY_TIMEOUT` (default 30 s): the longest a request body may pause between two pieces.
    pub body_timeout: Duration,
    /// `HTTP_MAX_CONNECTIONS` (default 4096): connections served at once; more wait to be accepted.
    pub max_connections: usize,
    /// `SHUTDOWN_DRAIN_TIMEOUT` (default 25 s): on SIGTERM, how long in-flight requests may finish.
    pub drain_timeout: Duration,
}

/// Where recordings come from and how they are served (upstream's `RECORDING_*` and `PROTECTED_*`).
#[derive(Clone, Debug)]
pub struct RecordingConfig {
    /// `RECORDING_DISABLED`: getRecordings answers no recordings, the other calls `notFound`.
    pub disabled: bool,
    pub spool_dir: PathBuf,
    pub work_dir: PathBuf,
    pub publish_dir: PathBuf,
    pub unpublish_dir: PathBuf,
    /// `RECORDING_CAPTIONS_DIR`: BBB's text tracks (`<recordID>/captions.json`, `inbox/` for uploads), unless
    /// the recording files are in a bucket.
    pub captions_dir: PathBuf,
    /// `RECORDING_IMPORT_MODE`: `spool` (tars from the BBB servers) or `in-place` (metadata.xml files on a
    /// shared volume, indexed where they lie).
    pub import_mode: ImportMode,
    pub import_unpublished: bool,
    pub import_interval: Duration,
    /// `RECORDING_IMPORT_WATCH`: in spool mode, also import as soon as a tar lands (local spool only).
    pub import_watch: bool,
    /// Files younger than this are left for the next pass: they may still be being written.
    pub import_settle: Duration,
    /// Largest unpacked size of one tar, and most entries.
    pub max_unpacked_bytes: u64,
    pub max_tar_entries: u64,
    /// `RECORDING_UPLOAD_MAX_BYTES`: largest tar a BBB server may upload to `/scalelite/recordings/upload`.
    pub upload_max_bytes: usize,
    /// `GET_RECORDINGS_API_FILTERED`: getRecordings needs a meetingID or recordID.
    pub get_recordings_filtered: bool,
    pub protected: bool,
    pub token_timeout: Duration,
    pub cookie_timeout: Duration,
    /// `SECRET_KEY_BASE`: signs the playback cookies of protected recordings.
    pub secret_key_base: Option<String>,
    /// Formats served by the playback routes (`RECORDING_PLAYBACK_FORMATS`).
    pub playback_formats: Vec<String>,
    /// `S3_RECORDING`: the recording files in an S3 bucket instead of the trees on disk.
    pub s3: Option<S3Config>,
}

/// Recording files on S3-compatible object storage; credentials and region come from the standard AWS
/// variables (`AWS_REGION`, `AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY`, `AWS_ENDPOINT_URL_S3` ...).
#[derive(Clone, Debug)]
pub struct S3Config {
    /// `S3_BUCKET_NAME`.
    pub bucket: String,
    /// `S3_ENDPOINT`: an S3-compatible server instead of AWS's.
    pub endpoint: Option<String>,
    /// `S3_FORCE_PATH_STYLE`: `<endpoint>/<bucket>/<key>` URLs instead of `<bucket>.<endpoint>/<key>`; on by
    /// default when `S3_ENDPOINT` is set.
    pub path_style: bool,
    /// `S3_URL_TIMEOUT` (seconds, default 300): how long a signed playback URL stays valid.
    pub url_timeout: Duration,
    /// `CLOUDFRONT_URL`, `CF_KEY_PAIR_ID` and `CF_PRIVATE_KEY_B64`: playback URLs signed for CloudFront.
    pub cloudfront: Option<CloudFrontConfig>,
}

/// A CloudFront distribution in front of the bucket, and the key that signs its URLs.
#[derive(Clone)]
pub struct CloudFrontConfig {
    /// `CLOUDFRONT_URL`: `https://<distribution>` (no trailing slash).
    pub url: String,
    /// `CF_KEY_PAIR_ID`: the id of the public key CloudFront checks signatures with.
    pub key_pair_id: String,
    /// `CF_PRIVATE_KEY_B64`: the RSA private key (PEM), base64-encoded.
    pub private_key_b64: String,
}

impl std::fmt::Debug for CloudFrontConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CloudFrontConfig").field("url", &self.url).field("key_pair_id", &self.key_pair_id).finish()
    }
}

/// The dial plan served to the BBB servers' FreeSWITCH (`POST /fsapi`, mod_xml_curl).
#[derive(Clone, Debug)]
pub struct FsapiConfig {
    /// `FSAPI_PASSWORD` (default the first load-balancer secret): the HTTP Basic password of user `fsapi`;
    /// `None` (set empty) serves the dial plan to anyone.
    pub password: Option<String>,
    /// `FSAPI_MAX_DURATION` (minutes, default `MAX_MEETING_DURATION`): a dial-in call is hung up after it; 0 never.
    pub max_duration_minutes: u64,
    /// `VOICE_BRIDGE_MIN` (default 5): the fewest digits the pin prompt takes.
    pub pin_min_digits: usize,
    /// `VOICE_BRIDGE_MAX`: the most digits the pin prompt takes; by default one more than `VOICE_BRIDGE_LEN` (at
    /// least 9), so a breakout room's pin (its parent's voice bridge and one digit) can be dialled.
    pub pin_max_digits: usize,
}

impl FsapiConfig {
    fn from_lookup(
        lookup: &impl Fn(&str) -> Option<String>,
        secrets: &[String],
        max_meeting_duration: u32,
        voice_bridge_len: usize,
    ) -> Result<Self, ConfigError> {
        let password = lookup("FSAPI_PASSWORD").or_else(|| secrets.first().cloned()).filter(|p| !p.trim().is_empty());
        let max_duration: i64 =
            number("FSAPI_MAX_DURATION", lookup("FSAPI_MAX_DURATION"), max_meeting_duration.into())?;
        let pin_min_digits: usize = number("VOICE_BRIDGE_MIN", lookup("VOICE_BRIDGE_MIN"), 5)?;
        let pin_max_digits: usize =
            number("VOICE_BRIDGE_MAX", lookup("VOICE_BRIDGE_MAX"), (voice_bridge_len + 1).max(9))?;
        // FreeSWITCH's play_and_get_digits takes at most 128 digits.
        if pin_min_digits == 0 || pin_min_digits > pin_max_digits || pin_max_digits > 128 {
            return Err(ConfigError {
                name: "VOICE_BRIDGE_MAX",
                value: format!("{pin_min_digits}..{pin_max_digits}"),
                reason: "VOICE_BRIDGE_MIN must be at least 1 and at most VOICE_BRIDGE_MAX, which is at most 128",
            });
        }
        Ok(Self { password, max_duration_minutes: max_duration.max(0).unsigned_abs(), pin_min_digits, pin_max_digits })
    }
}

/// How the importer finds recordings.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ImportMode {
    Spool,
    InPlace,
}

fn number<T: std::str::FromStr>(name: &'static str, value: Option<String>, default: T) -> Result<T, ConfigError> {
    match value.filter(|v| !v.trim().is_empty()) {
        None => Ok(default),
        Some(v) => v.trim().parse().map_err(|_| ConfigError { name, value: v, reason: "not a number" }),
    }
}

fn seconds(name: &'static str, value: Option<String>, default: f64) -> Result<Duration, ConfigError> {
    let secs: f64 = number(name, value, default)?;
    Duration::try_from_secs_f64(secs).map_err(|_| ConfigError {
        name,
        value: secs.to_string(),
        reason: "not a duration",
    })
}

/// A duration that must not be zero (the period of a timer).
fn period(name: &'static str, value: Option<String>, default: f64) -> Result<Duration, ConfigError> {
    let period = seconds(name, value, default)?;
    if period.is_zero() {
        return Err(ConfigError { name, value: "0".into(), reason: "a period of no time (at least 0.001 s)" });
    }
    Ok(period)
}

fn flag(value: Option<String>) -> bool {
    value.is_some_and(|v| matches!(v.trim().to_ascii_lowercase().as_str(), "true" | "1" | "yes" | "on"))
}

/// `lookup(name)`, or else the contents of the file `lookup("<name>_FILE")` names.
fn with_files(name: &str, lookup: impl Fn(&str) -> Option<String>) -> Option<String> {
    lookup(name).or_else(|| {
        let path = lookup(&format!("{name}_FILE")).filter(|p| !p.is_empty())?;
        let contents = std::fs::read_to_string(path).ok()?;
        Some(contents.trim_end_matches(['\r', '\n']).to_owned())
    })
}

fn list(value: Option<String>) -> Vec<String> {
    value.unwrap_or_default().split(',').map(str::trim).filter(|s| !s.is_empty()).map(str::to_owned).collect()
}

impl Config {
    /// Reads the process environment. A variable that is unset is read from the file named by `<NAME>_FILE`
    /// instead (trailing newline dropped), so secrets mounted as files (OpenFaaS) work too.
    pub fn from_env() -> Result<Self, ConfigError> {
        Self::from_lookup(|name| with_files(name, |n| std::env::var(n).ok()))
    }

    /// Reads variables through `lookup` (tests pass a map).
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let mut secrets: Vec<String> = lookup("LOADBALANCER_SECRET").into_iter().collect();
        secrets.extend(lookup("LOADBALANCER_SECRETS").unwrap_or_default().split(':').map(str::to_owned));
        secrets.retain(|s| !s.is_empty());

        let algorithm_setting = lookup("LOADBALANCER_CHECKSUM_ALGORITHM").filter(|v| !v.trim().is_empty());
        let checksum_algorithms: Vec<Algorithm> = match &algorithm_setting {
            Some(text) => text
                .split(':')
                .map(|name| {
                    Algorithm::parse(name).ok_or(ConfigError {
                        name: "LOADBALANCER_CHECKSUM_ALGORITHM",
                        value: text.clone(),
                        reason: "algorithms are SHA1, SHA256, SHA384, SHA512",
                    })
                })
                .collect::<Result<_, _>>()?,
            None => vec![Algorithm::Sha1, Algorithm::Sha256, Algorithm::Sha384, Algorithm::Sha512],
        };
        let outbound_algorithm = match algorithm_setting {
            Some(_) => checksum_algorithms.iter().copied().max().unwrap_or(Algorithm::Sha256),
            None => Algorithm::Sha256,
        };

        let redis_sentinel = RedisSentinel::from_lookup(&lookup)?;
        let redis_wait_replicas =
            number("REDIS_WAIT_REPLICAS", lookup("REDIS_WAIT_REPLICAS"), usize::from(redis_sentinel.is_some()))?;
        let redis_wait_replicas_required = flag(lookup("REDIS_WAIT_REPLICAS_REQUIRED"));
        if redis_wait_replicas_required && redis_wait_replicas == 0 {
            return Err(ConfigError {
                name: "REDIS_WAIT_REPLICAS_REQUIRED",
                value: "true".into(),
                reason: "needs REDIS_WAIT_REPLICAS above 0",
            });
        }

        let voice_bridge_len: usize = number("VOICE_BRIDGE_LEN", lookup("VOICE_BRIDGE_LEN"), 9)?;
        if !(5..=18).contains(&voice_bridge_len) {
            return Err(ConfigError {
                name: "VOICE_BRIDGE_LEN",
                value: voice_bridge_len.to_string(),
                reason: "must be 5 to 18",
            });
        }

        let max_meeting_duration = number("MAX_MEETING_DURATION", lookup("MAX_MEETING_DURATION"), 0)?;
        let min_user_count = number("LOAD_MIN_USER_COUNT", lookup("LOAD_MIN_USER_COUNT"), 15.0)?;
        let fsapi = FsapiConfig::from_lookup(&lookup, &secrets, max_meeting_duration, voice_bridge_len)?;

        Ok(Self {
            secrets,
            checksum_algorithms,
            outbound_algorithm,
            build_number: lookup("BUILD_NUMBER").filter(|v| !v.is_empty()),
            multitenancy: flag(lookup("MULTITENANCY_ENABLED")),
            url_host: lookup("URL_HOST").filter(|v| !v.trim().is_empty()).map(|v| v.trim().to_owned()),
            port: number("PORT", lookup("PORT"), 3000)?,
            sqlite_path: lookup("SQLITE_PATH").map_or_else(|| PathBuf::from("scalelite.db"), PathBuf::from),
            redis_url: lookup("REDIS_URL").filter(|v| !v.is_empty()),
            redis_namespace: lookup("REDIS_NAMESPACE").filter(|v| !v.is_empty()).unwrap_or_else(|| "scalelite".into()),
            redis_sentinel,
            redis_wait_replicas,
            redis_wait_replicas_required,
            database_url: lookup("DATABASE_URL").filter(|v| !v.is_empty()),
            single_replica: flag(lookup("SINGLE_REPLICA")),
            dynamodb_table_prefix: lookup("DYNAMODB_TABLE_PREFIX").filter(|v| !v.trim().is_empty()),
            dynamodb_endpoint: lookup("DYNAMODB_ENDPOINT")
                .filter(|v| !v.trim().is_empty())
                .map(|v| v.trim().to_owned()),
            connect_timeout: seconds("CONNECT_TIMEOUT", lookup("CONNECT_TIMEOUT"), 5.0)?,
            response_timeout: seconds("RESPONSE_TIMEOUT", lookup("RESPONSE_TIMEOUT"), 10.0)?,
            poll_interval: period("POLL_INTERVAL", lookup("POLL_INTERVAL"), 60.0)?,
            poll_concurrency: number("POLL_CONCURRENCY", lookup("POLL_CONCURRENCY"), 64usize)?.max(1),
            bbb_kept_connections: lookup("BBB_KEPT_CONNECTIONS")
                .filter(|v| !v.trim().is_empty())
                .map(|v| number("BBB_KEPT_CONNECTIONS", Some(v), 0usize))
                .transpose()?,
            health: HealthRules {
                healthy_threshold: number("SERVER_HEALTHY_THRESHOLD", lookup("SERVER_HEALTHY_THRESHOLD"), 1)?,
                unhealthy_threshold: number("SERVER_UNHEALTHY_THRESHOLD", lookup("SERVER_UNHEALTHY_THRESHOLD"), 2)?,
            },
            load: LoadRules {
                min_user_count,
                join_buffer: Duration::from_secs_f64(
                    60.0 * number::<f64>("LOAD_JOIN_BUFFER_TIME", lookup("LOAD_JOIN_BUFFER_TIME"), 15.0)?.max(0.0),
                ),
                max_size_hint: number("LOAD_MAX_SIZE_HINT", lookup("LOAD_MAX_SIZE_HINT"), 5.0 * min_user_count)?,
                weights: LoadWeights {
                    base: number("LOAD_BASE", lookup("LOAD_BASE"), 0.0)?,
                    voice: number("LOAD_VOICE", lookup("LOAD_VOICE"), 0.0)?,
                    video: number("LOAD_VIDEO", lookup("LOAD_VIDEO"), 0.0)?,
                },
            },
            max_meeting_duration,
            meeting_ttl: seconds("DEFAULT_MEETING_TTL", lookup("DEFAULT_MEETING_TTL"), 86_400.0)?,
            create_exclude_params: list(lookup("CREATE_EXCLUDE_PARAMS")),
            join_exclude_params: list(lookup("JOIN_EXCLUDE_PARAMS")),
            default_create_params: parse_assignments(&lookup("DEFAULT_CREATE_PARAMS").unwrap_or_default()),
            override_create_params: parse_assignments(&lookup("OVERRIDE_CREATE_PARAMS").unwrap_or_default()),
            default_join_params: parse_assignments(&lookup("DEFAULT_JOIN_PARAMS").unwrap_or_default()),
            override_join_params: parse_assignments(&lookup("OVERRIDE_JOIN_PARAMS").unwrap_or_default()),
            get_meetings_api_disabled: flag(lookup("GET_MEETINGS_API_DISABLED")),
            voice_bridge_len,
            use_external_voice_bridge: flag(lookup("USE_EXTERNAL_VOICE_BRIDGE")),
            server_id_is_hostname: flag(lookup("SERVER_ID_IS_HOSTNAME")),
            max_body_bytes: number("MAX_BODY_BYTES", lookup("MAX_BODY_BYTES"), 4 * 1024 * 1024)?,
            http: HttpLimits {
                header_timeout: seconds("HTTP_HEADER_TIMEOUT", lookup("HTTP_HEADER_TIMEOUT"), 10.0)?,
                body_timeout: seconds("HTTP_BODY_TIMEOUT", lookup("HTTP_BODY_TIMEOUT"), 30.0)?,
                max_connections: number("HTTP_MAX_CONNECTIONS", lookup("HTTP_MAX_CONNECTIONS"), 4096)?,
                drain_timeout: seconds("SHUTDOWN_DRAIN_TIMEOUT", lookup("SHUTDOWN_DRAIN_TIMEOUT"), 25.0)?,
            },
            bbb_max_answer_bytes: number("BBB_MAX_ANSWER_BYTES", lookup("BBB_MAX_ANSWER_BYTES"), 16 * 1024 * 1024)?,
            status_page_token: lookup("STATUS_PAGE_TOKEN").filter(|v| !v.trim().is_empty()),
            recordings: RecordingConfig::from_lookup(&lookup)?,
            fsapi,
        })
    }

    /// The inbound checksum rule.
    pub fn checksum_policy(&self) -> ChecksumPolicy {
        ChecksumPolicy::new(self.secrets.clone(), self.checksum_algorithms.clone())
    }
}

fn dir(value: Option<String>, default: &str) -> PathBuf {
    PathBuf::from(value.filter(|v| !v.is_empty()).unwrap_or_else(|| default.to_owned()))
}

impl RecordingConfig {
    fn from_lookup(lookup: &impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let import_mode = match lookup("RECORDING_IMPORT_MODE").unwrap_or_default().trim() {
            "" | "spool" => ImportMode::Spool,
            "in-place" => ImportMode::InPlace,
            other => {
                return Err(ConfigError {
                    name: "RECORDING_IMPORT_MODE",
                    value: other.to_owned(),
                    reason: "modes are spool and in-place",
                });
            }
        };
        let minutes = |name: &'static str, default: f64| -> Result<Duration, ConfigError> {
            let value: f64 = number(name, lookup(name), default)?;
            seconds(name, Some((value * 60.0).to_string()), 0.0)
        };
        let formats = lookup("RECORDING_PLAYBACK_FORMATS")
            .filter(|v| !v.trim().is_empty())
            .unwrap_or_else(|| "presentation:video:screenshare:podcast:notes:capture".into());
        Ok(Self {
            disabled: flag(lookup("RECORDING_DISABLED")),
            spool_dir: dir(lookup("RECORDING_SPOOL_DIR"), "/var/bigbluebutton/spool"),
            work_dir: dir(lookup("RECORDING_WORK_DIR"), "/var/bigbluebutton/recording/scalelite"),
            publish_dir: dir(lookup("RECORDING_PUBLISH_DIR"), "/var/bigbluebutton/published"),
            unpublish_dir: dir(lookup("RECORDING_UNPUBLISH_DIR"), "/var/bigbluebutton/unpublished"),
            captions_dir: dir(lookup("RECORDING_CAPTIONS_DIR"), "/var/bigbluebutton/captions"),
            import_mode,
            import_unpublished: flag(lookup("RECORDING_IMPORT_UNPUBLISHED")),
            import_interval: seconds("RECORDING_IMPORT_POLL_INTERVAL", lookup("RECORDING_IMPORT_POLL_INTERVAL"), 60.0)?,
            import_watch: lookup("RECORDING_IMPORT_WATCH").is_none_or(|v| flag(Some(v))),
            import_settle: seconds("RECORDING_IMPORT_SETTLE", lookup("RECORDING_IMPORT_SETTLE"), 5.0)?,
            max_unpacked_bytes: number(
                "RECORDING_MAX_UNPACKED_BYTES",
                lookup("RECORDING_MAX_UNPACKED_BYTES"),
                50 * 1024 * 1024 * 1024,
            )?,
            max_tar_entries: number("RECORDING_MAX_TAR_ENTRIES", lookup("RECORDING_MAX_TAR_ENTRIES"), 200_000)?,
            upload_max_bytes: number(
                "RECORDING_UPLOAD_MAX_BYTES",
                lookup("RECORDING_UPLOAD_MAX_BYTES"),
                2 * 1024 * 1024 * 1024,
            )?,
            get_recordings_filtered: flag(lookup("GET_RECORDINGS_API_FILTERED")),
            protected: flag(lookup("PROTECTED_RECORDINGS_ENABLED")),
            token_timeout: minutes("PROTECTED_RECORDINGS_TOKEN_TIMEOUT", 60.0)?,
            cookie_timeout: minutes("PROTECTED_RECORDINGS_TIMEOUT", 360.0)?,
            secret_key_base: lookup("SECRET_KEY_BASE").filter(|v| !v.is_empty()),
            playback_formats: formats.split(':').map(str::trim).filter(|f| !f.is_empty()).map(str::to_owned).collect(),
            s3: S3Config::from_lookup(lookup)?,
        })
    }
}

impl S3Config {
    /// `None` unless `S3_RECORDING` is set to something other than false (any value turns it on upstream;
    /// `false`, `0`, `no` and `off` here turn it off).
    fn from_lookup(lookup: &impl Fn(&str) -> Option<String>) -> Result<Option<Self>, ConfigError> {
        let set = |name: &str| lookup(name).map(|v| v.trim().to_owned()).filter(|v| !v.is_empty());
        let enabled = set("S3_RECORDING")
            .is_some_and(|v| !matches!(v.to_ascii_lowercase().as_str(), "false" | "0" | "no" | "off"));
        let cloudfront = match (set("CLOUDFRONT_URL"), set("CF_KEY_PAIR_ID"), set("CF_PRIVATE_KEY_B64")) {
            (None, None, None) => None,
            (Some(url), Some(key_pair_id), Some(private_key_b64)) if enabled => {
                Some(CloudFrontConfig { url: url.trim_end_matches('/').to_owned(), key_pair_id, private_key_b64 })
            }
            (url, ..) => {
                return Err(ConfigError {
                    name: "CLOUDFRONT_URL",
                    value: url.unwrap_or_default(),
                    reason: "CloudFront needs S3_RECORDING and all of CLOUDFRONT_URL, CF_KEY_PAIR_ID, CF_PRIVATE_KEY_B64",
                });
            }
        };
        if !enabled {
            return Ok(None);
        }
        let bucket = set("S3_BUCKET_NAME").ok_or(ConfigError {
            name: "S3_BUCKET_NAME",
            value: String::new(),
            reason: "S3_RECORDING needs the bucket to keep recordings in",
        })?;
        let endpoint = set("S3_ENDPOINT");
        let path_style = set("S3_FORCE_PATH_STYLE").map_or(endpoint.is_some(), |v| flag(Some(v)));
        let url_timeout = seconds("S3_URL_TIMEOUT", lookup("S3_URL_TIMEOUT"), 300.0)?;
        Ok(Some(Self { bucket, endpoint, path_style, url_timeout, cloudfront }))
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;

    fn config(vars: &[(&str, &str)]) -> Result<Config, ConfigError> {
        let map: HashMap<String, String> = vars.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        Config::from_lookup(|name| map.get(name).cloned())
    }

    #[test]
    fn unset_variables_come_from_their_files() {
        let file = std::env::temp_dir().join(format!("scalelite-config-test-{}", std::process::id()));
        std::fs::write(&file, "from-file\n").unwrap();
        let map: HashMap<String, String> = [("REDIS_URL_FILE".to_owned(), file.display().to_string())].into();
        let lookup = |name: &str| map.get(name).cloned();
        assert_eq!(with_files("REDIS_URL", lookup).as_deref(), Some("from-file"));
        let set: HashMap<String, String> = [("REDIS_URL".to_owned(), "env".to_owned())].into();
        assert_eq!(with_files("REDIS_URL", |name: &str| set.get(name).cloned()).as_deref(), Some("env"));
        assert_eq!(with_files("DATABASE_URL", lookup), None);
        std::fs::remove_file(file).unwrap();
    }

    #[test]
    fn defaults_match_upstream() {
        let config = config(&[]).unwrap();
        assert_eq!(config.port, 3000);
        assert_eq!(config.outbound_algorithm, Algorithm::Sha256);
        assert_eq!(config.health, HealthRules { healthy_threshold: 1, unhealthy_threshold: 2 });
        assert_eq!(config.meeting_ttl, Duration::from_secs(86_400));
        assert_eq!(config.voice_bridge_len, 9);
        assert_eq!(config.status_page_token, None);
    }

    #[test]
    fn secrets_and_algorithms() {
        let parsed = config(&[
            ("LOADBALANCER_SECRET", "a"),
            ("LOADBALANCER_SECRETS", "b:c"),
            ("LOADBALANCER_CHECKSUM_ALGORITHM", "SHA1:SHA384"),
        ])
        .unwrap();
        assert_eq!(parsed.secrets, ["a", "b", "c"]);
        assert_eq!(parsed.outbound_algorithm, Algorithm::Sha384);
        assert!(config(&[("LOADBALANCER_CHECKSUM_ALGORITHM", "MD5")]).is_err());
        assert!(config(&[("PORT", "x")]).is_err());
    }

    #[test]
    fn a_poll_interval_of_no_time_is_refused() {
        let refused = config(&[("POLL_INTERVAL", "0")]).unwrap_err();
        assert_eq!(refused.name, "POLL_INTERVAL");
        assert_eq!(config(&[("POLL_INTERVAL", "0.2")]).unwrap().poll_interval, Duration::from_millis(200));
    }

    #[test]
    fn fsapi_defaults_follow_the_secret_and_meeting_duration() {
        let parsed = config(&[("LOADBALANCER_SECRET", "a"), ("MAX_MEETING_DURATION", "90")]).unwrap();
        assert_eq!(parsed.fsapi.password.as_deref(), Some("a"));
        assert_eq!(parsed.fsapi.max_duration_minutes, 90);
        assert_eq!((parsed.fsapi.pin_min_digits, parsed.fsapi.pin_max_digits), (5, 10));
        let parsed =
            config(&[("LOADBALANCER_SECRET", "a"), ("FSAPI_PASSWORD", ""), ("FSAPI_MAX_DURATION", "-1")]).unwrap();
        assert_eq!((parsed.fsapi.password, parsed.fsapi.max_duration_minutes), (None, 0));
        assert_eq!(config(&[("FSAPI_PASSWORD", "p")]).unwrap().fsapi.password.as_deref(), Some("p"));
        assert_eq!(config(&[]).unwrap().fsapi.password, None, "no secret, no password");
        assert!(config(&[("VOICE_BRIDGE_MIN", "12")]).is_err());
        assert_eq!(config(&[("VOICE_BRIDGE_LEN", "12")]).unwrap().fsapi.pin_max_digits, 13);
    }

    #[test]
    fn object_storage_settings() {
        assert!(config(&[("S3_RECORDING", "false"), ("S3_BUCKET_NAME", "b")]).unwrap().recordings.s3.is_none());
        assert!(config(&[("S3_RECORDING", "true")]).is_err(), "a bucket is needed");
        let s3 = config(&[("S3_RECORDING", "1"), ("S3_BUCKET_NAME", "b"), ("S3_ENDPOINT", "http://127.0.0.1:9000")])
            .unwrap()
            .recordings
            .s3
            .unwrap();
        assert!(s3.path_style && s3.cloudfront.is_none());
        assert_eq!(s3.url_timeout, Duration::from_secs(300));
        let cloudfront =
            [("CLOUDFRONT_URL", "https://d.example/"), ("CF_KEY_PAIR_ID", "K"), ("CF_PRIVATE_KEY_B64", "x")];
        assert!(config(&cloudfront).is_err(), "CloudFront needs S3_RECORDING");
        assert!(config(&[("S3_RECORDING", "on"), ("S3_BUCKET_NAME", "b"), cloudfront[0]]).is_err(), "all three");
        let all = [&[("S3_RECORDING", "on"), ("S3_BUCKET_NAME", "b")][..], &cloudfront[..]].concat();
        let signed = config(&all).unwrap().recordings.s3.unwrap().cloudfront.unwrap();
        assert_eq!(signed.url, "https://d.example");
        assert!(!format!("{signed:?}").contains("\"x\""), "the key stays out of Debug");
    }

    #[test]
    fn redis_sentinels() {
        let plain = config(&[("REDIS_URL", "redis://r")]).unwrap();
        assert!(plain.redis_sentinel.is_none());
        assert_eq!(plain.redis_wait_replicas, 0);
        let parsed = config(&[("REDIS_SENTINELS", "a:26380, b,[::1]:7"), ("REDIS_SENTINEL_PASSWORD", "pw")]).unwrap();
        assert!(parsed.uses_redis());
        assert_eq!(parsed.redis_wait_replicas, 1);
        let sentinel = parsed.redis_sentinel.unwrap();
        let expected = [("a".to_owned(), 26380), ("b".to_owned(), 26379), ("::1".to_owned(), 7)];
        assert_eq!(sentinel.sentinels, expected);
        assert_eq!(sentinel.master, "mymaster");
        assert_eq!(sentinel.password.as_deref(), Some("pw"));
        assert_eq!(sentinel.retry_timeout, Duration::from_secs(10));
        let unwaited = config(&[("REDIS_SENTINELS", "a"), ("REDIS_WAIT_REPLICAS", "0")]).unwrap();
        assert_eq!(unwaited.redis_wait_replicas, 0);
        assert!(!parsed.redis_wait_replicas_required);
        let required = config(&[("REDIS_SENTINELS", "a"), ("REDIS_WAIT_REPLICAS_REQUIRED", "true")]).unwrap();
        assert!(required.redis_wait_replicas_required);
        let nothing_to_require =
            [("REDIS_SENTINELS", "a"), ("REDIS_WAIT_REPLICAS", "0"), ("REDIS_WAIT_REPLICAS_REQUIRED", "1")];
        assert!(config(&nothing_to_require).is_err());
        assert!(config(&[("REDIS_SENTINELS", "a:x")]).is_err());
        assert!(config(&[("REDIS_SENTINELS", ":1")]).is_err());
    }

    #[test]
    fn parameter_lists() {
        let config =
            config(&[("DEFAULT_CREATE_PARAMS", "record=true,welcome=a=b"), ("JOIN_EXCLUDE_PARAMS", "x, y")]).unwrap();
        assert_eq!(config.default_create_params.get("welcome"), Some("a=b"));
        assert_eq!(config.join_exclude_params, ["x", "y"]);
    }
}
