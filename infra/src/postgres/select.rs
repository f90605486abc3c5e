//! getRecordings on PostgreSQL: a query plan translated to upstream's tables, each condition a semi-join on
//! its index; each recording read with its children document (its child rows only when it has none).

use scalelite_shared::model::Recording;
use scalelite_shared::recordings::{self, Condition, QueryPlan, SortField};
use scalelite_shared::store::{RecordingQuery, StoreResult};
use sqlx::{PgConnection, Postgres, QueryBuilder};

use super::backend;
use super::rows::{RecordingRow, assemble, recording_columns};
use crate::recording_children::{fill, from_documents};
use crate::recording_sql::{order_by, page_bounds};

/// `AND <condition>` on `recordings r`. Only the conditions a plan holds are in its statement, so each one
/// present becomes an index lookup rather than a check of every row.
fn push_condition(builder: &mut QueryBuilder<Postgres>, condition: &Condition) {
    match condition {
        Condition::RecordIdIn(ids) => {
            builder.push(" AND r.record_id = ANY(").push_bind(ids.clone()).push(")");
        }
        Condition::MeetingIdIn(ids) => {
            builder.push(" AND r.meeting_id = ANY(").push_bind(ids.clone()).push(")");
        }
        Condition::StateIn(states) => {
            builder.push(" AND r.state = ANY(").push_bind(states.clone()).push(")");
        }
        Condition::RecordIdStartsWith(prefixes) => {
            // Byte ranges on the "C"-collated index.
            builder.push(" AND (FALSE");
            for prefix in prefixes {
                builder.push(" OR (r.record_id COLLATE \"C\" >= ").push_bind(prefix.as_str().to_owned());
                if let Some(end) = prefix.upper_bound() {
                    builder.push(" AND r.record_id COLLATE \"C\" < ").push_bind(end);
                }
                builder.push(")");
            }
            builder.push(")");
        }
        Condition::MetadataAnyOf(pairs) => {
            let (keys, values): (Vec<String>, Vec<String>) = pairs.iter().cloned().unzip();
            builder.push(" AND r.id IN (SELECT m.recording_id FROM metadata m JOIN unnest(").push_bind(keys);
            builder.push("::text[], ").push_bind(values);
            builder.push("::text[]) AS f(key, value) ON m.key = f.key AND m.value = f.value)");
        }
    }
}

/// A recording's row with its children document, if it has one.
#[derive(sqlx::FromRow)]
struct DocumentedRow {
    #[sqlx(flatten)]
    row: RecordingRow,
    children: Option<String>,
}

/// Where a read takes each recording's children from.
#[derive(Clone, Copy)]
enum ChildrenFrom {
    /// Its children document when it has a readable one, else its child rows.
    Documents,
    /// Its child rows: a writer reading back what it changed, whose documents it writes next.
    Rows,
}

/// The rows `plan` selects, ordered and paged, with their documents (looked up for the rows of the page alone,
/// when `children` asks for them). A plan that filters only by state picks its page by id first, off the
/// newest-first index alone, then reads only the rows of the page; any other condition reads each row it matches
/// anyway, so its rows are read once.
async fn rows(
    conn: &mut PgConnection,
    plan: &QueryPlan,
    children: ChildrenFrom,
) -> StoreResult<Vec<(RecordingRow, Option<String>)>> {
    let order = order_by(plan.order, |field| match field {
        SortField::StartTime => "r.starttime",
        SortField::RecordId => "r.record_id COLLATE \"C\"",
    });
    let (document, join) = match children {
        ChildrenFrom::Documents => {
            ("d.document", " LEFT JOIN scalelite_rs_recording_children d ON d.recording_id = r.id")
        }
        ChildrenFrom::Rows => ("NULL::text", ""),
    };
    let by_state_only = plan.conditions.iter().all(|c| matches!(c, Condition::StateIn(_)));
    let mut builder = QueryBuilder::new("SELECT ");
    if by_state_only {
        builder.push(concat!(recording_columns!(), ", ")).push(document).push(" AS children FROM recordings r");
        builder.push(join).push(" WHERE r.id IN (SELECT r.id FROM recordings r WHERE TRUE");
    } else {
        builder.push("r.*, ").push(document).push(" AS children FROM (SELECT ");
        builder.push(concat!(recording_columns!(), ", r.starttime FROM recordings r WHERE TRUE"));
    }
    for condition in &plan.conditions {
        push_condition(&mut builder, condition);
    }
    let (offset, limit) = page_bounds(&plan.page);
    builder.push(&order).push(" OFFSET ").push_bind(offset).push(" LIMIT ").push_bind(limit).push(")");
    if !by_state_only {
        builder.push(" r").push(join);
    }
    builder.push(&order);
    let rows: Vec<DocumentedRow> = builder.build_query_as().fetch_all(&mut *conn).await.map_err(backend)?;
    Ok(rows.into_iter().map(|r| (r.row, r.children)).collect())
}

/// The recordings `query` selects, as its plan orders and pages them.
pub(super) async fn matching(conn: &mut PgConnection, query: &RecordingQuery) -> StoreResult<Vec<Recording>> {
    read(conn, query, ChildrenFrom::Documents).await
}

/// The recordings `query` selects, their children read from their child rows: what a writer's transaction has
/// made of them, before it writes their documents.
pub(super) async fn written(conn: &mut PgConnection, query: &RecordingQuery) -> StoreResult<Vec<Recording>> {
    read(conn, query, ChildrenFrom::Rows).await
}

async fn read(conn: &mut PgConnection, query: &RecordingQuery, children: ChildrenFrom) -> StoreResult<Vec<Recording>> {
    let Some(plan) = recordings::plan(query) else { return Ok(Vec::new()) };
    let (read, undocumented) = from_documents(rows(conn, &plan, children).await?);
    Ok(fill(read, assemble(conn, undocumented).await?))
}
