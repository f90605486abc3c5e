//! Prometheus metrics: requests by function and outcome, refusals by function and key, request latency, poll
//! and import passes and failures, and the servers' and tenants' figures, read from the store at scrape time so
//! every replica reports the same pool.

use prometheus::{
    Encoder, GaugeVec, Histogram, HistogramOpts, HistogramVec, IntCounter, IntCounterVec, Opts, Registry, TextEncoder,
};
use scalelite_shared::balance::tenant::TenantUsage;
use scalelite_shared::domain::retry::{Decision, raced_attempts};
use scalelite_shared::model::{Server, Tenant};

/// The process's counters and histograms.
pub struct Metrics {
    registry: Registry,
    requests: IntCounterVec,
    refusals: IntCounterVec,
    latency: HistogramVec,
    poll_duration: Histogram,
    poll_failures: IntCounterVec,
    poll_unrecorded: IntCounterVec,
    import_duration: Histogram,
    import_failures: IntCounter,
    placement_duration: Histogram,
}

const LATENCY_BUCKETS: &[f64] = &[0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0];

impl Default for Metrics {
    fn default() -> Self {
        let registry = Registry::new();
        let requests = IntCounterVec::new(
            Opts::new(
                "scalelite_requests_total",
                "Requests by function and outcome (success, redirect or the error key)",
            ),
            &["function", "outcome"],
        )
        .expect("valid metric");
        let refusals = IntCounterVec::new(
            Opts::new(
                "scalelite_refusals_total",
                "Refused requests by function and the refusal's stable key (a BBB message key or a JSON refusal's)",
            ),
            &["function", "key"],
        )
        .expect("valid metric");
        let latency = HistogramVec::new(
            HistogramOpts::new("scalelite_request_duration_seconds", "Time to answer a request, by function")
                .buckets(LATENCY_BUCKETS.to_vec()),
            &["function"],
        )
        .expect("valid metric");
        let poll_duration = Histogram::with_opts(
            HistogramOpts::new("scalelite_poll_duration_seconds", "Time of one poll pass over every server")
                .buckets(LATENCY_BUCKETS.to_vec()),
        )
        .expect("valid metric");
        let poll_failures = IntCounterVec::new(
            Opts::new("scalelite_poll_failures_total", "Polls that got no usable answer, by server"),
            &["server"],
        )
        .expect("valid metric");
        let poll_unrecorded = IntCounterVec::new(
            Opts::new("scalelite_poll_unrecorded_total", "Poll results the store could not record, by server"),
            &["server"],
        )
        .expect("valid metric");
        let import_duration = Histogram::with_opts(
            HistogramOpts::new("scalelite_import_duration_seconds", "Time of one recording import pass")
                .buckets(LATENCY_BUCKETS.to_vec()),
        )
        .expect("valid metric");
        let import_failures =
            IntCounter::new("scalelite_import_failures_total", "Recording files the importer set aside as failed")
                .expect("valid metric");
        let placement_duration = Histogram::with_opts(
            HistogramOpts::new(
                "scalelite_placement_duration_seconds",
                "Time a create waited for its meeting's placement (lost races and their pauses included)",
            )
            .buckets(LATENCY_BUCKETS.to_vec()),
        )
        .expect("valid metric");
        for collector in [
            Box::new(requests.clone()) as Box<dyn prometheus::core::Collector>,
            Box::new(refusals.clone()),
            Box::new(latency.clone()),
            Box::new(poll_duration.clone()),
            Box::new(poll_failures.clone()),
            Box::new(poll_unrecorded.clone()),
            Box::new(import_duration.clone()),
            Box::new(import_failures.clone()),
            Box::new(placement_duration.clone()),
        ] {
            registry.register(collector).expect("metric registered once");
        }
        Self {
            registry,
            requests,
            refusals,
            latency,
            poll_duration,
            poll_failures,
            poll_unrecorded,
            import_duration,
            import_failures,
            placement_duration,
        }
    }
}

impl Metrics {
    pub fn observe_request(&self, function: &str, outcome: &str, seconds: f64) {
        self.requests.with_label_values(&[function, outcome]).inc();
        self.latency.with_label_values(&[function]).observe(seconds);
    }

    /// A refused request, by the refusal's key.
    pub fn observe_refusal(&self, function: &str, key: &str) {
        self.refusals.with_label_values(&[function, key]).inc();
    }

    pub fn observe_poll(&self, seconds: f64) {
        self.poll_duration.observe(seconds);
    }

    /// One import pass: its time and the files it set aside.
    /// How long a create waited for its placement.
    pub fn observe_placement(&self, seconds: f64) {
        self.placement_duration.observe(seconds);
    }

    pub fn observe_import(&self, seconds: f64, failed: usize) {
        self.import_duration.observe(seconds);
        self.import_failures.inc_by(u64::try_from(failed).unwrap_or(0));
    }

    pub fn poll_failed(&self, server: &str) {
        self.poll_failures.with_label_values(&[server]).inc();
    }

    pub fn poll_unrecorded(&self, server: &str) {
        self.poll_unrecorded.with_label_values(&[server]).inc();
    }

