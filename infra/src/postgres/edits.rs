//! publishRecordings, updateRecordings and deleteRecordings on the index, each one transaction; an edit of a
//! recording's metadata or a delete writes its children document again in it.

use scalelite_shared::model::Recording;
use scalelite_shared::store::{RecordingEdits, RecordingQuery, StoreResult};
use sqlx::PgPool;

use super::backend;
use super::rows::{begin_writing_children, write_children};
use super::select;

/// Sets `published`, its state, and `publish_updated` (so later imports keep the choice).
pub(super) async fn set_published(pool: &PgPool, record_id: &str, published: bool) -> StoreResult<()> {
    sqlx::query("UPDATE recordings SET published = $2, state = $3, publish_updated = true WHERE record_id = $1")
        .bind(record_id)
        .bind(published)
        .bind(Recording::state_for(published))
        .execute(pool)
        .await
        .map_err(backend)?;
    Ok(())
}

/// Applies `edits` to every listed recording; true when a row changed.
pub(super) async fn update(pool: &PgPool, record_ids: &[String], edits: &RecordingEdits) -> StoreResult<bool> {
    let mut tx = begin_writing_children(pool).await?;
    // The recordings locked here are the ones edited and read back: a recording with a listed recordID that
    // another writer adds meanwhile is neither.
    let (ids, locked): (Vec<i64>, Vec<String>) = sqlx::query_as::<_, (i64, String)>(
        "SELECT id, record_id FROM recordings WHERE record_id = ANY($1) ORDER BY id FOR UPDATE",
    )
    .bind(record_ids)
    .fetch_all(&mut *tx)
    .await
    .map_err(backend)?
    .into_iter()
    .unzip();
    let mut changed = 0;
    for (key, value) in &edits.metadata {
        let done =
            match value {
                Some(value) => sqlx::query(
                    "INSERT INTO metadata (recording_id, key, value) SELECT id, $2, $3 FROM unnest($1::bigint[]) AS id \
                 ON CONFLICT (recording_id, key) DO UPDATE SET value = EXCLUDED.value \
                 WHERE metadata.value IS DISTINCT FROM EXCLUDED.value",
                )
                .bind(&ids)
                .bind(key)
                .bind(value)
                .execute(&mut *tx)
                .await,
                None => {
                    sqlx::query("DELETE FROM metadata WHERE recording_id = ANY($1) AND key = $2")
                        .bind(&ids)
                        .bind(key)
                        .execute(&mut *tx)
                        .await
                }
            };
        changed += done.map_err(backend)?.rows_affected();
    }
    if changed > 0 {
        let query = RecordingQuery { record_ids: locked, ..RecordingQuery::default() };
        let edited = select::written(&mut tx, &query).await?;
        write_children(&mut tx, &edited).await?;
    }
    if let Some(protect) = edits.protect {
        let done = sqlx::query("UPDATE recordings SET protected = $2 WHERE id = ANY($1) AND protected <> $2")
            .bind(&ids)
            .bind(protect)
            .execute(&mut *tx)
            .await
            .map_err(backend)?;
        changed += done.rows_affected();
    }
    tx.commit().await.map_err(backend)?;
    Ok(changed > 0)
}

/// Forgets the recording's metadata, formats and thumbnails and marks it deleted; the row stays.
pub(super) async fn delete(pool: &PgPool, record_id: &str) -> StoreResult<()> {
    let mut tx = begin_writing_children(pool).await?;
    let id: Option<i64> = sqlx::query_scalar("SELECT id FROM recordings WHERE record_id = $1 FOR UPDATE")
        .bind(record_id)
        .fetch_optional(&mut *tx)
        .await
        .map_err(backend)?;
    let Some(id) = id else { return Ok(()) };
    for statement in [
        "DELETE FROM thumbnails WHERE playback_format_id IN (SELECT id FROM playback_formats WHERE recording_id = $1)",
        "DELETE FROM playback_formats WHERE recording_id = $1",
        "DELETE FROM metadata WHERE recording_id = $1",
        "UPDATE recordings SET state = 'deleted' WHERE id = $1",
    ] {
        sqlx::query(statement).bind(id).execute(&mut *tx).await.map_err(backend)?;
    }
    // No children left: the document says so, and a read of deleted recordings needs no child row.
    write_children(&mut tx, &[Recording { record_id: record_id.to_owned(), ..Recording::default() }]).await?;
    tx.commit().await.map_err(backend)?;
    Ok(())
}
