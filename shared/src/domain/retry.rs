//! The one commit loop: read, plan, commit; on a lost race, again after a short pause, for up to
//! [`RACE_BUDGET`]. Every meeting-side decision of every store goes through it (and the read-change-write of
//! recordings on a store without transactions), and it counts the attempts that lost a race.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use rand::Rng;
use tokio::time::Instant;

use crate::store::StoreError;

/// How long a decision keeps being read and planned again after losing races before the call fails: far
/// longer than a burst of other replicas' commits lasts (placements through one handle take turns, so only
/// other replicas race), shorter than a front-end waits for its answer.
pub const RACE_BUDGET: Duration = Duration::from_secs(10);

/// Attempts after the first that start again at once: most races are lost to one other writer.
const IMMEDIATE: usize = 2;

/// The decisions that commit through the loop, as the metric names them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Decision {
    Place,
    Remove,
    UpdateServer,
    RecordPoll,
    ImportRecording,
    EditRecording,
}

impl Decision {
    pub const ALL: [Decision; 6] = [
        Decision::Place,
        Decision::Remove,
        Decision::UpdateServer,
        Decision::RecordPoll,
        Decision::ImportRecording,
        Decision::EditRecording,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Decision::Place => "place",
            Decision::Remove => "remove",
            Decision::UpdateServer => "update_server",
            Decision::RecordPoll => "record_poll",
            Decision::ImportRecording => "import_recording",
            Decision::EditRecording => "edit_recording",
        }
    }

    fn index(self) -> usize {
        self as usize
    }
}

static RACED: [AtomicU64; Decision::ALL.len()] = [const { AtomicU64::new(0) }; Decision::ALL.len()];

/// Attempts of `decision` in this process that lost a race and started again.
pub fn raced_attempts(decision: Decision) -> u64 {
    RACED[decision.index()].load(Ordering::Relaxed)
}

/// Counts an attempt of `decision` that lost a race.
pub(crate) fn count_race(decision: Decision) {
    RACED[decision.index()].fetch_add(1, Ordering::Relaxed);
}

/// A pause before attempt `attempt` (counted from 0) that grows with it, drawn at random so racing writers
/// drift apart.
pub(crate) async fn back_off(attempt: usize) {
    if attempt < IMMEDIATE {
        tokio::task::yield_now().await;
        return;
    }
    let ceiling = (attempt as u64).min(20) * 2;
    let pause = rand::rng().random_range(0..=ceiling);
    tokio::time::sleep(Duration::from_millis(pause)).await;
}

/// Runs `attempt` until it commits (`Some`), fails, or has lost races for [`RACE_BUDGET`]; `what` names the
/// change in the error.
pub async fn until_committed<T, E, F>(
    decision: Decision,
    what: impl FnOnce() -> String,
    mut attempt: impl FnMut() -> F,
) -> Result<T, E>
where
    E: From<StoreError>,
    F: Future<Output = Result<Option<T>, E>>,
{
    let started = Instant::now();
    for round in 0.. {
        if let Some(done) = attempt().await? {
            return Ok(done);
        }
        count_race(decision);
        if started.elapsed() >= RACE_BUDGET {
            break;
        }
        back_off(round).await;
    }
    Err(StoreError::Backend(format!("{} kept racing with other changes", what())).into())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_lost_race_is_tried_again_and_counted() {
        let before = raced_attempts(Decision::Remove);
        let left = std::cell::Cell::new(3);
        let done: Result<u8, StoreError> = until_committed(Decision::Remove, String::new, || {
            left.set(left.get() - 1);
            let committed = left.get() == 0;
            async move { Ok(committed.then_some(7)) }
        })
        .await;
        assert_eq!(done.unwrap(), 7);
        assert!(raced_attempts(Decision::Remove) >= before + 2);
    }

    #[tokio::test(start_paused = true)]
    async fn racing_for_ever_fails_with_the_change_named() {
        let failed: Result<(), StoreError> =
            until_committed(Decision::UpdateServer, || "update of server a".into(), || async { Ok(None) }).await;
        let message = failed.unwrap_err().to_string();
        assert!(message.contains("update of server a kept racing"), "{message}");
    }

    #[tokio::test]
    async fn a_failure_ends_the_loop() {
        let calls = std::cell::Cell::new(0);
        let failed: Result<(), StoreError> = until_committed(Decision::Place, String::new, || {
            calls.set(calls.get() + 1);
            async { Err(StoreError::Backend("down".into())) }
        })
        .await;
        assert!(failed.is_err());
        assert_eq!(calls.get(), 1);
    }
}
