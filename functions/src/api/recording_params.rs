//! The recording calls' parameters (recordID lists, comma lists) and their short SUCCESS answers.

use scalelite_shared::api::ApiResponse;
use scalelite_shared::bbb::error::ApiError;
use scalelite_shared::bbb::params::Params;
use scalelite_shared::bbb::xml::XmlResponse;

/// A comma list parameter: trimmed, blanks dropped, duplicates removed, order kept.
pub(crate) fn list(params: &Params, name: &str) -> Vec<String> {
    let mut items: Vec<String> = Vec::new();
    for item in params.get(name).unwrap_or_default().split(',').map(str::trim).filter(|i| !i.is_empty()) {
        if !items.iter().any(|seen| seen == item) {
            items.push(item.to_owned());
        }
    }
    items
}

/// The `recordID` list, required.
pub(crate) fn record_ids(params: &Params) -> Result<Vec<String>, ApiError> {
    let ids = list(params, "recordID");
    if ids.is_empty() { Err(ApiError::MissingRecordId) } else { Ok(ids) }
}

/// `<response><returncode>SUCCESS</returncode><name>value</name></response>`.
pub(crate) fn success_with(name: &str, value: bool) -> ApiResponse {
    let mut response = XmlResponse::success();
    response.element(name, if value { "true" } else { "false" });
    ApiResponse::xml(response.finish())
}
