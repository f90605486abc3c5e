//! scalelite-infra: the adapters behind the ports: the meeting-side stores (embedded SQLite, Redis, DynamoDB
//! with the `dynamodb` feature, and in memory), the recordings index (SQLite, PostgreSQL, DynamoDB), the
//! recording files (on disk, or in an S3 bucket with the `s3` feature), chosen by configuration, and the HTTP
//! client to BBB servers.

pub mod bbb_http;
mod coalesced_reads;
#[cfg(feature = "dynamodb")]
pub mod dynamodb;
mod join_servers;
pub mod kept_connections;
pub mod lazy_http;
pub mod memory;
mod pending_joins;
pub mod postgres;
mod recording_children;
mod recording_rows;
mod recording_sql;
pub mod recordings_fs;
pub mod redis;
#[cfg(feature = "s3")]
pub mod s3;
pub mod sqlite;

use std::sync::Arc;

use scalelite_shared::config::Config;
use scalelite_shared::store::{
    CallbackStore, ImportLedger, LeaseStore, MeetingBackend, MeetingStore, RecordingBackend, RecordingFiles,
    RecordingIndex, ServerStore, StoreError, TenantStore, TokenStore,
};

/// The stores the configuration names, one handle per port.
#[derive(Clone)]
pub struct Stores {
    pub servers: Arc<dyn ServerStore>,
    pub meetings: Arc<dyn MeetingStore>,
    pub leases: Arc<dyn LeaseStore>,
    pub tokens: Arc<dyn TokenStore>,
    pub recordings: Arc<dyn RecordingIndex>,
    pub import_ledger: Arc<dyn ImportLedger>,
    pub callbacks: Arc<dyn CallbackStore>,
    pub tenants: Arc<dyn TenantStore>,
    /// The recording files (the trees playback serves, the spool).
    pub files: Arc<dyn RecordingFiles>,
    /// Where servers and meetings are kept, as an operator should read it (no credentials).
    pub meetings_at: String,
}

impl Stores {
    /// Every meeting-side port served by one backend, every recordings-side port by another.
    pub fn new(
        backend: Arc<dyn MeetingBackend>,
        recordings: Arc<dyn RecordingBackend>,
        tenants: Arc<dyn TenantStore>,
        files: Arc<dyn RecordingFiles>,
    ) -> Self {
        Self {
            servers: backend.clone(),
            meetings: backend.clone(),
            leases: backend.clone(),
            tokens: backend,
            recordings: recordings.clone(),
            import_ledger: recordings.clone(),
            callbacks: recordings,
            tenants,
            files,
            meetings_at: String::new(),
        }
    }

    /// The same stores, described as kept at `place`.
    pub fn kept_at(self, place: String) -> Self {
        Self { meetings_at: place, ..self }
    }
}

/// The meeting backend and tenant store, and the embedded store when one of them is it.
type MeetingSide = (Arc<dyn MeetingBackend>, Arc<dyn TenantStore>, Option<Arc<sqlite::SqliteStore>>);

/// Refuses to pair a shared meeting store with a per-process embedded file, unless `SINGLE_REPLICA` says
/// there is only this process: replicas would each keep their own `what`.
fn per_process(config: &Config, what: &str) -> Result<(), StoreError> {
    if config.single_replica {
        return Ok(());
    }
    Err(StoreError::Backend(format!(
        "{what} would be kept in the embedded file {} of each process while meetings are shared; \
         configure a shared store for them, or set SINGLE_REPLICA=true if this process is the only replica",
        config.sqlite_path.display()
    )))
}

/// Opens the configured stores: meetings and tenants in Redis when `REDIS_URL` or `REDIS_SENTINELS` is set; else meetings in
/// DynamoDB when `DYNAMODB_TABLE_PREFIX` is set (tenants then in the embedded file, with `SINGLE_REPLICA`
/// only); else both in the embedded SQLite file. Recordings in PostgreSQL when `DATABASE_URL` is set, else in
/// DynamoDB when `DYNAMODB_TABLE_PREFIX` is set, else in the embedded file (beside Redis meetings with
/// `SINGLE_REPLICA` only). DynamoDB needs the `dynamodb` feature; without it, a `DYNAMODB_*` variable is an
/// error.
pub async fn open_stores(config: &Config) -> Result<Stores, StoreError> {
    let (dynamo_meetings, dynamo_recordings) = dynamo_stores(config).await?;
    let embedded = || sqlite::SqliteStore::open(&config.sqlite_path);
    let (meetings, tenants, local): MeetingSide = match (redis::RedisStore::from_config(config)?, dynamo_meetings) {
        (Some(store), _) => {
            let store = Arc::new(store);
            (store.clone(), store, None)
        }
        (None, Some(store)) => {
            per_process(config, "Tenants")?;
            let local = Arc::new(embedded().await?);
            (store, local.clone(), Some(local))
        }
        (None, None) => {
            let store = Arc::new(embedded().await?);
            (store.clone(), store.clone(), Some(store))
        }
    };
    let recordings: Arc<dyn RecordingBackend> = match (&config.database_url, dynamo_recordings, local) {
        (Some(url), _, _) => Arc::new(postgres::PostgresRecordings::open(url).await?),
        (None, Some(store), _) => store,
        (None, None, Some(store)) => store,
        (None, None, None) => {
            per_process(config, "The recordings index")?;
            Arc::new(embedded().await?)
        }
    };
    let files = recording_files(config).await?;
    Ok(Stores::new(meetings, recordings, tenants, files).kept_at(meetings_at(config)))
}

