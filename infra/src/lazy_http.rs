//! An HTTP client built on its first use: building one loads the system's trusted certificates, which a
//! process that never calls out (a `join` function, a Lambda instance answering joins) should not pay for at
//! start.

use std::sync::OnceLock;
use std::time::Duration;

/// The settings of a client and, once it was needed, the client.
#[derive(Clone, Debug)]
pub struct LazyClient {
    connect: Duration,
    total: Duration,
    max_idle_per_host: usize,
    client: OnceLock<reqwest::Client>,
}

impl LazyClient {
    /// A client that connects within `connect`, answers within `total`, keeps at most `max_idle_per_host`
    /// idle connections to a host (for 30 s), and never follows redirects.
    pub fn new(connect: Duration, total: Duration, max_idle_per_host: usize) -> Self {
        Self { connect, total, max_idle_per_host, client: OnceLock::new() }
    }

    /// The client, built now if this is its first use.
    pub fn get(&self) -> &reqwest::Client {
        self.client.get_or_init(|| {
            reqwest::Client::builder()
                .connect_timeout(self.connect)
                .timeout(self.total)
                .pool_idle_timeout(Duration::from_secs(30))
                .pool_max_idle_per_host(self.max_idle_per_host)
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .unwrap_or_default()
        })
    }
}
