//! getRecordings on the embedded store: a query plan translated to SQLite, each recording read with its children's
//! document (the child rows only for a recording without one), all on one rusqlite connection on one of the
//! store's read threads (one hand-off a query, not one a statement and a row).

use rusqlite::Connection;
use rusqlite::types::Value;
use scalelite_shared::model::Recording;
use scalelite_shared::recordings::{Condition, QueryPlan, SortField};

use crate::recording_children::{fill, from_documents};
use crate::recording_rows::{FormatRow, MetadataRow, RecordingRow, ThumbnailRow, assemble};
use crate::recording_sql::{order_by, page_bounds};

/// Child rows are fetched for this many recordings per statement.
const CHUNK: usize = 500;

/// A statement's text and its parameters, bound in order.
struct Statement {
    sql: String,
    params: Vec<Value>,
}

impl Statement {
    fn new(sql: &str) -> Self {
        Self { sql: sql.to_owned(), params: Vec::new() }
    }

    fn push(&mut self, sql: &str) -> &mut Self {
        self.sql.push_str(sql);
        self
    }

    fn bind(&mut self, value: impl Into<Value>) -> &mut Self {
        self.sql.push('?');
        self.params.push(value.into());
        self
    }

    /// ` AND <column> IN (<values>)`.
    fn push_in<T: Clone + Into<Value>>(&mut self, column: &str, values: &[T]) -> &mut Self {
        self.push(&format!(" AND {column} IN ("));
        for (i, value) in values.iter().enumerate() {
            if i > 0 {
                self.push(", ");
            }
            self.bind(value.clone());
        }
        self.push(")")
    }

    /// Every row, read by `read`.
    fn rows<T>(
        &self,
        conn: &Connection,
        read: fn(&rusqlite::Row<'_>) -> rusqlite::Result<T>,
    ) -> rusqlite::Result<Vec<T>> {
        let mut statement = conn.prepare_cached(&self.sql)?;
        let rows = statement.query_map(rusqlite::params_from_iter(&self.params), read)?;
        rows.collect()
    }
}

/// `AND <condition>` on `recordings r`.
fn push_condition(statement: &mut Statement, condition: &Condition) {
    match condition {
        Condition::RecordIdIn(ids) => statement.push_in("r.record_id", ids),
        Condition::MeetingIdIn(ids) => statement.push_in("r.meeting_id", ids),
        Condition::StateIn(states) => statement.push_in("r.state", states),
        Condition::RecordIdStartsWith(prefixes) => {
            // Ranges on the binary-ordered unique index (LIKE would ignore ASCII case here).
            statement.push(" AND (");
            for (i, prefix) in prefixes.iter().enumerate() {
                statement.push(if i == 0 { "(r.record_id >= " } else { " OR (r.record_id >= " });
                statement.bind(prefix.as_str().to_owned());
                if let Some(end) = prefix.upper_bound() {
                    statement.push(" AND r.record_id < ").bind(end);
                }
                statement.push(")");
            }
            statement.push(")")
        }
        Condition::MetadataAnyOf(pairs) => {
            // The (key, value) index first, then the recordings it names.
            statement.push(" AND r.id IN (SELECT m.recording_id FROM metadata m WHERE ");
            for (i, (key, value)) in pairs.iter().enumerate() {
                statement.push(if i == 0 { "(m.key = " } else { " OR (m.key = " }).bind(key.clone());
                statement.push(" AND m.value = ").bind(value.clone()).push(")");
            }
            statement.push(")")
        }
    };
}

/// The rows `plan` selects, each with its children's document (if it has one).
fn rows(conn: &Connection, plan: &QueryPlan) -> rusqlite::Result<Vec<(RecordingRow, Option<String>)>> {
    let mut statement = Statement::new(
        "SELECT r.id, r.record_id, r.meeting_id, r.name, r.published, r.participants, r.state, \
         r.starttime_ms, r.endtime_ms, r.protected, r.publish_updated, r.children FROM recordings r WHERE 1 = 1",
    );
    for condition in &plan.conditions {
        push_condition(&mut statement, condition);
    }
    // Missing start times last is SQLite's own place for them in a descending order, so the
    // `recordings_by_start` index still reads the rows in order.
    statement.push(&order_by(plan.order, |field| match field {
        SortField::StartTime => "r.starttime_ms",
        SortField::RecordId => "r.record_id",
    }));
    let (offset, limit) = page_bounds(&plan.page);
    statement.push(" LIMIT ").bind(limit.unwrap_or(-1)).push(" OFFSET ").bind(offset);
    statement.rows(conn, |row| Ok((RecordingRow::read(row)?, row.get(11)?)))
}

/// The recordings `plan` selects, as it orders and pages them, with metadata, formats and thumbnails: from each
/// one's document, or from the child rows for those without a readable one.
pub(super) fn matching(conn: &Connection, plan: &QueryPlan) -> rusqlite::Result<Vec<Recording>> {
    let (read, undocumented) = from_documents(rows(conn, plan)?);
    Ok(fill(read, from_child_rows(conn, undocumented)?))
}

/// The recordings of `rows`, in their order, with their child rows (fetched for `CHUNK` recordings per
/// statement).
fn from_child_rows(conn: &Connection, rows: Vec<RecordingRow>) -> rusqlite::Result<Vec<Recording>> {
    let (mut metadata, mut formats, mut thumbnails) = (Vec::new(), Vec::new(), Vec::new());
    let ids: Vec<i64> = rows.iter().map(|r| r.id).collect();
    for chunk in ids.chunks(CHUNK) {
        let mut statement = Statement::new("SELECT recording_id, key, COALESCE(value, '') FROM metadata WHERE 1 = 1");
        metadata.extend(statement.push_in("recording_id", chunk).rows(conn, MetadataRow::read)?);
        let mut statement = Statement::new(
            "SELECT id, recording_id, format, COALESCE(url, ''), length, processing_time \
             FROM playback_formats WHERE 1 = 1",
        );
        statement.push_in("recording_id", chunk).push(" ORDER BY recording_id, format");
        let found = statement.rows(conn, FormatRow::read)?;
        let format_ids: Vec<i64> = found.iter().map(|f| f.id).collect();
        formats.extend(found);
        for format_chunk in format_ids.chunks(CHUNK) {
            let mut statement = Statement::new(
                "SELECT playback_format_id, COALESCE(url, ''), width, height, alt, COALESCE(sequence, 0) \
                 FROM thumbnails WHERE 1 = 1",
            );
            statement.push_in("playback_format_id", format_chunk).push(" ORDER BY playback_format_id, sequence, id");
            thumbnails.extend(statement.rows(conn, ThumbnailRow::read)?);
        }
    }
    Ok(assemble(rows, metadata, formats, thumbnails))
}
