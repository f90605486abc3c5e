//! bbb-simulator: BigBlueButton servers on loopback for tests, benchmarks and the demo.
//!
//! Each server has its own secret and checks checksums, keeps meetings, counts participants on join and
//! answers BBB-shaped XML; it keeps what BBB 3.0 calls carry (chat messages, plugin manifests, a client
//! settings override), so tests see that they arrived intact. Tests control it: take it down and up, slow it,
//! set participants.

mod api;
mod bbb3;
mod meeting;
mod server;

pub use meeting::{Attendee, ChatMessage, SimMeeting};
pub use server::{RawAnswer, SimServer};

/// Several simulated servers.
pub struct Fleet {
    pub servers: Vec<SimServer>,
}

impl Fleet {
    /// Starts `count` servers on loopback, with secrets `sim-secret-0`, `sim-secret-1`, …
    pub async fn start(count: usize) -> std::io::Result<Self> {
        let mut servers = Vec::with_capacity(count);
        for index in 0..count {
            servers.push(SimServer::start(format!("sim-secret-{index}")).await?);
        }
        Ok(Self { servers })
    }

    /// The total number of meetings across the fleet.
    pub fn meeting_count(&self) -> usize {
        self.servers.iter().map(|s| s.meeting_ids().len()).sum()
    }
}
