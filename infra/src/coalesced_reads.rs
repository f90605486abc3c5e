//! Reads of one key shared by the callers that ask for it at once (a class of hundreds joining as it starts): a
//! caller that finds no read of its key on the way makes one itself; a caller that finds one on the way waits for
//! the next read, which starts when that one ends and answers every caller that came meanwhile. So every caller
//! gets a read that started after it asked (it sees every write that ended before), and the store is asked at most
//! twice per round trip and key, however many callers there are.

use std::collections::HashMap;
use std::future::Future;
use std::sync::{Arc, Mutex, MutexGuard};

use futures::FutureExt;
use futures::future::BoxFuture;
use tokio::sync::watch;

/// The read that starts when the one on the way ends, and the callers that wait for it.
struct Next<T> {
    answer: watch::Sender<Option<T>>,
    read: BoxFuture<'static, T>,
}

/// The reads on the way, by key, each with the read gathering behind it (if any caller came meanwhile).
pub(crate) struct CoalescedReads<T> {
    flights: Mutex<HashMap<String, Option<Next<T>>>>,
}

impl<T> std::fmt::Debug for CoalescedReads<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CoalescedReads").finish_non_exhaustive()
    }
}

impl<T> Default for CoalescedReads<T> {
    fn default() -> Self {
        Self { flights: Mutex::default() }
    }
}

/// What a caller does: read now, or wait for the next read.
enum Turn<T> {
    Read,
    Wait(watch::Receiver<Option<T>>),
}

impl<T: Clone + Send + Sync + 'static> CoalescedReads<T> {
    /// The answer of a read of `key` that started after this call: this caller's own (`read`) when no read of
    /// `key` is on the way, else the next one, shared (made by `shared`, which owns what it reads with).
    pub async fn read<Fut>(self: &Arc<Self>, key: &str, read: impl Future<Output = T>, shared: impl Fn() -> Fut) -> T
    where
        Fut: Future<Output = T> + Send + 'static,
    {
        let turn = {
            let mut flights = self.flights();
            match flights.get_mut(key) {
                None => {
                    flights.insert(key.to_owned(), None);
                    Turn::Read
                }
                Some(Some(next)) => Turn::Wait(next.answer.subscribe()),
                Some(gathering) => {
                    let (answer, waiting) = watch::channel(None);
                    *gathering = Some(Next { answer, read: shared().boxed() });
                    Turn::Wait(waiting)
                }
            }
        };
        match turn {
            Turn::Read => {
                let _hand_over = HandOver { reads: self, key };
                read.await
            }
            // The next read's task ended without an answer (the runtime is stopping): read alone.
            Turn::Wait(waiting) => match answer(waiting).await {
                Some(answer) => answer,
                None => shared().await,
            },
        }
    }

    fn flights(&self) -> MutexGuard<'_, HashMap<String, Option<Next<T>>>> {
        self.flights.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// The read of `key` on the way ended (or its caller went away): the read gathered behind it starts, in a
    /// task of its own, so no caller's going away leaves the others waiting; with none gathered, `key` is free.
    fn hand_over(self: &Arc<Self>, key: &str) {
        let next = {
            let mut flights = self.flights();
            let next = flights.get_mut(key).and_then(Option::take);
            if next.is_none() {
                flights.remove(key);
            }
            next
        };
        let Some(Next { answer, read }) = next else { return };
        let Ok(runtime) = tokio::runtime::Handle::try_current() else {
            // No runtime to run it in (the process is stopping): its callers read alone, and `key` is free.
            self.flights().remove(key);
            return;
        };
        let (reads, key) = (Arc::clone(self), key.to_owned());
        runtime.spawn(async move {
            let _hand_over = HandOver { reads: &reads, key: &key };
            answer.send_replace(Some(read.await));
        });
    }
}

/// The answer sent to `waiting`; `None` when its sender went away without one.
async fn answer<T: Clone>(mut waiting: watch::Receiver<Option<T>>) -> Option<T> {
    waiting.wait_for(Option::is_some).await.ok().and_then(|answer| answer.clone())
}

/// Hands `key` over to the read gathered behind its read when that read ends, fails or is dropped by its caller.
struct HandOver<'a, T: Clone + Send + Sync + 'static> {
    reads: &'a Arc<CoalescedReads<T>>,
    key: &'a str,
}

impl<T: Clone + Send + Sync + 'static> Drop for HandOver<'_, T> {
    fn drop(&mut self) {
        self.reads.hand_over(self.key);
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::time::Duration;

    use tokio::sync::Notify;

    use super::*;

    /// A store whose reads answer its version (moved on by writes) as the read starts, once let through.
    #[derive(Default)]
    struct Store {
        version: AtomicUsize,
        reads: AtomicUsize,
        gate: Notify,
    }

    impl Store {
        fn read(self: &Arc<Self>) -> impl Future<Output = usize> + Send + 'static {
            let store = Arc::clone(self);
            async move {
                store.reads.fetch_add(1, Ordering::SeqCst);
                let seen = store.version.load(Ordering::SeqCst);
                store.gate.notified().await;
                seen
            }
        }
    }

