//! `GET|POST end_callback` (no checksum): BBB says a meeting ended. The meeting is forgotten at once and the
//! front-end's own end callback, if it gave one, is called with BBB's parameters. Always 200, empty.

use http::StatusCode;
use scalelite_shared::api::{ApiRequest, ApiResponse};
use scalelite_shared::bbb::params::Params;

use crate::Ctx;
use crate::registry::Outcome;

/// `url` with `query` appended.
fn with_query(url: &str, query: &str) -> String {
    match (query.is_empty(), url.contains('?')) {
        (true, _) => url.to_owned(),
        (false, true) => format!("{url}&{query}"),
        (false, false) => format!("{url}?{query}"),
    }
}

async fn front_end_url(ctx: &Ctx, meeting_id: &str) -> Option<String> {
    match ctx.recordings.callbacks(meeting_id).await {
        Ok(callbacks) => callbacks.and_then(|c| c.end_callback_url),
        Err(error) => {
            tracing::error!(%error, meeting = meeting_id, "end callback: cannot read the callback URL");
            None
        }
    }
}

async fn ended(ctx: &Ctx, req: &ApiRequest, meeting_id: &str) {
    match ctx.store.delete_meeting(meeting_id).await {
        Ok(Some(_)) => tracing::info!(meeting = meeting_id, "meeting ended, by its server's callback"),
        Ok(None) => {
            tracing::info!(meeting = meeting_id, "end callback for an unknown meeting");
            return;
        }
        Err(error) => tracing::error!(%error, meeting = meeting_id, "end callback: cannot forget the meeting"),
    }
    let Some(url) = front_end_url(ctx, meeting_id).await else { return };
    match ctx.http.get(with_query(&url, &req.raw_query)).send().await {
        Ok(response) => tracing::info!(status = response.status().as_u16(), "end callback forwarded"),
        Err(error) => tracing::warn!(error = %error.without_url(), "end callback receiver did not answer"),
    }
}

pub async fn run(ctx: &Ctx, req: ApiRequest) -> Outcome {
    let params = Params::parse(req.raw_query.as_bytes());
    if let Some(meeting_id) = params.non_blank("meetingID") {
        ended(ctx, &req, meeting_id).await;
    }
    Ok(ApiResponse::empty(StatusCode::OK))
}

#[cfg(test)]
mod tests {
    use super::with_query;

    #[test]
    fn query_is_appended() {
        assert_eq!(
            with_query("https://a/end", "meetingID=m&recordingmarks=true"),
            "https://a/end?meetingID=m&recordingmarks=true"
        );
        assert_eq!(with_query("https://a/end?x=1", "recordingmarks=false"), "https://a/end?x=1&recordingmarks=false");
        assert_eq!(with_query("https://a/end", ""), "https://a/end");
    }
}
