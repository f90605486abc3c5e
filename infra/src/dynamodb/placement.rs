//! Placements on DynamoDB: the snapshot read (the meeting, a consistent scan of the servers, the voice bridge
//! holders) and the commit, one `TransactWriteItems` whose conditions are the stamp.

use std::collections::{HashMap, HashSet};

use aws_sdk_dynamodb::types::{ConditionCheck, Delete, Put, TransactWriteItem, Update};
use scalelite_shared::balance::eligibility::counts_meetings;
use scalelite_shared::balance::placement::{Placement, PlacementSnapshot};
use scalelite_shared::model::{Meeting, Server};
use scalelite_shared::store::{Commit, StoreError, StoreResult};

use super::items::{self, get_n, key, n, s};
use super::meetings::{Holder, link_key};
use super::{DynamoMeetings, backend, is_conflict};

/// What a placement read saw: the meeting's placement and its server with its version, every server's version,
/// who holds the first voice bridge number not held by a live meeting, and the tenant's version when its
/// meetings were counted.
pub struct PlaceRead {
    current: Option<(Meeting, Option<(Server, i64)>)>,
    versions: HashMap<String, i64>,
    holder: Option<Holder>,
    tenant_version: Option<i64>,
}

impl DynamoMeetings {
    pub(super) async fn read_placement_snapshot(
        &self,
        request: &Placement,
    ) -> StoreResult<(PlacementSnapshot, PlaceRead)> {
        let now = request.now_ms;
        let current = match self.meeting_raw(&request.meeting_id).await?.filter(|m| m.expires_at_ms > now) {
            Some(meeting) => {
                let server = self.server_versioned(&meeting.server_id).await?;
                Some((meeting, server))
            }
            None => None,
        };
        let servers = self.all_servers().await?;
        // Counted after the servers' versions were read: a placement in between moves a version.
        let mut placed_meetings = HashMap::new();
        for (server, _) in servers.iter().filter(|(server, _)| counts_meetings(server)) {
            let placed = self.linked(&server.id, now).await?.0.len();
            placed_meetings.insert(server.id.clone(), u64::try_from(placed).unwrap_or(u64::MAX));
        }
        // Numbers are checked in order until a free one: the planner takes the first not held.
        let mut held_bridges = HashSet::new();
        let mut holder = None;
        for number in &request.voice_bridges {
            match self.holder(number, &request.meeting_id, now).await? {
                None => {
                    held_bridges.insert(number.clone());
                }
                Some(found) => {
                    holder = Some(found);
                    break;
                }
            }
        }
        let (tenant_meetings, tenant_version) = if request.counts_tenant_meetings() {
            // Counted after the tenant's version was read: a placement of its meetings in between moves it.
            let version = self.tenant_version(&request.tenant_id).await?;
            let meetings = self.tenant_meetings(&request.tenant_id, now).await?;
            (meetings.iter().filter(|m| m.id != request.meeting_id).count() as u64, Some(version))
        } else {
            (0, None)
        };
        let snapshot = PlacementSnapshot {
            current: current.as_ref().map(|(m, s)| (m.clone(), s.as_ref().map(|(s, _)| s.clone()))),
            servers: servers.iter().map(|(s, _)| s.clone()).collect(),
            held_bridges,
            placed_meetings,
            tenant_meetings,
        };
        let versions = servers.into_iter().map(|(server, version)| (server.id, version)).collect();
        Ok((snapshot, PlaceRead { current, versions, holder, tenant_version }))
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
    pub(super) async fn mark_sent(&self, read: &PlaceRead, meeting: &Meeting) -> StoreResult<Commit> {
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
        let version = read.current.as_ref().and_then(|(_, server)| server.as_ref()).map_or(0, |(_, v)| *v);
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
    pub(super) async fn commit_new_placement(
        &self,
        read: PlaceRead,
        (meeting, server, replaced): (&Meeting, &Server, Option<&Meeting>),
        returned: f64,
        tenant_as_read: bool,
    ) -> StoreResult<Commit> {
        let tables = self.tables();
        // A plan that took a number had its holder read (the first number not held by a live meeting).
        let Some(holder) = read.holder else {
            return Err(StoreError::Backend(format!("no holder was read for voice bridge {}", meeting.voice_bridge)));
        };
        let number = meeting.voice_bridge.clone();
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
            Holder::Stale(owner) => {
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
        if let Some(version) = read.tenant_version.filter(|_| tenant_as_read) {
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
            let old_server = read.current.as_ref().and_then(|(_, s)| s.as_ref());
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
