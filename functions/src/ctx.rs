//! The per-process context handlers share: configuration, stores and the HTTP clients, built once.

use std::sync::Arc;

use scalelite_infra::Stores;
use scalelite_infra::bbb_http::BbbClient;
use scalelite_infra::kept_connections;
use scalelite_infra::lazy_http::LazyClient;
use scalelite_shared::bbb::checksum::ChecksumPolicy;
use scalelite_shared::bbb::client::BbbApi;
use scalelite_shared::config::Config;
use scalelite_shared::store::{
    CallbackStore, ImportLedger, LeaseStore, MeetingStore, RecordingFiles, RecordingIndex, ServerStore, StoreError,
    TenantStore, TokenStore,
};

use crate::callbacks::pending::PendingCallbacks;
use crate::metrics::Metrics;
use crate::registry::Function;
use crate::reject::{Reject, Store};

/// Everything a handler needs; built once per process (or Lambda container) and reused.
pub struct Ctx {
    pub config: Config,
    pub servers: Arc<dyn ServerStore>,
    pub meetings: Arc<dyn MeetingStore>,
    pub leases: Arc<dyn LeaseStore>,
    pub tokens: Arc<dyn TokenStore>,
    pub recordings: Arc<dyn RecordingIndex>,
    /// What the importer made of each source file.
    pub import_ledger: Arc<dyn ImportLedger>,
    /// The callback URLs front-ends gave at create.
    pub callbacks: Arc<dyn CallbackStore>,
    pub tenants: Arc<dyn TenantStore>,
    pub files: Arc<dyn RecordingFiles>,
    /// Where servers and meetings are kept (for operators' messages).
    pub meetings_at: String,
    /// Callback URLs waiting for the recordings database.
    pub kept_callbacks: Arc<PendingCallbacks>,
    /// The stores readiness waits for: every store, or those of the one function a pod serves.
    pub ready_on: &'static [Store],
    /// Calls to BBB servers, the polls' too.
    pub bbb: Arc<dyn BbbApi>,
    /// Calls to front-ends' callback URLs, with the BBB client's timeouts.
    pub http: LazyClient,
    pub checksums: ChecksumPolicy,
    pub metrics: Metrics,
    /// Names this process as a lease holder.
    pub instance: String,
}

impl Ctx {
    /// A context over already opened stores.
    pub fn new(config: Config, stores: Stores) -> Self {
        let Stores {
            servers,
            meetings,
            leases,
            tokens,
            recordings,
            import_ledger,
            callbacks,
            tenants,
            files,
            meetings_at,
        } = stores;
        let (connect, response, algorithm, max_answer) =
            (config.connect_timeout, config.response_timeout, config.outbound_algorithm, config.bbb_max_answer_bytes);
        let kept = config.bbb_kept_connections.unwrap_or_else(kept_connections::default_bound);
        let bbb = Arc::new(BbbClient::new(connect, response, algorithm, max_answer, kept));
        let http = LazyClient::new(config.connect_timeout, config.response_timeout, usize::MAX);
        let checksums = config.checksum_policy();
        let instance = uuid::Uuid::new_v4().to_string();
        Self {
            config,
            servers,
            meetings,
            leases,
            tokens,
            recordings,
            import_ledger,
            callbacks,
            tenants,
            files,
            meetings_at,
            kept_callbacks: Arc::default(),
            ready_on: &[Store::Meetings, Store::Recordings],
            bbb,
            http,
            checksums,
            metrics: Metrics::default(),
            instance,
        }
    }

    /// The same context for a pod that serves only `function`: ready when the stores it uses answer.
    pub fn serving(self, function: &Function) -> Self {
        Self { ready_on: function.stores, ..self }
    }

    /// The same context calling BBB through `bbb` (a fake in tests), for calls and polls.
    pub fn with_bbb(self, bbb: Arc<dyn BbbApi>) -> Self {
        Self { bbb, ..self }
    }

    /// The meeting store's time: the `now_ms` of meeting decisions, so that replicas whose wall clocks disagree
    /// compare times on one clock.
    pub async fn now_ms(&self) -> Result<i64, Reject> {
        self.meetings.now_ms().await.map_err(Reject::store(Store::Meetings))
    }

    /// Opens the configured stores and builds the context.
    pub async fn open(config: Config) -> Result<Self, StoreError> {
        let stores = scalelite_infra::open_stores(&config).await?;
        Ok(Self::new(config, stores))
    }
}
