//! `deleteRecordings`: removes the files from both trees, forgets metadata and formats, marks the recording
//! deleted.

use scalelite_shared::bbb::error::ApiError;
use scalelite_shared::store::RecordingQuery;

use super::recording_params::{record_ids, success_with};
use crate::Ctx;
use crate::registry::Outcome;
use crate::reject::{Reject, Store};
use crate::request::Call;

pub async fn run(ctx: &Ctx, Call { params, tenant, .. }: Call) -> Outcome {
    let tenant_id = tenant.map(|t| t.id);
    let query =
        RecordingQuery { record_ids: record_ids(&params)?, states: None, tenant_id, ..RecordingQuery::default() };
    let found = ctx.recordings.recordings(&query).await.map_err(Reject::store(Store::Recordings))?;
    if found.is_empty() {
        return Err(ApiError::RecordingsNotFound.into());
    }
    for recording in found {
        if let Err(error) = ctx.files.delete(&recording.record_id).await {
            tracing::error!(record = %recording.record_id, %error, "deleteRecordings: could not remove the files");
            return Err(ApiError::internal("Unable to delete recording.").into());
        }
        ctx.recordings.delete_recording(&recording.record_id).await.map_err(Reject::store(Store::Recordings))?;
    }
    Ok(success_with("deleted", true))
}
