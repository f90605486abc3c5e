//! The meeting-side ports on the embedded store. Every read that leads to a commit opens the write
//! transaction (`BEGIN IMMEDIATE`, this process's write turn) and hands it over as its stamp, so the commit
//! writes what was planned from a snapshot nothing could change: it never races. Joins read in place on the
//! reader's connections, through the join cache while the database's change counter stands.

use std::collections::HashMap;

use scalelite_shared::balance::eligibility::counts_meetings;
use scalelite_shared::balance::placement::{Placed, PlacementRead, PlacementSnapshot, Planned};
use scalelite_shared::balance::poll::{PollOutcome, PollPlan, PollReport, PollSnapshot};
use scalelite_shared::domain::handle::HandleState;
use scalelite_shared::model::{Meeting, Server};
use scalelite_shared::store::{Commit, JoinSnapshot, Located, MeetingPorts, StoreResult};

use super::writer::WriteTx;
use super::{SqliteStore, backend, meetings, poll, servers};

/// The live meeting `id` and its server, read inside `tx`.
async fn located(tx: &mut WriteTx, id: &str, now_ms: i64) -> StoreResult<Option<Located>> {
    let Some(meeting) = meetings::find_live(tx.conn(), id, now_ms).await? else { return Ok(None) };
    let server = servers::find(tx.conn(), &meeting.server_id).await?;
    Ok(Some((meeting, server)))
}

impl MeetingPorts for SqliteStore {
    type PlaceStamp = WriteTx;
    type RemoveStamp = WriteTx;
    type ServerStamp = WriteTx;
    type PollStamp = WriteTx;

    async fn read_placement(&self, read: PlacementRead<'_>) -> StoreResult<(PlacementSnapshot, WriteTx)> {
        let mut tx = self.write().await?;
        let now = read.now_ms();
        meetings::drop_expired(tx.conn(), now).await?;
        let ids: Vec<&str> = read.requests.iter().map(|r| r.meeting_id.as_str()).collect();
        let live = meetings::find_many(tx.conn(), &ids, now).await?;
        let homes: Vec<&str> = live.iter().map(|m| m.server_id.as_str()).collect();
        let homes = servers::find_many(tx.conn(), &homes).await?;
        let current = live
            .into_iter()
            .map(|m| {
                let server = homes.get(&m.server_id).cloned();
                (m.id.clone(), (m, server))
            })
            .collect();
        let (servers, reach) = servers::least_loaded(tx.conn(), read.depth).await?;
        let counted: Vec<&str> = servers.iter().filter(|s| counts_meetings(s)).map(|s| s.id.as_str()).collect();
        let placed_meetings = meetings::count_on(tx.conn(), &counted, now).await?;
        let mut tenant_meetings = HashMap::new();
        for tenant in read.counted_tenants() {
            tenant_meetings.insert(tenant.to_owned(), meetings::count_of_tenant(tx.conn(), tenant, now).await?);
        }
        let snapshot = PlacementSnapshot {
            current,
            servers,
            reach,
            bridge_holders: meetings::bridge_holders(tx.conn(), &read.voice_bridges(), now).await?,
            placed_meetings,
            tenant_meetings,
        };
        Ok((snapshot, tx))
    }

    /// One transaction for the whole batch, read under the write lock: nothing races it.
    async fn commit_placement(&self, mut tx: WriteTx, plans: &[Planned]) -> StoreResult<Vec<Commit>> {
        for planned in plans {
            match &planned.placed {
                Placed::Existing { meeting, .. } => meetings::mark_sent(tx.conn(), meeting).await?,
                Placed::New { meeting, server, replaced } => {
                    if let Some(old) = replaced {
                        meetings::remove(tx.conn(), old).await?;
                        servers::add_load(tx.conn(), &old.server_id, -planned.returned).await?;
                    }
                    meetings::insert(tx.conn(), meeting).await?;
                    servers::add_load(tx.conn(), &server.id, meeting.reserved_load).await?;
                }
            }
        }
        tx.commit().await?;
        Ok(vec![Commit::Committed(()); plans.len()])
    }

    async fn read_removal(&self, id: &str, now_ms: i64) -> StoreResult<(Option<Located>, WriteTx)> {
        let mut tx = self.write().await?;
        let found = located(&mut tx, id, now_ms).await?;
        Ok((found, tx))
    }

    async fn commit_removal(&self, mut tx: WriteTx, meeting: &Meeting, returned: f64) -> StoreResult<Commit> {
        meetings::remove(tx.conn(), meeting).await?;
        servers::add_load(tx.conn(), &meeting.server_id, -returned).await?;
        tx.commit().await.map(Commit::Committed)
    }

    async fn read_server(&self, id: &str) -> StoreResult<(Option<Server>, WriteTx)> {
        let mut tx = self.write().await?;
        let server = servers::find(tx.conn(), id).await?;
        Ok((server, tx))
    }

    async fn commit_server(&self, mut tx: WriteTx, server: &Server) -> StoreResult<Commit<bool>> {
        servers::save(tx.conn(), server).await?;
        tx.commit().await?;
        Ok(Commit::Committed(true))
    }

