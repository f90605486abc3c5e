//! `putRecordingTextTrack`: an uploaded caption file goes to `inbox/` of the captions directory (on the shared
//! volume or in the bucket), in the form BBB's caption processing picks up (`<recordID>-<id>-track.txt` and
//! its `-track.json`).

use bytes::Bytes;
use scalelite_shared::api::ApiRequest;
use scalelite_shared::bbb::error::ApiError;
use scalelite_shared::bbb::params::Params;
use serde_json::json;

use super::text_tracks::{json_success, recording_id};
use crate::Ctx;
use crate::registry::Outcome;
use crate::request::Call;

/// A BCP-47 tag as BBB takes it: a language and optional subtags.
fn valid_lang(lang: &str) -> bool {
    let mut parts = lang.split('-');
    parts.next().is_some_and(|l| (2..=8).contains(&l.len()) && l.bytes().all(|b| b.is_ascii_alphabetic()))
        && parts.all(|p| (1..=8).contains(&p.len()) && p.bytes().all(|b| b.is_ascii_alphanumeric()))
}

/// What a track upload says of its track, checked: `kind` (subtitles or captions), `lang` (a BCP-47 tag) and
/// `label` (the language when blank).
struct Track<'a> {
    kind: &'a str,
    lang: &'a str,
    label: &'a str,
}

impl<'a> Track<'a> {
    fn read(params: &'a Params) -> Result<Self, ApiError> {
        let kind = params.get("kind").unwrap_or_default();
        if !matches!(kind, "subtitles" | "captions") {
            return Err(ApiError::InvalidKind(kind.to_owned()));
        }
        let lang = params.get("lang").unwrap_or_default();
        if !valid_lang(lang) {
            return Err(ApiError::InvalidLang(lang.to_owned()));
        }
        Ok(Track { kind, lang, label: params.non_blank("label").unwrap_or(lang) })
    }
}

/// The uploaded `file` part: its name, content type and bytes.
async fn file_part(req: &ApiRequest) -> Option<(String, String, Bytes)> {
    let boundary = multer::parse_boundary(req.headers.get(http::header::CONTENT_TYPE)?.to_str().ok()?).ok()?;
    let body = req.body.clone();
    let stream = futures::stream::once(async move { Ok::<Bytes, std::io::Error>(body) });
    let mut multipart = multer::Multipart::new(stream, boundary);
    while let Ok(Some(field)) = multipart.next_field().await {
        if field.name() == Some("file") {
            let name = field.file_name().unwrap_or("track").to_owned();
            let content_type = field.content_type().map_or("text/plain".to_owned(), ToString::to_string);
            return field.bytes().await.ok().map(|bytes| (name, content_type, bytes));
        }
    }
    None
}

pub async fn run(ctx: &Ctx, Call { req, params, tenant, .. }: Call) -> Outcome {
    let record_id = recording_id(ctx, &params, tenant.map(|t| t.id)).await?;
    let Track { kind, lang, label } = Track::read(&params)?;
    let Some((file_name, content_type, bytes)) = file_part(&req).await.filter(|(_, _, b)| !b.is_empty()) else {
        return Err(ApiError::EmptyTextTrack.into());
    };
    let stem = format!("{record_id}-{}", uuid::Uuid::new_v4().simple());
    let track = format!("{stem}-track.txt");
    let description = json!({
        "record_id": record_id,
        "kind": kind,
        "lang": lang,
        "label": label,
        "original_filename": file_name,
        "content_type": content_type,
        "temp_filename": track,
    });
    if let Err(error) = ctx.files.queue_text_track(&stem, bytes, description.to_string().into()).await {
        tracing::error!(%error, record = record_id, "putRecordingTextTrack: cannot write the track");
        return Err(ApiError::internal("Unable to save the text track.").into());
    }
    Ok(json_success(json!({
        "messageKey": "upload_text_track_success",
        "message": "Text track uploaded successfully",
        "recordId": record_id,
    })))
}

#[cfg(test)]
mod tests {
    use super::valid_lang;

    #[test]
    fn language_tags() {
        for good in ["en", "en-US", "pt-BR", "zh-Hant-TW"] {
            assert!(valid_lang(good), "{good}");
        }
        for bad in ["", "e", "en_US", "../x", "en-", "toolonglanguage"] {
            assert!(!valid_lang(bad), "{bad}");
        }
    }
}