    /// A caller of `key` through `reads`, on `store`.
    fn caller(
        reads: &Arc<CoalescedReads<usize>>,
        store: &Arc<Store>,
        key: &'static str,
    ) -> tokio::task::JoinHandle<usize> {
        let (reads, store) = (reads.clone(), store.clone());
        tokio::spawn(async move { reads.read(key, store.read(), || store.read()).await })
    }

    async fn settle() {
        for _ in 0..10 {
            tokio::task::yield_now().await;
        }
    }

    #[tokio::test]
    async fn callers_during_a_read_share_the_next_one_and_see_what_was_written_before_they_asked() {
        let (reads, store) = (Arc::new(CoalescedReads::default()), Arc::new(Store::default()));
        let first = caller(&reads, &store, "m");
        settle().await;
        // A write ends after the first read started: the callers that ask now must see it.
        store.version.store(1, Ordering::SeqCst);
        let later: Vec<_> = (0..20).map(|_| caller(&reads, &store, "m")).collect();
        settle().await;
        assert_eq!(store.reads.load(Ordering::SeqCst), 1, "the later callers wait for the first read to end");
        store.gate.notify_one();
        assert_eq!(first.await.unwrap(), 0);
        settle().await;
        store.gate.notify_one();
        for caller in later {
            assert_eq!(caller.await.unwrap(), 1, "every later caller sees the write");
        }
        assert_eq!(store.reads.load(Ordering::SeqCst), 2, "twenty callers, one read");
        assert!(reads.flights().is_empty(), "nothing left on the way");
    }

    #[tokio::test]
    async fn other_keys_read_on_their_own() {
        let (reads, store) = (Arc::new(CoalescedReads::default()), Arc::new(Store::default()));
        let callers: Vec<_> = ["a", "b", "c"].into_iter().map(|key| caller(&reads, &store, key)).collect();
        settle().await;
        assert_eq!(store.reads.load(Ordering::SeqCst), 3);
        for _ in 0..3 {
            store.gate.notify_one();
        }
        for caller in callers {
            caller.await.unwrap();
        }
    }

    #[tokio::test]
    async fn a_caller_that_goes_away_mid_read_leaves_no_one_waiting() {
        let (reads, store) = (Arc::new(CoalescedReads::default()), Arc::new(Store::default()));
        let first = caller(&reads, &store, "m");
        settle().await;
        let waiting = caller(&reads, &store, "m");
        settle().await;
        first.abort();
        settle().await;
        store.gate.notify_one();
        let answer = tokio::time::timeout(Duration::from_secs(5), waiting).await.expect("answered").unwrap();
        assert_eq!(answer, 0);
        assert_eq!(store.reads.load(Ordering::SeqCst), 2);
        settle().await;
        assert!(reads.flights().is_empty());
    }

    #[tokio::test]
    async fn a_read_that_panics_leaves_the_key_free() {
        let (reads, store) = (Arc::new(CoalescedReads::<usize>::default()), Arc::new(Store::default()));
        let panicking = tokio::spawn({
            let (reads, store) = (reads.clone(), store.clone());
            async move {
                let read = async move {
                    store.gate.notified().await;
                    panic!("the store's client failed");
                };
                reads.read("m", read, || async { 0 }).await
            }
        });
        settle().await;
        let waiting = caller(&reads, &store, "m");
        settle().await;
        store.gate.notify_one();
        assert!(panicking.await.is_err());
        settle().await;
        store.gate.notify_one();
        assert_eq!(waiting.await.unwrap(), 0, "the read gathered behind ran");
        settle().await;
        assert!(reads.flights().is_empty(), "nothing left on the way");
    }

    #[test]
    fn a_read_dropped_once_the_runtime_is_gone_leaves_the_key_free() {
        let reads = Arc::new(CoalescedReads::<usize>::default());
        let runtime = tokio::runtime::Builder::new_current_thread().build().unwrap();
        let mut first = Box::pin(reads.read("m", std::future::pending(), || async { 1 }));
        let mut gathered = Box::pin(reads.read("m", std::future::pending(), || async { 2 }));
        runtime.block_on(async {
            assert!(futures::poll!(&mut first).is_pending());
            assert!(futures::poll!(&mut gathered).is_pending());
        });
        drop(runtime);
        drop(first);
        assert!(reads.flights().is_empty(), "no read left on the way for good");
        drop(gathered);
    }
}
