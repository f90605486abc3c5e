//! The meeting-side ports on DynamoDB: snapshots from consistent reads with the items' versions, commits as
//! conditional writes and transactions that answer raced when a condition fails.

use futures::future::join_all;
use scalelite_shared::balance::placement::{PlacementRead, PlacementSnapshot, Planned};
use scalelite_shared::balance::poll::{PollOutcome, PollPlan, PollReport, PollSnapshot};
use scalelite_shared::domain::handle::HandleState;
use scalelite_shared::model::{Meeting, Server, ServerState};
use scalelite_shared::store::{Commit, JoinSnapshot, Located, MeetingPorts, MeetingStore, StoreError, StoreResult};

use super::items::{self, get_s, key, n, s};
use super::placement::PlaceRead;
use super::polls::PollRead;
use super::{DynamoMeetings, backend, is_conflict, service_clock};

impl MeetingPorts for DynamoMeetings {
    type PlaceStamp = PlaceRead;
    /// The meeting's server's version as read, when the server has a load to give back to.
    type RemoveStamp = Option<i64>;
    /// The server's version as read.
    type ServerStamp = i64;
    type PollStamp = Vec<PollRead>;

    async fn read_placement(&self, read: PlacementRead<'_>) -> StoreResult<(PlacementSnapshot, PlaceRead)> {
        self.read_placement_snapshot(read).await
    }

    /// Each plan in its own transaction. The guard's ceiling is not checked: the chosen server's version is (and
    /// the tenant's, when the guard asks), which every change of the server but a join moves, so a placement
    /// elsewhere that fills it makes the plan read again.
    async fn commit_placement(&self, read: PlaceRead, plans: &[Planned]) -> StoreResult<Vec<Commit>> {
        self.commit_plans(read, plans).await
    }

    async fn read_removal(&self, id: &str, now_ms: i64) -> StoreResult<(Option<Located>, Option<i64>)> {
        let Some(meeting) = self.meeting_raw(id).await?.filter(|m| m.expires_at_ms > now_ms) else {
            return Ok((None, None));
        };
        let server = self.server_versioned(&meeting.server_id).await?;
        let version = server.as_ref().filter(|(server, _)| server.load.is_some()).map(|(_, version)| *version);
        Ok((Some((meeting, server.map(|(server, _)| server))), version))
    }

    async fn commit_removal(&self, version: Option<i64>, meeting: &Meeting, returned: f64) -> StoreResult<Commit> {
        let give_back = version.map(|version| self.give_back(&meeting.server_id, version, returned)).transpose()?;
        Ok(Commit::held(self.remove(meeting, give_back).await?))
    }

    async fn read_server(&self, id: &str) -> StoreResult<(Option<Server>, i64)> {
        Ok(match self.server_versioned(id).await? {
            Some((server, version)) => (Some(server), version),
            None => (None, 0),
        })
    }

    async fn commit_server(&self, version: i64, server: &Server) -> StoreResult<Commit<bool>> {
        Ok(if self.save_server(server, version).await? { Commit::Committed(true) } else { Commit::Raced })
    }

    async fn commit_new_server(&self, server: &Server) -> StoreResult<()> {
        let added = self
            .db
            .client
            .put_item()
            .table_name(&self.tables().servers)
            .set_item(Some(items::server_item(server, 1)))
            .condition_expression("attribute_not_exists(id)")
            .send()
            .await;
        match added {
            Ok(_) => Ok(()),
            Err(error) if is_conflict(&error) => Err(StoreError::Conflict(format!("server {}", server.id))),
            Err(error) => Err(backend(error)),
        }
    }

    async fn commit_server_removal(&self, id: &str) -> StoreResult<bool> {
        Ok(self.db.take(&self.tables().servers, key("id", id)).await?.is_some())
    }

    async fn read_polls(
        &self,
        batch: &[(String, PollReport)],
    ) -> StoreResult<(Vec<Option<PollSnapshot>>, Vec<PollRead>)> {
        Ok(self.read_poll_batch(batch).await)
    }

    async fn commit_polls(
        &self,
        reads: Vec<PollRead>,
        batch: &[(String, PollReport)],
        plans: Vec<Option<PollPlan>>,
    ) -> StoreResult<Vec<Commit<PollOutcome>>> {
        let commits = batch
            .iter()
            .zip(reads.into_iter().zip(plans))
            .map(|((id, report), (read, plan))| self.commit_poll(id, report, read, plan));
        Ok(join_all(commits).await)
    }

    /// Joins of one meeting that come while its read is on the way share the next read.
    async fn read_join(&self, meeting_id: &str, now_ms: i64) -> StoreResult<JoinSnapshot> {
        // A shared read starts after every join it answers: it reads at the store's time when it starts.
        let shared = || {
            let (store, id) = (self.clone(), meeting_id.to_owned());
            async move { store.join_snapshot(&id, MeetingStore::now_ms(&store).await?).await }
        };
        self.join_reads.read(meeting_id, self.join_snapshot(meeting_id, now_ms), shared).await
    }

