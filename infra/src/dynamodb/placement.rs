//! Placements on DynamoDB: the snapshot read (the meeting, a consistent scan of the servers, the voice bridge
//! holders) and the commit, one `TransactWriteItems` whose conditions are the stamp.

use std::collections::HashMap;

use aws_sdk_dynamodb::types::{ConditionCheck, Delete, Put, TransactWriteItem, Update};
use scalelite_shared::balance::eligibility::counts_meetings;
use scalelite_shared::balance::placement::{Placed, PlacementRead, PlacementSnapshot, Planned, least_loaded};
use scalelite_shared::model::{Meeting, Server};
use scalelite_shared::store::{Commit, StoreResult};

use super::items::{self, get_n, key, n, s};
use super::meetings::{Holder, link_key};
use super::{DynamoMeetings, backend, is_conflict};

/// What a placement read saw: each meeting's placement and its server with its version, the version of every
/// server read, for each request the first of its voice bridge numbers not held by a live meeting with who holds
/// it, and the version of each tenant whose meetings were counted.
pub struct PlaceRead {
    current: HashMap<String, (Meeting, Option<(Server, i64)>)>,
    versions: HashMap<String, i64>,
    holders: HashMap<String, (String, Holder)>,
    tenant_versions: HashMap<String, i64>,
}

impl DynamoMeetings {
    /// A scan of the servers (DynamoDB keeps no order of load): those that take new meetings are sorted and the
    /// first `read.depth` kept, so the plans see what the other stores give them.
    pub(super) async fn read_placement_snapshot(
        &self,
        read: PlacementRead<'_>,
    ) -> StoreResult<(PlacementSnapshot, PlaceRead)> {
        let now = read.now_ms();
        let mut current = HashMap::new();
        for request in read.requests {
            let found = self.meeting_raw(&request.meeting_id).await?.filter(|m| m.expires_at_ms > request.now_ms);
            if let Some(meeting) = found {
                let server = self.server_versioned(&meeting.server_id).await?;
                current.insert(meeting.id.clone(), (meeting, server));
            }
        }
        let (servers, reach) = least_loaded(self.all_servers().await?, |(server, _)| server, read.depth);
        // Counted after the servers' versions were read: a placement in between moves a version.
        let mut placed_meetings = HashMap::new();
        for (server, _) in servers.iter().filter(|(server, _)| counts_meetings(server)) {
            let placed = self.linked(&server.id, now).await?.0.len();
            placed_meetings.insert(server.id.clone(), u64::try_from(placed).unwrap_or(u64::MAX));
        }
        // Each request's numbers are checked in order until a free one: the planner takes the first not held.
        let mut bridge_holders = HashMap::new();
        let mut holders = HashMap::new();
        for request in read.requests {
            for number in &request.voice_bridges {
                match self.holder(number, &request.meeting_id, now).await? {
                    Holder::Live(owner) => {
                        bridge_holders.insert(number.clone(), owner);
                    }
                    free => {
                        holders.insert(request.meeting_id.clone(), (number.clone(), free));
                        break;
                    }
                }
            }
        }
        let mut tenant_meetings = HashMap::new();
        let mut tenant_versions = HashMap::new();
        for tenant in read.counted_tenants() {
            // Counted after the tenant's version was read: a placement of its meetings in between moves it.
            tenant_versions.insert(tenant.to_owned(), self.tenant_version(tenant).await?);
            tenant_meetings.insert(tenant.to_owned(), self.tenant_meetings(tenant, now).await?.len() as u64);
        }
        let snapshot = PlacementSnapshot {
            current: current
                .iter()
                .map(|(id, (m, s))| (id.clone(), (m.clone(), s.as_ref().map(|(s, _)| s.clone()))))
                .collect(),
            servers: servers.iter().map(|(s, _)| s.clone()).collect(),
            reach,
            bridge_holders,
            placed_meetings,
            tenant_meetings,
        };
        let versions = servers.into_iter().map(|(server, version)| (server.id, version)).collect();
        Ok((snapshot, PlaceRead { current, versions, holders, tenant_versions }))
    }

    /// Commits each plan in its own transaction, in order. A plan made after an earlier one of the batch on the
    /// same server (or tenant) expects the version that commit left. Once a plan raced, the read is behind the
    /// table: the plans after it are answered raced without a transaction each, and planned again from a new read.
    pub(super) async fn commit_plans(&self, mut read: PlaceRead, plans: &[Planned]) -> StoreResult<Vec<Commit>> {
        let mut commits = Vec::with_capacity(plans.len());
        for planned in plans {
            if commits.contains(&Commit::Raced) {
                commits.push(Commit::Raced);
                continue;
            }
            let commit = match &planned.placed {
                Placed::Existing { meeting, .. } => self.mark_sent(&read, meeting).await?,
                Placed::New { meeting, server, replaced } => {
                    let placement = (meeting, server, replaced.as_ref());
                    self.commit_new_placement(&read, placement, planned.returned, planned.guard.tenant_as_read).await?
                }
            };
            if commit == Commit::Committed(()) {
                read.moved_by(planned);
            }
            commits.push(commit);
        }
        Ok(commits)
    }

