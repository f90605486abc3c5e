//! Placements through one handle, planned together: whoever holds the handle's turn reads one snapshot for
//! every placement waiting, plans each in arrival order with the plans before it applied, and has the store
//! commit them in one go. A plan the servers read do not decide is read again deeper; one that lost a race to
//! another replica is planned again, until a round has committed nothing for [`RACE_BUDGET`].

use tokio::sync::oneshot::error::TryRecvError;
use tokio::time::Instant;

use super::handle::Waiting;
use super::retry::{Decision, RACE_BUDGET, back_off, count_race};
use crate::balance::placement::{self, Placed, Placement, PlacementRead, Planned, Refusal};
use crate::store::{MeetingPorts, PlaceError, StoreError};

/// Places `request` through `ports`, with whatever other placements wait for the same turn.
pub(super) async fn place<P: MeetingPorts>(ports: &P, request: &Placement) -> Result<Placed, PlaceError> {
    let queue = &ports.handle_state().placements;
    let mut answer = queue.enqueue(request.clone());
    loop {
        let turn = queue.turn().await;
        match answer.try_recv() {
            Ok(placed) => return placed,
            // The one placing it was cancelled before answering: it waits again (if its placement was
            // committed, it is now found and kept).
            Err(TryRecvError::Closed) => answer = queue.enqueue(request.clone()),
            Err(TryRecvError::Empty) => {}
        }
        place_batch(ports, queue.take()).await;
        drop(turn);
        if let Ok(placed) = answer.try_recv() {
            return placed;
        }
    }
}

/// A request's outcome in one round.
enum Outcome {
    Planned(usize),
    Refused(Refusal, usize),
    Unread,
}

/// Places `batch` (no meeting id twice) and answers each.
async fn place_batch<P: MeetingPorts>(ports: &P, mut batch: Vec<Waiting>) {
    // When a round last committed a plan: a batch fails only after that long without any.
    let mut progressed = Instant::now();
    // Deeper each time the servers read did not decide, until the read takes every server.
    let mut deeper = 0;
    for round in 0.. {
        if batch.is_empty() {
            return;
        }
        let requests: Vec<Placement> = batch.iter().map(|w| w.request.clone()).collect();
        let read = (0..deeper).fold(PlacementRead::first(&requests), |read, _| read.deeper());
        let (outcomes, committed) = match place_round(ports, read).await {
            Ok(done) => done,
            Err(error) => {
                for waiting in batch {
                    let _ = waiting.answer.send(Err(error.clone().into()));
                }
                return;
            }
        };
        // A refusal planned after a plan that raced may not hold once that plan is made again.
        let first_raced = committed.iter().position(|c| c.is_none()).unwrap_or(usize::MAX);
        if committed.iter().any(Option::is_some) {
            progressed = Instant::now();
        }
        let mut left = Vec::new();
        let mut raced = false;
        let mut unread = false;
        for (waiting, outcome) in batch.into_iter().zip(outcomes) {
            match outcome {
                Outcome::Planned(index) => match &committed[index] {
                    Some(placed) => {
                        let _ = waiting.answer.send(Ok(placed.clone()));
                    }
                    None => {
                        raced = true;
                        left.push(waiting);
                    }
                },
                Outcome::Refused(refusal, before) if before <= first_raced => {
                    let _ = waiting.answer.send(Err(refusal.into()));
                }
                Outcome::Refused(..) => left.push(waiting),
                Outcome::Unread => {
                    unread = true;
                    left.push(waiting);
                }
            }
        }
        if unread {
            deeper += 1;
        }
        if raced {
            count_race(Decision::Place);
            if progressed.elapsed() >= RACE_BUDGET {
                for waiting in left {
                    let what = format!("placement of {} kept racing with other changes", waiting.request.meeting_id);
                    let _ = waiting.answer.send(Err(StoreError::Backend(what).into()));
                }
                return;
            }
            back_off(round).await;
        }
        batch = left;
    }
}

/// One read, the plans made from it and their commit: each request's outcome, and for each plan what it placed
/// when it committed.
async fn place_round<P: MeetingPorts>(
    ports: &P,
    read: PlacementRead<'_>,
) -> Result<(Vec<Outcome>, Vec<Option<Placed>>), StoreError> {
    let (mut snapshot, stamp) = ports.read_placement(read).await?;
    let mut plans: Vec<Planned> = Vec::new();
    let mut outcomes = Vec::with_capacity(read.requests.len());
    for request in read.requests {
        outcomes.push(match placement::plan(request, &snapshot) {
            Ok(Some(planned)) => {
                snapshot.apply(&planned);
                plans.push(planned);
                Outcome::Planned(plans.len() - 1)
            }
            Ok(None) => Outcome::Unread,
            Err(refusal) => Outcome::Refused(refusal, plans.len()),
        });
    }
    if plans.is_empty() {
        return Ok((outcomes, Vec::new()));
    }
    let commits = ports.commit_placement(stamp, &plans).await?;
    let placed = plans.into_iter().zip(commits).map(|(planned, commit)| commit.committed().map(|()| planned.placed));
    Ok((outcomes, placed.collect()))
}
