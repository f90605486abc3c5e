//! `publishRecordings`: moves each format's files between the published and unpublished trees, then
//! records the choice so a later import keeps it.

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
    let Caller { params, tenant } = authorize_api(ctx, &req, "publishRecordings", Accepts::Form).await?;
    let tenant_id = tenant.map(|t| t.id);
    let ids = record_ids(&params)?;
    let publish = params.get("publish").ok_or(ApiError::MissingPublish)?.eq_ignore_ascii_case("true");
    let query = RecordingQuery {
        record_ids: ids,
        states: Some(vec!["published".into(), "unpublished".into()]),
        tenant_id,
        ..RecordingQuery::default()
    };
    let found = ctx.recordings.recordings(&query).await.map_err(store_failure)?;
    if found.is_empty() {
        return Err(ApiError::RecordingsNotFound);
    }
    for recording in found.into_iter().filter(|r| r.published != publish) {
        let layout = Layout::from_config(&ctx.config.recordings);
        let formats: Vec<String> = recording.formats.iter().map(|f| f.format.clone()).collect();
        let record_id = recording.record_id.clone();
        let moved =
            blocking(move || formats.iter().try_for_each(|format| layout.set_published(format, &record_id, publish)))
                .await;
        if let Err(error) = moved {
            tracing::error!(record = %recording.record_id, %error, "publishRecordings: could not move the files");
            return Err(ApiError::internal("Unable to publish/unpublish recording."));
        }
        ctx.recordings.set_published(&recording.record_id, publish).await.map_err(store_failure)?;
    }
    Ok(success_with("published", publish))
}