    /// Tenant `tenant_id`'s version (0 before its first counted placement).
    async fn tenant_version(&self, tenant_id: &str) -> StoreResult<i64> {
        let item = self.db.get(&self.tables().tenant_versions, key("tenant_id", tenant_id)).await?;
        Ok(item.and_then(|item| get_n(&item, "version")).unwrap_or(0))
    }

    /// Moves tenant `tenant_id`'s version on from `version`, on the condition that it is still that.
    fn tenant_moved(&self, tenant_id: &str, version: i64) -> StoreResult<Update> {
        Update::builder()
            .table_name(&self.tables().tenant_versions)
            .set_key(Some(key("tenant_id", tenant_id)))
            .update_expression("SET #v = :next")
            .condition_expression("attribute_not_exists(tenant_id) OR #v = :v")
            .expression_attribute_names("#v", "version")
            .expression_attribute_values(":v", n(version))
            .expression_attribute_values(":next", n(version + 1))
            .build()
            .map_err(backend)
    }

    /// Marks a kept meeting's create as sent, if it is still the placement read and its server's version did
    /// not move (one transaction).
    async fn mark_sent(&self, read: &PlaceRead, meeting: &Meeting) -> StoreResult<Commit> {
        let tables = self.tables();
        let mark = Update::builder()
            .table_name(&tables.meetings)
            .set_key(Some(key("id", &meeting.id)))
            .update_expression("SET create_sent_at_ms = :now REMOVE confirmed_at_ms")
            .condition_expression("server_id = :s AND created_at_ms = :c")
            .expression_attribute_values(":now", n(meeting.create_sent_at_ms))
            .expression_attribute_values(":s", s(&meeting.server_id))
            .expression_attribute_values(":c", n(meeting.created_at_ms))
            .build()
            .map_err(backend)?;
        let version = read.current.get(&meeting.id).and_then(|(_, server)| server.as_ref()).map_or(0, |(_, v)| *v);
        let server_as_read = ConditionCheck::builder()
            .table_name(&tables.servers)
            .set_key(Some(key("id", &meeting.server_id)))
            .condition_expression("#v = :v")
            .expression_attribute_names("#v", "version")
            .expression_attribute_values(":v", n(version))
            .build()
            .map_err(backend)?;
        let marked = self
            .db
            .client
            .transact_write_items()
            .transact_items(TransactWriteItem::builder().update(mark).build())
            .transact_items(TransactWriteItem::builder().condition_check(server_as_read).build())
            .send()
            .await;
        match marked {
            Ok(_) => Ok(Commit::Committed(())),
            Err(error) if is_conflict(&error) => Ok(Commit::Raced),
            Err(error) => Err(backend(error)),
        }
    }

