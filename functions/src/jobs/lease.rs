//! Running a job pass under a store lease that is renewed while the pass runs, so a crashed holder blocks
//! the next pass for one short lease at most, however long passes take.

use std::time::Duration;

use scalelite_shared::store::{LeaseStore, StoreError};

/// A lease: its name, how long one grant lasts, and how often the holder renews it.
#[derive(Clone, Copy, Debug)]
pub struct Lease {
    pub name: &'static str,
    pub ttl: Duration,
    pub renew_every: Duration,
}

impl Lease {
    /// A lease of `ttl`, renewed three times per `ttl`.
    pub const fn renewed(name: &'static str, ttl: Duration) -> Self {
        Self { name, ttl, renew_every: Duration::from_millis(ttl.as_millis() as u64 / 3) }
    }

    fn ttl_ms(&self) -> i64 {
        i64::try_from(self.ttl.as_millis()).unwrap_or(i64::MAX)
    }

    /// Runs `pass` while holding the lease as `holder`, renewing it until the pass ends, then gives it back;
    /// `None` (without running the pass) while another holder has it.
    pub async fn hold<T>(
        &self,
        leases: &dyn LeaseStore,
        holder: &str,
        pass: impl Future<Output = T>,
    ) -> Result<Option<T>, StoreError> {
        if !leases.acquire_lease(self.name, holder, self.ttl_ms()).await? {
            return Ok(None);
        }
        let renew = async {
            loop {
                tokio::time::sleep(self.renew_every).await;
                match leases.acquire_lease(self.name, holder, self.ttl_ms()).await {
                    Ok(true) => {}
                    Ok(false) => tracing::error!(lease = self.name, "the lease was taken over while a pass ran"),
                    Err(error) => tracing::warn!(lease = self.name, %error, "could not renew the lease"),
                }
            }
        };
        let outcome = tokio::select! {
            outcome = pass => outcome,
            () = renew => unreachable!("the renewal never ends"),
        };
        leases.release_lease(self.name, holder).await?;
        Ok(Some(outcome))
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use scalelite_infra::memory::MemoryStore;

    use super::*;

    #[tokio::test]
    async fn a_long_pass_keeps_a_short_lease_and_gives_it_back() {
        let store = Arc::new(MemoryStore::default());
        let lease = Lease::renewed("import", Duration::from_millis(300));
        let rival = store.clone();
        let pass = async move {
            tokio::time::sleep(Duration::from_millis(900)).await;
            rival.acquire_lease("import", "rival", 300).await.unwrap()
        };
        let taken_meanwhile = lease.hold(&*store, "me", pass).await.unwrap();
        assert_eq!(taken_meanwhile, Some(false), "renewed past its 300 ms while the pass ran");
        assert!(store.acquire_lease("import", "rival", 300).await.unwrap(), "given back after the pass");
        assert_eq!(lease.hold(&*store, "me", async {}).await.unwrap(), None, "held by the rival now");
    }
}
