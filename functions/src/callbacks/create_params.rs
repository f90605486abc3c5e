//! The callback URLs in create's parameters: remembered for the meeting, and either kept from BBB
//! (recording ready) or replaced with the load balancer's own endpoints (analytics, end of meeting).

use scalelite_shared::api::ApiRequest;
use scalelite_shared::bbb::params::Params;
use scalelite_shared::config::Config;
use scalelite_shared::model::{CallbackData, Tenant};

use super::end_token::end_token;

/// Recording-ready URL parameters, in the order the first present one is taken.
const RECORDING_READY: [&str; 3] =
    ["meta_bn-recording-ready-url", "meta_bbb-recording-ready-url", "meta_canvas-recording-ready-url"];
const ANALYTICS: &str = "meta_analytics-callback-url";
/// Matched without case: BBB lower-cases meta keys.
const END: &str = "meta_endCallbackUrl";

/// `https://<URL_HOST>` (`https://<tenant>.<URL_HOST>` for a tenant's meeting, so its callbacks come back
/// as the tenant's), or the origin the request came to when `URL_HOST` is unset.
pub(crate) fn base_url(config: &Config, req: &ApiRequest, tenant: Option<&Tenant>) -> String {
    match (&config.url_host, tenant) {
        (Some(host), Some(tenant)) => format!("https://{}.{host}", tenant.name),
        (Some(host), None) => format!("https://{host}"),
        (None, _) => req.origin(),
    }
}

/// Takes the callback URLs out of `params`: recording-ready ones removed, analytics and end of meeting
/// pointed at this load balancer under `base` (the end URL carrying its token made with `secret`).
pub(crate) fn take(params: &mut Params, base: &str, meeting_id: &str, secret: &str) -> CallbackData {
    let recording_ready_url = RECORDING_READY.iter().find_map(|name| params.non_blank(name).map(str::to_owned));
    for name in RECORDING_READY {
        params.remove(name);
    }

    let analytics_callback_url = params.non_blank(ANALYTICS).map(str::to_owned);
    if analytics_callback_url.is_some() {
        params.set(ANALYTICS, &format!("{base}/bigbluebutton/api/analytics_callback"));
    }

    let end_names: Vec<String> =
        params.iter().filter(|(name, _)| name.eq_ignore_ascii_case(END)).map(|(name, _)| name.to_owned()).collect();
    let end_callback_url = end_names.iter().find_map(|name| params.non_blank(name).map(str::to_owned));
    if end_callback_url.is_some() {
        for name in &end_names {
            params.remove(name);
        }
        let query = Params::from_pairs([("meetingID", meeting_id), ("token", &end_token(secret, meeting_id))]).encode();
        params.set(END, &format!("{base}/bigbluebutton/api/end_callback?{query}"));
    }

    CallbackData { recording_ready_url, analytics_callback_url, end_callback_url }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_are_taken_and_rewritten() {
        let mut params = Params::parse(
            b"meetingID=a+b&meta_bbb-recording-ready-url=https%3A%2F%2Fbbb&meta_canvas-recording-ready-url=c\
              &meta_analytics-callback-url=https%3A%2F%2Fan&meta_endcallbackurl=https%3A%2F%2Fend%3Fx%3D1",
        );
        let taken = take(&mut params, "https://lb", "a b", "s");
        assert_eq!(
            taken,
            CallbackData {
                recording_ready_url: Some("https://bbb".into()),
                analytics_callback_url: Some("https://an".into()),
                end_callback_url: Some("https://end?x=1".into()),
            }
        );
        assert_eq!(params.get("meta_bbb-recording-ready-url"), None);
        assert_eq!(params.get("meta_canvas-recording-ready-url"), None);
        assert_eq!(params.get(ANALYTICS), Some("https://lb/bigbluebutton/api/analytics_callback"));
        assert_eq!(params.get("meta_endcallbackurl"), None);
        let token = end_token("s", "a b");
        assert_eq!(
            params.get(END),
            Some(format!("https://lb/bigbluebutton/api/end_callback?meetingID=a+b&token={token}").as_str())
        );
    }

    #[test]
    fn bn_wins_and_nothing_is_added() {
        let mut params = Params::parse(b"meta_bbb-recording-ready-url=b&meta_bn-recording-ready-url=n");
        assert_eq!(take(&mut params, "https://lb", "m", "s").recording_ready_url.as_deref(), Some("n"));
        assert!(params.is_empty());
        let mut plain = Params::parse(b"meetingID=m&name=x");
        assert!(take(&mut plain, "https://lb", "m", "s").is_empty());
        assert_eq!(plain, Params::parse(b"meetingID=m&name=x"));
    }
}
