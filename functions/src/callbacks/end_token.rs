//! The token in the end-of-meeting URL handed to BBB: an HMAC of the meetingID under the load-balancer secret,
//! so only a URL this load balancer gave out can make it forget a meeting.

use hmac::{Hmac, Mac};
use http::StatusCode;
use scalelite_shared::bbb::params::Params;
use sha2::Sha256;

use crate::reject::Reject;

type HmacSha256 = Hmac<Sha256>;

fn mac(secret: &str, meeting_id: &str) -> HmacSha256 {
    let mut mac = HmacSha256::new_from_slice(secret.as_bytes()).expect("HMAC takes keys of any length");
    mac.update(meeting_id.as_bytes());
    mac
}

/// The token for `meeting_id`, hex.
pub(crate) fn end_token(secret: &str, meeting_id: &str) -> String {
    hex::encode(mac(secret, meeting_id).finalize().into_bytes())
}

/// True when `token` was made for `meeting_id` with one of `secrets` (compared in constant time).
pub(crate) fn end_token_valid<'a>(
    secrets: impl IntoIterator<Item = &'a String>,
    meeting_id: &str,
    token: &str,
) -> bool {
    let Ok(bytes) = hex::decode(token) else { return false };
    secrets.into_iter().any(|secret| mac(secret, meeting_id).verify_slice(&bytes).is_ok())
}

/// The `meetingID` of an end callback whose `token` was made for it; else the callback is ignored (200).
pub(crate) fn verified_meeting(secrets: &[String], params: &Params) -> Result<String, Reject> {
    let token = params.get("token").unwrap_or_default();
    match params.non_blank("meetingID") {
        Some(meeting_id) if end_token_valid(secrets, meeting_id, token) => Ok(meeting_id.to_owned()),
        Some(meeting_id) => {
            tracing::warn!(meeting = meeting_id, "end callback without a valid token; ignored");
            Err(Reject::Unverified(StatusCode::OK))
        }
        None => Err(Reject::Unverified(StatusCode::OK)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_bound_to_meeting_and_secret() {
        let secrets = vec!["old".to_owned(), "new".to_owned()];
        let token = end_token("new", "m1");
        assert!(end_token_valid(&secrets, "m1", &token));
        assert!(!end_token_valid(&secrets, "m2", &token));
        assert!(!end_token_valid(&secrets[..1], "m1", &token));
        assert!(!end_token_valid(&secrets, "m1", "zz"));
        assert!(!end_token_valid(&secrets, "m1", ""));
    }
}
