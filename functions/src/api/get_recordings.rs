//! `getRecordings`: served from the recordings index, with upstream's filters and BBB's offset/limit;
//! protected recordings get a fresh single-use playback token per format.

use std::collections::HashMap;

use scalelite_shared::api::ApiResponse;
use scalelite_shared::bbb::error::ApiError;
use scalelite_shared::bbb::params::Params;
use scalelite_shared::bbb::recordings_xml::{Links, recordings_document};
use scalelite_shared::model::{PlaybackFormat, Recording};
use scalelite_shared::store::RecordingQuery;

use super::page;
use super::recording_params::list;
use crate::Ctx;
use crate::registry::Outcome;
use crate::reject::{Reject, Store};
use crate::request::Call;

/// The index query a getRecordings call asks for.
pub fn query(params: &Params) -> RecordingQuery {
    let states = list(params, "state");
    let states = if states.is_empty() {
        Some(vec!["published".to_owned(), "unpublished".to_owned()])
    } else if states.iter().any(|s| s == "any") {
        None
    } else {
        Some(states)
    };
    let meta = params
        .iter()
        .filter_map(|(name, value)| {
            let key = name.strip_prefix("meta_")?;
            let values: Vec<String> = value.split(',').map(str::trim).map(str::to_owned).collect();
            Some((key.to_owned(), values))
        })
        .collect();
    let page = page(params);
    RecordingQuery {
        record_ids: Vec::new(),
        record_id_prefixes: list(params, "recordID"),
        meeting_ids: list(params, "meetingID"),
        states,
        meta,
        tenant_id: None,
        offset: page.offset,
        limit: page.limit,
    }
}

/// A 64-hex-character single-use token.
fn new_token() -> String {
    hex::encode(rand::random::<[u8; 32]>())
}

/// Mints a token for every format of every protected recording (when protection is on).
async fn tokens(ctx: &Ctx, recordings: &[Recording]) -> Result<HashMap<(String, String), String>, Reject> {
    let mut tokens = HashMap::new();
    if !ctx.config.recordings.protected {
        return Ok(tokens);
    }
    let ttl_ms = i64::try_from(ctx.config.recordings.token_timeout.as_millis()).unwrap_or(i64::MAX);
    for recording in recordings.iter().filter(|r| r.protected) {
        for format in &recording.formats {
            let token = new_token();
            let value = serde_json::json!({ "record_id": recording.record_id, "format": format.format }).to_string();
            ctx.tokens.put_token(&token, &value, ttl_ms).await.map_err(Reject::store(Store::Meetings))?;
            tokens.insert((recording.record_id.clone(), format.format.clone()), token);
        }
    }
    Ok(tokens)
}

/// The answer while recordings are disabled: an empty list.
pub fn none() -> ApiResponse {
    let no_link = |_: &Recording, _: &PlaybackFormat| String::new();
    ApiResponse::xml(recordings_document(&[], &Links { origin: "", show_protected: false, playback_url: &no_link }))
}

pub async fn run(ctx: &Ctx, Call { req, params, tenant, .. }: Call) -> Outcome {
    let origin = req.origin();
    let tenant_id = tenant.map(|t| t.id);
    if ctx.config.recordings.get_recordings_filtered
        && params.non_blank("recordID").is_none()
        && params.non_blank("meetingID").is_none()
    {
        return Err(ApiError::MissingParameters.into());
    }
    let found = ctx
        .recordings
        .recordings(&RecordingQuery { tenant_id, ..query(&params) })
        .await
        .map_err(Reject::store(Store::Recordings))?;
    let tokens = tokens(ctx, &found).await?;
    let token = |recording: &Recording, format: &PlaybackFormat| {
        // Most answers hold no protected recording: no key is built for them.
        if tokens.is_empty() { None } else { tokens.get(&(recording.record_id.clone(), format.format.clone())) }
    };
    let playback_url = |recording: &Recording, format: &PlaybackFormat| match token(recording, format) {
        Some(token) => format!("{origin}/recording/{}/{}?token={token}", recording.record_id, format.format),
        None => format!("{origin}{}", format.url),
    };
    let links = Links { origin: &origin, show_protected: ctx.config.recordings.protected, playback_url: &playback_url };
    Ok(ApiResponse::xml(recordings_document(&found, &links)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_filters() {
        let q = query(&Params::parse(b"recordID=a,b&meetingID=m&state=any&meta_origin=x,y&limit=500&offset=3"));
        assert_eq!(q.record_id_prefixes, ["a", "b"]);
        assert_eq!(q.meeting_ids, ["m"]);
        assert_eq!(q.states, None);
        assert_eq!(q.meta, [("origin".to_owned(), vec!["x".to_owned(), "y".to_owned()])]);
        assert_eq!((q.offset, q.limit), (3, Some(100)));
        let q = query(&Params::parse(b"limit=x"));
        assert_eq!(q.states, Some(vec!["published".to_owned(), "unpublished".to_owned()]));
        assert_eq!((q.offset, q.limit), (0, None));
    }
}
