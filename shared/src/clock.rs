//! Time in the unit the stores keep, milliseconds since the Unix epoch: this machine's wall clock, and the
//! store's clock as a process follows it ([`StoreClock`]), which every decision that compares times written by
//! different processes uses.

use std::future::Future;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// How long one reading of the store's clock is followed before the store is asked again.
const FOLLOWED_FOR: Duration = Duration::from_secs(30);

tokio::task_local! {
    /// How far this task's wall clock is off (see [`with_skewed_clock`]).
    static SKEW_MS: i64;
}

/// Milliseconds since the Unix epoch, by this machine's wall clock.
pub fn now_ms() -> i64 {
    let since_epoch = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap_or_default();
    let wall_ms = i64::try_from(since_epoch.as_millis()).unwrap_or(i64::MAX);
    wall_ms.saturating_add(SKEW_MS.try_with(|skew| *skew).unwrap_or(0))
}

/// Runs `future` as a replica whose wall clock is `skew_ms` off would run it: [`now_ms`] inside it is off by
/// that much. The tests of replicas whose clocks disagree run each replica's calls in one.
pub async fn with_skewed_clock<F: Future>(skew_ms: i64, future: F) -> F::Output {
    SKEW_MS.scope(skew_ms, future).await
}

/// The store's clock as one store handle follows it: the store's time read once, then advanced by this
/// process's monotonic clock. Replicas whose wall clocks disagree agree on it to within a round trip to the
/// store, and a wall clock that jumps does not move it.
#[derive(Debug, Default)]
pub struct StoreClock {
    reading: Mutex<Option<Reading>>,
}

#[derive(Clone, Copy, Debug)]
struct Reading {
    store_ms: i64,
    at: Instant,
}

impl StoreClock {
    /// The store's time now, while the last reading is recent enough to follow.
    pub fn now_ms(&self) -> Option<i64> {
        let reading = (*self.reading.lock().unwrap_or_else(|poisoned| poisoned.into_inner()))?;
        let elapsed = reading.at.elapsed();
        (elapsed < FOLLOWED_FOR).then(|| reading.store_ms.saturating_add(millis(elapsed)))
    }

    /// Follows `store_ms`, the store's time in the answer to a request sent at `sent`: taken as the store's
    /// time halfway through the round trip. Answers the store's time now.
    pub fn record(&self, sent: Instant, store_ms: i64) -> i64 {
        let at = Instant::now();
        let store_ms = store_ms.saturating_add(millis(at.saturating_duration_since(sent)) / 2);
        *self.reading.lock().unwrap_or_else(|poisoned| poisoned.into_inner()) = Some(Reading { store_ms, at });
        store_ms
    }
}

fn millis(duration: Duration) -> i64 {
    i64::try_from(duration.as_millis()).unwrap_or(i64::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn follows_the_store_not_the_wall_clock() {
        let clock = StoreClock::default();
        assert_eq!(clock.now_ms(), None, "nothing read yet");
        let sent = Instant::now();
        let now = clock.record(sent, 1_000);
        assert!((1_000..1_100).contains(&now), "{now}");
        std::thread::sleep(Duration::from_millis(20));
        let later = clock.now_ms().expect("followed");
        assert!(later >= now + 20 && later < now + 200, "{now} then {later}");
    }

    #[test]
    fn counts_half_the_round_trip() {
        let clock = StoreClock::default();
        let sent = Instant::now().checked_sub(Duration::from_millis(400)).expect("an instant 400 ms ago");
        let now = clock.record(sent, 10_000);
        assert!((10_200..10_300).contains(&now), "{now}");
    }

    #[tokio::test]
    async fn a_skewed_task_reads_its_own_wall_clock() {
        let skewed = with_skewed_clock(-60_000, async { now_ms() }).await;
        let wall = now_ms();
        assert!((59_000..61_000).contains(&(wall - skewed)), "{wall} against {skewed}");
    }

    #[test]
    fn asks_again_after_a_while() {
        let clock = StoreClock::default();
        *clock.reading.lock().unwrap() =
            Some(Reading { store_ms: 5, at: Instant::now().checked_sub(FOLLOWED_FOR).expect("an instant") });
        assert_eq!(clock.now_ms(), None);
    }
}
