//! `updateRecordings`: metadata edits (`meta_x=` deletes x) and `protect`, applied to every listed
//! recording at once, or to none when any of them is unknown.

use scalelite_shared::bbb::params::Params;
use scalelite_shared::bbb::recordings_xml::valid_meta_key;
use scalelite_shared::store::{RecordingEdits, RecordingQuery};

use super::recording_params::{record_ids, success_with};
use crate::Ctx;
use crate::input::FromCall;
use crate::registry::Outcome;
use crate::reject::{Reject, Store};
use crate::request::Call;

/// The parameters of an updateRecordings call: the recordIDs (required) and the edits.
pub struct Update {
    record_ids: Vec<String>,
    edits: RecordingEdits,
    tenant_id: Option<String>,
}

impl FromCall for Update {
    fn from_call(Call { params, tenant, .. }: Call) -> Result<Self, Reject> {
        Ok(Update { record_ids: record_ids(&params)?, edits: edits(&params), tenant_id: tenant.map(|t| t.id) })
    }
}

/// The edits a call asks for; keys are lower-cased, and keys that cannot be XML names are ignored.
fn edits(params: &Params) -> RecordingEdits {
    let metadata = params
        .iter()
        .filter_map(|(name, value)| {
            let key = name.strip_prefix("meta_")?.to_lowercase();
            valid_meta_key(&key).then(|| (key, (!value.is_empty()).then(|| value.to_owned())))
        })
        .collect();
    let protect = match params.get("protect").map(str::to_ascii_lowercase).as_deref() {
        Some("true") => Some(true),
        Some("false") => Some(false),
        _ => None,
    };
    RecordingEdits { metadata, protect }
}

pub async fn run(ctx: &Ctx, Update { record_ids: ids, edits, tenant_id }: Update) -> Outcome {
    let query = RecordingQuery { record_ids: ids.clone(), states: None, tenant_id, ..RecordingQuery::default() };
    let found = ctx.recordings.recordings(&query).await.map_err(Reject::store(Store::Recordings))?;
    if found.len() != ids.len() {
        return Ok(success_with("updated", false));
    }
    let changed = ctx.recordings.update_recordings(&ids, &edits).await.map_err(Reject::store(Store::Recordings))?;
    // As upstream: edits that were applied count as an update even when the values were already so.
    Ok(success_with("updated", changed || edits.protect.is_some() || !edits.metadata.is_empty()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_edits() {
        let edits = edits(&Params::parse(b"recordID=r&meta_Name=x&meta_gone=&meta_%3Cbad%3E=y&protect=TRUE"));
        assert_eq!(edits.metadata, [("name".to_owned(), Some("x".to_owned())), ("gone".to_owned(), None)]);
        assert_eq!(edits.protect, Some(true));
    }
}
