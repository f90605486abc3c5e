//! One simulated BBB server: its listener, its state, and the controls tests use.

use std::collections::{BTreeMap, VecDeque};
use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use tokio::net::TcpListener;
use tokio::task::{JoinHandle, JoinSet};

use crate::meeting::{Attendee, SimMeeting};

/// An answer a test chooses whole.
#[derive(Clone, Debug)]
pub struct RawAnswer {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

/// How many of the latest calls a server keeps for [`SimServer::calls`]: enough for any test, bounded for a
/// demo fleet that runs for hours.
pub(crate) const CALLS_KEPT: usize = 10_000;

/// The mutable state of a simulated server.
#[derive(Default)]
pub(crate) struct State {
    pub meetings: BTreeMap<String, SimMeeting>,
    /// The latest calls received (at most [`CALLS_KEPT`]): `call?query`.
    pub calls: VecDeque<String>,
    pub delay: Duration,
    /// Extra delays of single calls (by call name), e.g. a slow `create`.
    pub call_delays: std::collections::HashMap<String, Duration>,
    /// Answers given instead of the real one (by call name): status, headers and body, as a hostile or broken
    /// server would send them.
    pub raw_answers: std::collections::HashMap<String, RawAnswer>,
    pub next_user: u64,
}

pub(crate) struct Shared {
    pub secret: String,
    pub addr: SocketAddr,
    state: Mutex<State>,
}

impl Shared {
    pub fn state(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

/// A simulated BBB server on loopback.
pub struct SimServer {
    shared: Arc<Shared>,
    listener: Mutex<Option<JoinHandle<()>>>,
}

async fn accept_loop(listener: TcpListener, shared: Arc<Shared>) {
    // Dropping this set (when the task is aborted) closes every open connection: the server is gone.
    let mut connections = JoinSet::new();
    loop {
        let Ok((stream, _)) = listener.accept().await else {
            continue;
        };
        let shared = shared.clone();
        connections.spawn(async move {
            let service = service_fn(move |req| {
                let shared = shared.clone();
                async move { Ok::<_, Infallible>(crate::api::respond(&shared, req).await) }
            });
            let _ = http1::Builder::new().serve_connection(TokioIo::new(stream), service).await;
        });
        while connections.try_join_next().is_some() {}
    }
}

impl SimServer {
    /// Starts a server with `secret` on a free loopback port.
    pub async fn start(secret: impl Into<String>) -> std::io::Result<Self> {
        let listener = TcpListener::bind("127.0.0.1:0").await?;
        let shared = Arc::new(Shared { secret: secret.into(), addr: listener.local_addr()?, state: Mutex::default() });
        let task = tokio::spawn(accept_loop(listener, shared.clone()));
        Ok(Self { shared, listener: Mutex::new(Some(task)) })
    }

    /// The API base URL, e.g. `http://127.0.0.1:40000/bigbluebutton/api`.
    pub fn url(&self) -> String {
        format!("http://{}/bigbluebutton/api", self.shared.addr)
    }

    pub fn secret(&self) -> &str {
        &self.shared.secret
    }

    pub fn addr(&self) -> SocketAddr {
        self.shared.addr
    }

    fn handle(&self) -> MutexGuard<'_, Option<JoinHandle<()>>> {
        self.listener.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Stops listening and drops every connection: calls are refused until [`SimServer::come_up`].
    pub async fn go_down(&self) {
        let task = self.handle().take();
        if let Some(task) = task {
            task.abort();
            let _ = task.await;
        }
    }

    /// Listens again on the same port, keeping its meetings.
    pub async fn come_up(&self) -> std::io::Result<()> {
        if self.handle().is_some() {
            return Ok(());
        }
        let listener = TcpListener::bind(self.shared.addr).await?;
        let task = tokio::spawn(accept_loop(listener, self.shared.clone()));
        *self.handle() = Some(task);
        Ok(())
    }

    /// Delays every answer by `delay`.
    pub fn set_delay(&self, delay: Duration) {
        self.shared.state().delay = delay;
    }

    /// Delays every answer to `call` by `delay` (before the call takes effect).
    pub fn set_call_delay(&self, call: &str, delay: Duration) {
        self.shared.state().call_delays.insert(call.to_owned(), delay);
    }

    /// Answers `call` with `answer` instead of the real answer.
    pub fn set_raw_answer(&self, call: &str, answer: RawAnswer) {
        self.shared.state().raw_answers.insert(call.to_owned(), answer);
    }

    /// Sets how many people are in a meeting (the first one a moderator); false if there is no such meeting.
    pub fn set_participants(&self, meeting_id: &str, count: usize) -> bool {
        let mut state = self.shared.state();
        let first_user = state.next_user;
        let Some(meeting) = state.meetings.get_mut(meeting_id) else {
            return false;
        };
        meeting.attendees.truncate(count);
        let mut user = first_user;
        while meeting.attendees.len() < count {
            user += 1;
            let moderator = meeting.attendees.is_empty();
            meeting.attendees.push(Attendee {
                user_id: format!("sim-{user}"),
                full_name: format!("User {user}"),
                moderator,
            });
        }
        state.next_user = user;
        true
    }

    /// Sets how many of a meeting's participants are on audio and how many video streams it has; false if there
    /// is no such meeting.
    pub fn set_media(&self, meeting_id: &str, voice_participants: usize, videos: usize) -> bool {
        let mut state = self.shared.state();
        let Some(meeting) = state.meetings.get_mut(meeting_id) else {
            return false;
        };
        (meeting.voice_participants, meeting.videos) = (voice_participants, videos);
        true
    }

    /// The meetings it holds.
    pub fn meeting_ids(&self) -> Vec<String> {
        self.shared.state().meetings.keys().cloned().collect()
    }

    pub fn meeting(&self, meeting_id: &str) -> Option<SimMeeting> {
        self.shared.state().meetings.get(meeting_id).cloned()
    }

    /// Ends a meeting as its last moderator leaving would; false when it holds no such meeting.
    pub fn end_meeting(&self, meeting_id: &str) -> bool {
        self.shared.state().meetings.remove(meeting_id).is_some()
    }

    /// The latest calls received (up to 10,000), oldest first, as `call?query`.
    pub fn calls(&self) -> Vec<String> {
        self.shared.state().calls.iter().cloned().collect()
    }
}

impl Drop for SimServer {
    fn drop(&mut self) {
        if let Some(task) = self.handle().take() {
            task.abort();
        }
    }
}