    /// Writes a new placement in one transaction: the meeting (absent or expired, or still the placement it
    /// replaces), its voice bridge (free, or held by a meeting that no longer holds it), its link, and the
    /// chosen server's load (its version as read: every change of the server moves it, joins aside, so the
    /// server is as the plan saw it); the replaced placement's link and the load it gives back (its server's
    /// version as read); the tenant's version, moved on from the one read, when `tenant_as_read`.
    async fn commit_new_placement(
        &self,
        read: &PlaceRead,
        (meeting, server, replaced): (&Meeting, &Server, Option<&Meeting>),
        returned: f64,
        tenant_as_read: bool,
    ) -> StoreResult<Commit> {
        let tables = self.tables();
        // A plan takes the first of its numbers not held, whose holder was read, unless an earlier plan of the
        // batch took that one: then its read is of no use.
        let number = meeting.voice_bridge.clone();
        let Some(holder) = read.holders.get(&meeting.id).filter(|(read, _)| *read == number).map(|(_, h)| h.clone())
        else {
            return Ok(Commit::Raced);
        };
        let now = meeting.created_at_ms;

        let mut put_meeting = Put::builder().table_name(&tables.meetings).set_item(Some(items::meeting_item(meeting)));
        put_meeting = match replaced {
            Some(old) => put_meeting
                .condition_expression("server_id = :s AND created_at_ms = :c")
                .expression_attribute_values(":s", s(&old.server_id))
                .expression_attribute_values(":c", n(old.created_at_ms)),
            None => put_meeting
                .condition_expression("attribute_not_exists(id) OR expires_at_ms <= :now")
                .expression_attribute_values(":now", n(now)),
        };
        let mut put_bridge = Put::builder().table_name(&tables.voice_bridges).set_item(Some(HashMap::from([
            ("number".to_owned(), s(&number)),
            ("meeting_id".to_owned(), s(&meeting.id)),
        ])));
        put_bridge = match &holder {
            Holder::Nobody => {
                put_bridge.condition_expression("attribute_not_exists(#n)").expression_attribute_names("#n", "number")
            }
            Holder::Itself => {
                put_bridge.condition_expression("meeting_id = :m").expression_attribute_values(":m", s(&meeting.id))
            }
            Holder::Stale(owner) | Holder::Live(owner) => {
                put_bridge.condition_expression("meeting_id = :m").expression_attribute_values(":m", s(owner))
            }
        };
        let reserve = Update::builder()
            .table_name(&tables.servers)
            .set_key(Some(key("id", &server.id)))
            .update_expression("SET #l = #l + :r, #v = #v + :one")
            .condition_expression("#v = :v")
            .expression_attribute_names("#l", "load")
            .expression_attribute_names("#v", "version")
            .expression_attribute_values(":r", n(meeting.reserved_load))
            .expression_attribute_values(":one", n(1))
            .expression_attribute_values(":v", n(read.versions.get(&server.id).copied().unwrap_or(0)))
            .build()
            .map_err(backend)?;
        let mut link = link_key(&server.id, &meeting.id);
        link.insert("created_at_ms".to_owned(), n(meeting.created_at_ms));
        let put_link = Put::builder().table_name(&tables.server_meetings).set_item(Some(link));

        let mut request = self
            .db
            .client
            .transact_write_items()
            .transact_items(TransactWriteItem::builder().put(put_meeting.build().map_err(backend)?).build())
            .transact_items(TransactWriteItem::builder().put(put_bridge.build().map_err(backend)?).build())
            .transact_items(TransactWriteItem::builder().update(reserve).build())
            .transact_items(TransactWriteItem::builder().put(put_link.build().map_err(backend)?).build());
        if let Holder::Stale(owner) = &holder {
            let check = ConditionCheck::builder()
                .table_name(&tables.meetings)
                .set_key(Some(key("id", owner)))
                .condition_expression("attribute_not_exists(id) OR expires_at_ms <= :now OR voice_bridge <> :b")
                .expression_attribute_values(":now", n(now))
                .expression_attribute_values(":b", s(&number))
                .build()
                .map_err(backend)?;
            request = request.transact_items(TransactWriteItem::builder().condition_check(check).build());
        }
        if let Some(version) = read.tenant_versions.get(&meeting.tenant_id).copied().filter(|_| tenant_as_read) {
            let moved = self.tenant_moved(&meeting.tenant_id, version)?;
            request = request.transact_items(TransactWriteItem::builder().update(moved).build());
        }
        if let Some(old) = replaced.filter(|old| old.server_id != server.id) {
            let unlink = Delete::builder()
                .table_name(&tables.server_meetings)
                .set_key(Some(link_key(&old.server_id, &old.id)))
                .build()
                .map_err(backend)?;
            request = request.transact_items(TransactWriteItem::builder().delete(unlink).build());
            let old_server = read.current.get(&old.id).and_then(|(_, s)| s.as_ref());
            if let Some((old_server, old_version)) = old_server.filter(|(s, _)| s.load.is_some()) {
                request = request.transact_items(
                    TransactWriteItem::builder()
                        .update(self.give_back(&old_server.id, *old_version, returned)?)
                        .build(),
                );
            }
        }
        match request.send().await {
            Ok(_) => Ok(Commit::Committed(())),
            Err(error) if is_conflict(&error) => Ok(Commit::Raced),
            Err(error) => Err(backend(error)),
        }
    }
}

impl PlaceRead {
    /// Notes the versions a committed plan moved: its server's, its replaced placement's server's when that one
    /// had load given back, and its tenant's when the guard counted the tenant's meetings.
    fn moved_by(&mut self, planned: &Planned) {
        let Placed::New { meeting, server, replaced } = &planned.placed else { return };
        let mut moved = vec![server.id.clone()];
        if let Some(old) = replaced.as_ref().filter(|old| old.server_id != server.id) {
            let had_load =
                self.current.get(&old.id).and_then(|(_, home)| home.as_ref()).is_some_and(|(s, _)| s.load.is_some());
            if had_load {
                moved.push(old.server_id.clone());
            }
        }
        for id in &moved {
            if let Some(version) = self.versions.get_mut(id) {
                *version += 1;
            }
            for (home, version) in self.current.values_mut().filter_map(|(_, home)| home.as_mut()) {
                if home.id == *id {
                    *version += 1;
                }
            }
        }
        if planned.guard.tenant_as_read
            && let Some(version) = self.tenant_versions.get_mut(&meeting.tenant_id)
        {
            *version += 1;
        }
    }
}
