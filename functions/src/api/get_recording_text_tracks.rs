//! `getRecordingTextTracks`: the text tracks BBB keeps for a recording in `<recordID>/captions.json` of the
//! captions directory (on the shared volume or in the bucket), with links served under `/captions/`.

use scalelite_shared::bbb::error::ApiError;
use serde::Deserialize;
use serde_json::json;

use super::text_tracks::{json_success, recording_id};
use crate::Ctx;
use crate::registry::Outcome;
use crate::request::Call;

/// One entry of captions.json.
#[derive(Deserialize)]
struct Track {
    kind: String,
    lang: String,
    #[serde(default)]
    label: String,
    #[serde(default)]
    source: String,
}

pub async fn run(ctx: &Ctx, Call { req, params, tenant, .. }: Call) -> Outcome {
    let record_id = recording_id(ctx, &params, tenant.map(|t| t.id)).await?;
    let tracks: Vec<Track> = match ctx.files.text_tracks(&record_id).await {
        Ok(Some(listing)) => serde_json::from_slice(&listing).unwrap_or_else(|error| {
            tracing::warn!(record = record_id, %error, "unreadable captions.json");
            Vec::new()
        }),
        Ok(None) => Vec::new(),
        Err(error) => {
            tracing::warn!(record = record_id, %error, "cannot read captions.json");
            Vec::new()
        }
    };
    if tracks.is_empty() {
        return Err(ApiError::NoCaptionsFound(record_id).into());
    }
    let origin = req.origin();
    let tracks: Vec<_> = tracks
        .iter()
        .map(|t| {
            json!({
                "href": format!("{origin}/captions/{record_id}/{}_{}.vtt", t.kind, t.lang),
                "kind": t.kind,
                "label": t.label,
                "lang": t.lang,
                "source": t.source,
            })
        })
        .collect();
    Ok(json_success(json!({ "tracks": tracks })))
}
