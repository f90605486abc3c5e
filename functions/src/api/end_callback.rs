//! `GET|POST end_callback` (no checksum; the URL carries the token create made for the meeting, which the
//! registry checks): BBB says a meeting ended. The meeting is forgotten at once and the front-end's own end
//! callback, if it gave one, is called with BBB's parameters. Always 200, empty; a missing or wrong token
//! changes nothing.

use http::StatusCode;
use scalelite_shared::api::ApiResponse;
use scalelite_shared::bbb::params::Params;

use crate::Ctx;
use crate::input::{FromCall, not_verified};
use crate::registry::Outcome;
use crate::reject::Reject;
use crate::request::{Call, Verified};

/// An end callback whose token the registry verified: BBB's parameters and the meeting they end.
pub struct EndOf {
    params: Params,
    meeting_id: String,
}

impl FromCall for EndOf {
    fn from_call(call: Call) -> Result<Self, Reject> {
        match call.verified {
            Verified::EndOf(meeting_id) => Ok(EndOf { params: call.params, meeting_id }),
            _ => Err(not_verified("the meeting of an end callback")),
        }
    }
}

/// `url` with `query` appended.
fn with_query(url: &str, query: &str) -> String {
    match (query.is_empty(), url.contains('?')) {
        (true, _) => url.to_owned(),
        (false, true) => format!("{url}&{query}"),
        (false, false) => format!("{url}?{query}"),
    }
}

async fn front_end_url(ctx: &Ctx, meeting_id: &str) -> Option<String> {
    match ctx.kept_callbacks.find(&*ctx.callbacks, meeting_id).await {
        Ok(callbacks) => callbacks.and_then(|c| c.end_callback_url),
        Err(error) => {
            tracing::error!(%error, meeting = meeting_id, "end callback: cannot read the callback URL");
            None
        }
    }
}

/// BBB's parameters without the load balancer's own (`token`), for the front-end.
fn front_end_query(params: &Params) -> String {
    let mut forwarded = params.clone();
    forwarded.remove("token");
    forwarded.encode()
}

async fn ended(ctx: &Ctx, params: &Params, meeting_id: &str) {
    let removed = async {
        let now = ctx.meetings.now_ms().await?;
        ctx.meetings.delete_meeting(meeting_id, &ctx.config.load, now).await
    };
    match removed.await {
        Ok(Some(_)) => tracing::info!(meeting = meeting_id, "meeting ended, by its server's callback"),
        Ok(None) => {
            tracing::info!(meeting = meeting_id, "end callback for an unknown meeting");
            return;
        }
        Err(error) => tracing::error!(%error, meeting = meeting_id, "end callback: cannot forget the meeting"),
    }
    let Some(url) = front_end_url(ctx, meeting_id).await else { return };
    match ctx.http.get().get(with_query(&url, &front_end_query(params))).send().await {
        Ok(response) => tracing::info!(status = response.status().as_u16(), "end callback forwarded"),
        Err(error) => tracing::warn!(error = %error.without_url(), "end callback receiver did not answer"),
    }
}

pub async fn run(ctx: &Ctx, EndOf { params, meeting_id }: EndOf) -> Outcome {
    ended(ctx, &params, &meeting_id).await;
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
