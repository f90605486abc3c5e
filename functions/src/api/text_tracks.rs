//! What the two text-track calls share: their JSON answers (BBB answers these calls in JSON, except a
//! checksum failure) and the recording they name.

use http::StatusCode;
use scalelite_shared::api::ApiResponse;
use scalelite_shared::bbb::params::Params;
use scalelite_shared::store::RecordingQuery;
use serde_json::{Value, json};

use super::store_failure;
use crate::Ctx;
use crate::registry::Outcome;

/// `{"response": {"returncode": "SUCCESS", ...fields}}`.
pub(crate) fn json_success(fields: Value) -> ApiResponse {
    let mut response = json!({ "returncode": "SUCCESS" });
    if let (Some(target), Value::Object(fields)) = (response.as_object_mut(), fields) {
        target.extend(fields);
    }
    ApiResponse::json(StatusCode::OK, json!({ "response": response }).to_string())
}

/// `{"response": {"returncode": "FAILED", "messageKey": key, "message": message}}`.
pub(crate) fn json_failure(key: &str, message: &str) -> ApiResponse {
    let body = json!({ "response": { "returncode": "FAILED", "messageKey": key, "message": message } });
    ApiResponse::json(StatusCode::OK, body.to_string())
}

/// The `recordID` of a text-track call, if it names a recording in the index; else the JSON failure to answer.
pub(crate) async fn recording_id(ctx: &Ctx, params: &Params) -> Result<String, Outcome> {
    let Some(record_id) = params.non_blank("recordID").map(str::to_owned) else {
        return Err(Ok(json_failure("missingParamRecordID", "You must specify a recordID.")));
    };
    let query = RecordingQuery { record_ids: vec![record_id.clone()], states: None, ..RecordingQuery::default() };
    match ctx.recordings.recordings(&query).await {
        Ok(found) if found.iter().any(|r| r.state.as_deref() != Some("deleted")) => Ok(record_id),
        Ok(_) => Err(Ok(json_failure("noRecordings", &format!("No recordings for {record_id}")))),
        Err(error) => Err(Err(store_failure(error))),
    }
}
