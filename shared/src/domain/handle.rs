//! What the domain keeps for each store handle (one process's connection to a backend): the store's clock as
//! the handle follows it, and the queue its placements wait in.
//!
//! Placements through one handle never race each other: each waits in the queue, and whoever holds the turn
//! takes every placement waiting (in arrival order) and has them planned from one read and committed together,
//! so a burst of creates in one process costs a few store round trips instead of a few each, and the only races
//! left are with other replicas.

use std::collections::{HashSet, VecDeque};
use std::fmt;
use std::sync::{Mutex, MutexGuard as LockGuard};

use tokio::sync::{Mutex as Turn, MutexGuard, oneshot};

use crate::balance::placement::{Placed, Placement};
use crate::clock::StoreClock;
use crate::store::PlaceError;

/// The most placements planned and committed together.
pub const PLACEMENT_BATCH: usize = 256;

/// The domain's state of one store handle.
#[derive(Debug, Default)]
pub struct HandleState {
    pub clock: StoreClock,
    pub placements: PlacementQueue,
}

/// Where a placement's answer goes.
pub type Answer = oneshot::Sender<Result<Placed, PlaceError>>;

/// A placement waiting for its turn.
pub struct Waiting {
    pub request: Placement,
    pub answer: Answer,
}

/// The placements waiting, and the turn of the one placing them.
#[derive(Default)]
pub struct PlacementQueue {
    waiting: Mutex<VecDeque<Waiting>>,
    turn: Turn<()>,
}

impl fmt::Debug for PlacementQueue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PlacementQueue").field("waiting", &self.waiting().len()).finish_non_exhaustive()
    }
}

impl PlacementQueue {
    fn waiting(&self) -> LockGuard<'_, VecDeque<Waiting>> {
        self.waiting.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Puts `request` in the queue; its answer comes through the receiver.
    pub fn enqueue(&self, request: Placement) -> oneshot::Receiver<Result<Placed, PlaceError>> {
        let (answer, received) = oneshot::channel();
        self.waiting().push_back(Waiting { request, answer });
        received
    }

    /// Waits for the turn to place (first come, first served).
    pub async fn turn(&self) -> MutexGuard<'_, ()> {
        self.turn.lock().await
    }

    /// The placements to plan together: those waiting, in arrival order, up to [`PLACEMENT_BATCH`] and up to the
    /// first meeting id already taken (a meeting's second create is planned from a read after its first). A
    /// placement whose create was given up while it waited (the client went away) is dropped, not placed.
    pub fn take(&self) -> Vec<Waiting> {
        let mut waiting = self.waiting();
        waiting.retain(|w| !w.answer.is_closed());
        let mut ids = HashSet::new();
        let size =
            waiting.iter().take(PLACEMENT_BATCH).take_while(|w| ids.insert(w.request.meeting_id.clone())).count();
        waiting.drain(..size).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::balance::placement::tests::request;

    #[test]
    fn a_batch_stops_at_a_meeting_id_taken_and_leaves_given_up_placements_out() {
        let queue = PlacementQueue::default();
        let _a = queue.enqueue(request("a"));
        drop(queue.enqueue(request("gone")));
        let _b = queue.enqueue(request("b"));
        let _again = queue.enqueue(request("a"));
        let ids = |batch: Vec<Waiting>| batch.into_iter().map(|w| w.request.meeting_id).collect::<Vec<_>>();
        assert_eq!(ids(queue.take()), ["a", "b"]);
        assert_eq!(ids(queue.take()), ["a"]);
        assert!(queue.take().is_empty());
    }
}