    /// Counts the participant while the meeting stays on the server, and adds the load while the server stays
    /// enabled with a known load; the versions stay, so no placement retries over a join.
    async fn count_join(&self, meeting_id: &str, server_id: &str, load: Option<f64>) -> StoreResult<()> {
        let joined = self
            .db
            .client
            .update_item()
            .table_name(&self.tables().meetings)
            .set_key(Some(key("id", meeting_id)))
            .update_expression("ADD participants :one")
            .condition_expression("server_id = :s")
            .expression_attribute_values(":one", n(1))
            .expression_attribute_values(":s", s(server_id))
            .send()
            .await;
        if let Err(error) = joined
            && !is_conflict(&error)
        {
            return Err(backend(error));
        }
        let Some(load) = load else { return Ok(()) };
        let counted = self
            .db
            .client
            .update_item()
            .table_name(&self.tables().servers)
            .set_key(Some(key("id", server_id)))
            .update_expression("SET #l = #l + :m")
            .condition_expression("attribute_exists(#l) AND #st = :enabled")
            .expression_attribute_names("#l", "load")
            .expression_attribute_names("#st", "state")
            .expression_attribute_values(":m", n(load))
            .expression_attribute_values(":enabled", s(ServerState::Enabled.as_str()))
            .send()
            .await;
        match counted {
            Err(error) if !is_conflict(&error) => Err(backend(error)),
            _ => Ok(()),
        }
    }

    async fn commit_confirmation(&self, meeting: &Meeting, now_ms: i64) -> StoreResult<()> {
        let done = self
            .db
            .client
            .update_item()
            .table_name(&self.tables().meetings)
            .set_key(Some(key("id", &meeting.id)))
            .update_expression("SET confirmed_at_ms = :now")
            .condition_expression("server_id = :s AND created_at_ms = :c AND create_sent_at_ms = :sent")
            .expression_attribute_values(":now", n(now_ms))
            .expression_attribute_values(":s", s(&meeting.server_id))
            .expression_attribute_values(":c", n(meeting.created_at_ms))
            .expression_attribute_values(":sent", n(meeting.create_sent_at_ms))
            .send()
            .await;
        match done {
            Err(error) if !is_conflict(&error) => Err(backend(error)),
            _ => Ok(()),
        }
    }

    async fn list_servers(&self) -> StoreResult<Vec<Server>> {
        Ok(self.all_servers().await?.into_iter().map(|(s, _)| s).collect())
    }

    async fn find_server(&self, id: &str) -> StoreResult<Option<Server>> {
        Ok(self.server_versioned(id).await?.map(|(s, _)| s))
    }

    async fn find_meeting(&self, id: &str, now_ms: i64) -> StoreResult<Option<Meeting>> {
        Ok(self.meeting_raw(id).await?.filter(|m| m.expires_at_ms > now_ms))
    }

    async fn list_meetings_on(&self, server_id: &str, now_ms: i64) -> StoreResult<Vec<Meeting>> {
        Ok(self.linked(server_id, now_ms).await?.0)
    }

    async fn list_tenant_meetings(&self, tenant_id: &str, now_ms: i64) -> StoreResult<Vec<Meeting>> {
        self.tenant_meetings(tenant_id, now_ms).await
    }

    /// Through the `voice_bridges` table; a stale holder finds nothing.
    async fn find_by_voice_bridge(&self, number: &str, now_ms: i64) -> StoreResult<Option<Meeting>> {
        if number.is_empty() {
            return Ok(None); // no key can be empty
        }
        let Some(item) = self.db.get(&self.tables().voice_bridges, key("number", number)).await? else {
            return Ok(None);
        };
        let Some(holder) = get_s(&item, "meeting_id").filter(|id| !id.is_empty()) else { return Ok(None) };
        Ok(self.find_meeting(&holder, now_ms).await?.filter(|m| m.voice_bridge == number))
    }

    async fn ping_backend(&self) -> StoreResult<()> {
        self.db.check_ready()?;
        self.db.client.describe_table().table_name(&self.tables().servers).send().await.map_err(backend)?;
        Ok(())
    }

    fn handle_state(&self) -> &HandleState {
        &self.handle
    }

    /// The `Date` of DynamoDB's answers (see [`service_clock`]).
    async fn read_store_time(&self) -> StoreResult<i64> {
        self.db.check_ready()?;
        service_clock::read(&self.db, &self.tables().servers).await
    }
}

impl DynamoMeetings {
    /// Where a live meeting's joins go: the meeting, then its server, each read by its key.
    async fn join_snapshot(&self, meeting_id: &str, now_ms: i64) -> StoreResult<JoinSnapshot> {
        let Some(meeting) = self.find_meeting(meeting_id, now_ms).await? else {
            return Ok(JoinSnapshot::NoMeeting);
        };
        Ok(JoinSnapshot::Placed(self.find_server(&meeting.server_id).await?))
    }
}