    async fn commit_new_server(&self, server: &Server) -> StoreResult<()> {
        let mut tx = self.write().await?;
        servers::insert(tx.conn(), server).await?;
        tx.commit().await
    }

    async fn commit_server_removal(&self, id: &str) -> StoreResult<bool> {
        let mut tx = self.write().await?;
        let deleted = servers::delete(tx.conn(), id).await?;
        tx.commit().await?;
        Ok(deleted)
    }

    async fn read_polls(&self, batch: &[(String, PollReport)]) -> StoreResult<(Vec<Option<PollSnapshot>>, WriteTx)> {
        let mut tx = self.write().await?;
        let snapshots = poll::read(tx.conn(), batch).await?;
        Ok((snapshots, tx))
    }

    async fn commit_polls(
        &self,
        mut tx: WriteTx,
        batch: &[(String, PollReport)],
        plans: Vec<Option<PollPlan>>,
    ) -> StoreResult<Vec<Commit<PollOutcome>>> {
        let outcomes = poll::write(tx.conn(), batch, plans).await?;
        tx.commit().await?;
        Ok(outcomes.into_iter().map(Commit::Committed).collect())
    }

    /// From the join cache while the change counter stands (the counter is read first, so what is kept is
    /// never older than the value it is kept under), else read in place and kept.
    async fn read_join(&self, meeting_id: &str, now_ms: i64) -> StoreResult<JoinSnapshot> {
        let counter = self.changes.current();
        if let Some(server) = counter.and_then(|counter| self.joins.get(meeting_id, &counter, now_ms)) {
            return Ok(JoinSnapshot::Placed(Some(server)));
        }
        let (snapshot, expires_at_ms) = self.reader.join_snapshot(meeting_id, now_ms)?;
        if let (Some(counter), JoinSnapshot::Placed(Some(server)), Some(expires_at_ms)) =
            (counter, &snapshot, expires_at_ms)
        {
            self.joins.put(meeting_id, counter, server, expires_at_ms);
        }
        Ok(snapshot)
    }

    /// Gathered in the ledger and written with the next write transaction.
    async fn count_join(&self, meeting_id: &str, server_id: &str, load: Option<f64>) -> StoreResult<()> {
        self.writer.ledger.count(meeting_id, server_id, load);
        Ok(())
    }

    /// Written with the next write transaction (within half a second): every poll is one, so a poll always
    /// reads the confirmations made before it.
    async fn commit_confirmation(&self, meeting: &Meeting, now_ms: i64) -> StoreResult<()> {
        self.writer.ledger.confirm(meeting, now_ms);
        Ok(())
    }

    async fn list_servers(&self) -> StoreResult<Vec<Server>> {
        Ok(servers::all(&self.pool).await?.into_iter().map(|s| self.writer.ledger.overlay(s)).collect())
    }

    async fn find_server(&self, id: &str) -> StoreResult<Option<Server>> {
        Ok(servers::find(&self.pool, id).await?.map(|s| self.writer.ledger.overlay(s)))
    }

    async fn find_meeting(&self, id: &str, now_ms: i64) -> StoreResult<Option<Meeting>> {
        Ok(meetings::find_live(&self.pool, id, now_ms).await?.map(|m| self.writer.ledger.overlay_meeting(m)))
    }

    async fn list_meetings_on(&self, server_id: &str, now_ms: i64) -> StoreResult<Vec<Meeting>> {
        let mut db = self.pool.acquire().await.map_err(backend)?;
        let on = meetings::on_servers(&mut db, &[server_id], now_ms).await?.remove(server_id).unwrap_or_default();
        Ok(on.into_iter().map(|m| self.writer.ledger.overlay_meeting(m)).collect())
    }

    async fn list_tenant_meetings(&self, tenant_id: &str, now_ms: i64) -> StoreResult<Vec<Meeting>> {
        let mut db = self.pool.acquire().await.map_err(backend)?;
        let of_tenant = meetings::of_tenant(&mut db, tenant_id, now_ms).await?;
        Ok(of_tenant.into_iter().map(|m| self.writer.ledger.overlay_meeting(m)).collect())
    }

    async fn find_by_voice_bridge(&self, number: &str, now_ms: i64) -> StoreResult<Option<Meeting>> {
        meetings::holding_bridge(&self.pool, number, now_ms).await
    }

    async fn ping_backend(&self) -> StoreResult<()> {
        sqlx::query("SELECT 1").execute(&self.pool).await.map(|_| ()).map_err(backend)
    }

    fn handle_state(&self) -> &HandleState {
        &self.handle
    }

    /// The time SQLite's own date functions read (the machine's clock, which every process sharing the
    /// database file reads too).
    async fn read_store_time(&self) -> StoreResult<i64> {
        sqlx::query_scalar("SELECT CAST(ROUND((julianday('now') - 2440587.5) * 86400000.0) AS INTEGER)")
            .fetch_one(&self.pool)
            .await
            .map_err(backend)
    }
}
