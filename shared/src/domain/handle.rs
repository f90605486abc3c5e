//! What the domain keeps for each store handle (one process's connection to a backend): the store's clock as
//! the handle follows it, and the turn its placements take.
//!
//! Placements through one handle take their turn in arrival order (a fair queue), so they never race each
//! other: a burst of creates in one process commits one placement after another instead of all but one losing
//! and retrying, and the only races left are with other replicas, a few at a time.

use tokio::sync::{Mutex, MutexGuard};

use crate::clock::StoreClock;

/// The domain's state of one store handle.
#[derive(Debug, Default)]
pub struct HandleState {
    pub clock: StoreClock,
    placements: Mutex<()>,
}

impl HandleState {
    /// Waits for this handle's next placement turn (first come, first served).
    pub async fn placement_turn(&self) -> MutexGuard<'_, ()> {
        self.placements.lock().await
    }
}
