//! The token in the end-of-meeting URL handed to BBB: an HMAC of the meetingID under the load-balancer secret,
//! so only a URL this load balancer gave out can make it forget a meeting.

use hmac::{Hmac, Mac};
use sha2::Sha256;

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