/// Where the configuration keeps servers and meetings, without credentials.
pub fn meetings_at(config: &Config) -> String {
    if let Some(sentinel) = &config.redis_sentinel {
        let sentinels: Vec<String> = sentinel.sentinels.iter().map(|(host, port)| format!("{host}:{port}")).collect();
        let (master, namespace) = (&sentinel.master, &config.redis_namespace);
        return format!("Redis primary {master} of the sentinels {} (namespace {namespace})", sentinels.join(", "));
    }
    match (&config.redis_url, &config.dynamodb_table_prefix) {
        (Some(url), _) => {
            let host =
                url::Url::parse(url).ok().and_then(|u| Some(format!("{}:{}", u.host_str()?, u.port().unwrap_or(6379))));
            format!("Redis at {} (namespace {})", host.unwrap_or_else(|| "?".into()), config.redis_namespace)
        }
        (None, Some(prefix)) => format!("DynamoDB tables {prefix}*"),
        (None, None) => embedded_at(config),
    }
}

/// Where the configuration keeps the recordings index and callback URLs, without credentials.
pub fn recordings_at(config: &Config) -> String {
    match (&config.database_url, &config.dynamodb_table_prefix) {
        (Some(url), _) => {
            let place = url::Url::parse(url)
                .ok()
                .and_then(|u| Some(format!("{}:{}{}", u.host_str()?, u.port().unwrap_or(5432), u.path())));
            format!("PostgreSQL at {}", place.unwrap_or_else(|| "?".into()))
        }
        (None, Some(prefix)) => format!("DynamoDB tables {prefix}*"),
        (None, None) => embedded_at(config),
    }
}

fn embedded_at(config: &Config) -> String {
    let path = std::path::absolute(&config.sqlite_path).unwrap_or_else(|_| config.sqlite_path.clone());
    format!("the embedded store {}", path.display())
}

type DynamoStores = (Option<Arc<dyn MeetingBackend>>, Option<Arc<dyn RecordingBackend>>);

/// The DynamoDB stores the configuration asks for (none when Redis and PostgreSQL hold everything).
#[cfg(feature = "dynamodb")]
async fn dynamo_stores(config: &Config) -> Result<DynamoStores, StoreError> {
    let Some(prefix) = &config.dynamodb_table_prefix else {
        if config.dynamodb_endpoint.is_some() {
            return Err(StoreError::Backend("DYNAMODB_ENDPOINT is set without DYNAMODB_TABLE_PREFIX".into()));
        }
        return Ok((None, None));
    };
    if config.uses_redis() && config.database_url.is_some() {
        return Ok((None, None));
    }
    let settings =
        dynamodb::DynamoSettings { table_prefix: prefix.clone(), endpoint: config.dynamodb_endpoint.clone() };
    let (meetings, recordings) = dynamodb::open(&settings).await;
    let meetings: Option<Arc<dyn MeetingBackend>> = (!config.uses_redis()).then(|| Arc::new(meetings) as _);
    let recordings: Option<Arc<dyn RecordingBackend>> =
        config.database_url.is_none().then(|| Arc::new(recordings) as _);
    Ok((meetings, recordings))
}

/// Without the `dynamodb` feature, a DynamoDB setting is a configuration error, not silently ignored.
#[cfg(not(feature = "dynamodb"))]
async fn dynamo_stores(config: &Config) -> Result<DynamoStores, StoreError> {
    if config.dynamodb_table_prefix.is_some() || config.dynamodb_endpoint.is_some() {
        return Err(StoreError::Backend(
            "DYNAMODB_TABLE_PREFIX / DYNAMODB_ENDPOINT are set, but this build has no DynamoDB support \
             (build with the `dynamodb` cargo feature)"
                .into(),
        ));
    }
    Ok((None, None))
}

/// The recording files: in the bucket `S3_RECORDING` names, else in the trees on disk.
#[cfg(feature = "s3")]
async fn recording_files(config: &Config) -> Result<Arc<dyn RecordingFiles>, StoreError> {
    Ok(match &config.recordings.s3 {
        Some(s3) => Arc::new(s3::S3Files::open(&config.recordings, s3).await?),
        None => Arc::new(recordings_fs::DiskFiles::from_config(&config.recordings)),
    })
}

/// Without the `s3` feature, `S3_RECORDING` is a configuration error, not silently ignored.
#[cfg(not(feature = "s3"))]
async fn recording_files(config: &Config) -> Result<Arc<dyn RecordingFiles>, StoreError> {
    if config.recordings.s3.is_some() {
        return Err(StoreError::Backend(
            "S3_RECORDING is set, but this build has no S3 support (build with the `s3` cargo feature)".into(),
        ));
    }
    Ok(Arc::new(recordings_fs::DiskFiles::from_config(&config.recordings)))
}