    /// The text exposition of every metric, with the servers' current figures.
    pub fn render(&self, servers: &[Server], tenants: &[(Tenant, TenantUsage)]) -> String {
        let pool = Registry::new();
        let labelled = |name: &str, help: &str, label: &str| {
            let gauge = GaugeVec::new(Opts::new(name, help), &[label]).expect("valid metric");
            pool.register(Box::new(gauge.clone())).expect("metric registered once");
            gauge
        };
        let gauge = |name: &str, help: &str| labelled(name, help, "server");
        let load = gauge("scalelite_server_load", "Participants times the load multiplier, plus reservations");
        let online = gauge("scalelite_server_online", "1 when the server is online");
        let enabled = gauge("scalelite_server_enabled", "1 when the server takes new meetings");
        let meetings = gauge("scalelite_server_meetings", "Meetings the last poll counted");
        let users = gauge("scalelite_server_participants", "Participants the last poll counted");
        let videos = gauge("scalelite_server_videos", "Video streams the last poll counted");
        let split = gauge(
            "scalelite_server_split_meetings",
            "Meetings the last poll found running here while placed on another server",
        );
        for server in servers {
            let id = [server.id.as_str()];
            if let Some(value) = server.load {
                load.with_label_values(&id).set(value);
            }
            online.with_label_values(&id).set(f64::from(u8::from(server.online)));
            let takes = server.state == scalelite_shared::model::ServerState::Enabled;
            enabled.with_label_values(&id).set(f64::from(u8::from(takes)));
            meetings.with_label_values(&id).set(server.stats.meetings as f64);
            users.with_label_values(&id).set(server.stats.users as f64);
            videos.with_label_values(&id).set(server.stats.videos as f64);
            split.with_label_values(&id).set(server.split_meetings.len() as f64);
        }
        let tenant_gauge = |name: &str, help: &str| labelled(name, help, "tenant");
        let tenant_meetings = tenant_gauge("scalelite_tenant_meetings", "Meetings of the tenant placed now");
        let tenant_users = tenant_gauge(
            "scalelite_tenant_participants",
            "Participants of the tenant's meetings: the last polls' counts plus the joins since",
        );
        let max_meetings =
            tenant_gauge("scalelite_tenant_max_meetings", "The tenant's meeting limit, where it has one");
        let max_users =
            tenant_gauge("scalelite_tenant_max_participants", "The tenant's participant limit, where it has one");
        for (tenant, usage) in tenants {
            let name = [tenant.name.as_str()];
            tenant_meetings.with_label_values(&name).set(usage.meetings as f64);
            tenant_users.with_label_values(&name).set(usage.participants as f64);
            if let Some(max) = tenant.max_meetings {
                max_meetings.with_label_values(&name).set(max as f64);
            }
            if let Some(max) = tenant.max_participants {
                max_users.with_label_values(&name).set(max as f64);
            }
        }
        let raced = IntCounterVec::new(
            Opts::new(
                "scalelite_store_raced_attempts_total",
                "Store commits in this process that lost a race and were planned again, by decision",
            ),
            &["decision"],
        )
        .expect("valid metric");
        pool.register(Box::new(raced.clone())).expect("metric registered once");
        for decision in Decision::ALL {
            raced.with_label_values(&[decision.name()]).inc_by(raced_attempts(decision));
        }
        let mut families = self.registry.gather();
        families.extend(pool.gather());
        let mut text = Vec::new();
        // Encoding into memory cannot fail.
        let _ = TextEncoder::new().encode(&families, &mut text);
        String::from_utf8(text).unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_requests_and_servers() {
        let metrics = Metrics::default();
        metrics.observe_request("join", "redirect", 0.002);
        metrics.observe_refusal("addServer", "serverExists");
        metrics.poll_failed("bbb1");
        let mut server = Server::new("bbb1", "https://bbb1/bigbluebutton/api", "s");
        server.load = Some(12.0);
        let tenant = Tenant { max_meetings: Some(5), ..Tenant::new("t1", "school", vec!["s".into()]) };
        let text = metrics.render(&[server], &[(tenant, TenantUsage { meetings: 2, participants: 7 })]);
        assert!(text.contains("scalelite_requests_total{function=\"join\",outcome=\"redirect\"} 1"), "{text}");
        assert!(text.contains("scalelite_refusals_total{function=\"addServer\",key=\"serverExists\"} 1"), "{text}");
        assert!(text.contains("scalelite_server_load{server=\"bbb1\"} 12"));
        assert!(text.contains("scalelite_server_online{server=\"bbb1\"} 0"));
        assert!(text.contains("scalelite_poll_failures_total{server=\"bbb1\"} 1"));
        assert!(text.contains("scalelite_store_raced_attempts_total{decision=\"place\"}"), "{text}");
        assert!(text.contains("scalelite_tenant_meetings{tenant=\"school\"} 2"), "{text}");
        assert!(text.contains("scalelite_tenant_participants{tenant=\"school\"} 7"), "{text}");
        assert!(text.contains("scalelite_tenant_max_meetings{tenant=\"school\"} 5"), "{text}");
        assert!(!text.contains("scalelite_tenant_max_participants{"), "a limit not set is not shown: {text}");
        metrics.observe_placement(0.003);
        assert!(metrics.render(&[], &[]).contains("scalelite_placement_duration_seconds_count 1"));
    }
}
