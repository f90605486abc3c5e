//! `deleteRecordings`: removes the files from both trees, forgets metadata and formats, marks the recording
//! deleted.

use scalelite_shared::api::ApiRequest;
use scalelite_shared::bbb::error::ApiError;
use scalelite_shared::store::RecordingQuery;

use scalelite_infra::recordings_fs::Layout;

use super::recordings::{blocking, record_ids, success_with};
use super::store_failure;
use crate::Ctx;
use crate::registry::Outcome;
use crate::request::{Accepts, Caller, authorize_api};

pub async fn run(ctx: &Ctx, req: ApiRequest) -> Outcome {
    if ctx.config.recordings.disabled {
        return Err(ApiError::RecordingsNotFound);
    }
    let Caller { params, tenant } = authorize_api(ctx, &req, "deleteRecordings", Accepts::Form).await?;
    let tenant_id = tenant.map(|t| t.id);
    let query =
        RecordingQuery { record_ids: record_ids(&params)?, states: None, tenant_id, ..RecordingQuery::default() };
    let found = ctx.recordings.recordings(&query).await.map_err(store_failure)?;
    if found.is_empty() {
        return Err(ApiError::RecordingsNotFound);
    }
    for recording in found {
        let layout = Layout::from_config(&ctx.config.recordings);
        let record_id = recording.record_id.clone();
        if let Err(error) = blocking(move || layout.delete(&record_id)).await {
            tracing::error!(record = %recording.record_id, %error, "deleteRecordings: could not remove the files");
            return Err(ApiError::internal("Unable to delete recording."));
        }
        ctx.recordings.delete_recording(&recording.record_id).await.map_err(store_failure)?;
    }
    Ok(success_with("deleted", true))
}
