//! What the two text-track calls share: their JSON answers (BBB answers these calls in JSON, except a
//! checksum failure) and the recording they name.

use http::StatusCode;
use scalelite_shared::api::ApiResponse;
use scalelite_shared::bbb::error::ApiError;
use scalelite_shared::bbb::params::Params;
use scalelite_shared::store::RecordingQuery;
use serde_json::{Value, json};

use crate::Ctx;
use crate::reject::{Reject, Store};

/// `{"response": {"returncode": "SUCCESS", ...fields}}`.
pub(crate) fn json_success(fields: Value) -> ApiResponse {
    let mut response = json!({ "returncode": "SUCCESS" });
    if let (Some(target), Value::Object(fields)) = (response.as_object_mut(), fields) {
        target.extend(fields);
    }
    ApiResponse::json(StatusCode::OK, json!({ "response": response }).to_string())
}

/// The `recordID` of a text-track call, if it names a recording of the caller's tenant in the index.
pub(crate) async fn recording_id(ctx: &Ctx, params: &Params, tenant_id: Option<String>) -> Result<String, Reject> {
    let Some(record_id) = params.non_blank("recordID").map(str::to_owned) else {
        return Err(ApiError::MissingRecordId.into());
    };
    let query =
        RecordingQuery { record_ids: vec![record_id.clone()], states: None, tenant_id, ..RecordingQuery::default() };
    let found = ctx.recordings.recordings(&query).await.map_err(Reject::store(Store::Recordings))?;
    if found.iter().any(|r| r.state.as_deref() != Some("deleted")) {
        Ok(record_id)
    } else {
        Err(ApiError::NoRecordingsFor(record_id).into())
    }
}
