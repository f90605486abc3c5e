//! `publishRecordings`: moves each format's files between the published and unpublished trees, then
//! records the choice so a later import keeps it.

use scalelite_shared::bbb::error::ApiError;
use scalelite_shared::store::RecordingQuery;

use super::recording_params::{record_ids, success_with};
use crate::Ctx;
use crate::input::FromCall;
use crate::registry::Outcome;
use crate::reject::{Reject, Store};
use crate::request::Call;

/// The parameters of a publishRecordings call: the recordIDs and `publish`, both required.
pub struct Publish {
    record_ids: Vec<String>,
    publish: bool,
    tenant_id: Option<String>,
}

impl FromCall for Publish {
    fn from_call(Call { params, tenant, .. }: Call) -> Result<Self, Reject> {
        let record_ids = record_ids(&params)?;
        let publish = params.get("publish").ok_or(ApiError::MissingPublish)?.eq_ignore_ascii_case("true");
        Ok(Publish { record_ids, publish, tenant_id: tenant.map(|t| t.id) })
    }
}

pub async fn run(ctx: &Ctx, Publish { record_ids, publish, tenant_id }: Publish) -> Outcome {
    let query = RecordingQuery {
        record_ids,
        states: Some(vec!["published".into(), "unpublished".into()]),
        tenant_id,
        ..RecordingQuery::default()
    };
    let found = ctx.recordings.recordings(&query).await.map_err(Reject::store(Store::Recordings))?;
    if found.is_empty() {
        return Err(ApiError::RecordingsNotFound.into());
    }
    for recording in found.into_iter().filter(|r| r.published != publish) {
        let formats: Vec<String> = recording.formats.iter().map(|f| f.format.clone()).collect();
        if let Err(error) = ctx.files.set_published(&recording.record_id, &formats, publish).await {
            tracing::error!(record = %recording.record_id, %error, "publishRecordings: could not move the files");
            return Err(ApiError::internal("Unable to publish/unpublish recording.").into());
        }
        ctx.recordings.set_published(&recording.record_id, publish).await.map_err(Reject::store(Store::Recordings))?;
    }
    Ok(success_with("published", publish))
}
