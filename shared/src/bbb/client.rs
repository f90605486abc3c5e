//! The port through which the load balancer calls BBB servers ([`BbbApi`]), what a call answers, and how a
//! call's URL is signed. The HTTP client behind it lives in `scalelite-infra`.

use async_trait::async_trait;
use bytes::Bytes;

use crate::bbb::checksum::{Algorithm, sign};
use crate::bbb::meetings_xml::Status;
use crate::bbb::params::Params;

/// Where a call goes: a server's API base URL and secret.
#[derive(Clone, Copy, Debug)]
pub struct Target<'a> {
    pub url: &'a str,
    pub secret: &'a str,
    /// Offline servers get short timeouts, so a dead server answers fast.
    pub online: bool,
}

/// A BBB answer that carried a `returncode`.
#[derive(Clone, Debug)]
pub struct Reply {
    pub body: Bytes,
    pub status: Status,
}

/// Why a call produced no BBB answer.
#[derive(Debug, thiserror::Error)]
pub enum CallError {
    #[error("request failed: {0}")]
    Transport(String),
    #[error("HTTP status {0}")]
    HttpStatus(u16),
    /// Not a well-formed BBB answer with a `returncode` (a DTD, a forbidden character, broken tags...).
    #[error("the answer is not a well-formed BBB answer")]
    Malformed,
    #[error("the answer is larger than {0} bytes")]
    TooLarge(usize),
    #[error("BBB answered with a redirect, which is not followed")]
    Redirect,
}

/// The calls the load balancer makes to BBB servers; the infra crate makes them over HTTP, a test may fake them.
#[async_trait]
pub trait BbbApi: Send + Sync {
    /// `<base>/<call>?<query>&checksum=<hex>`, signed with the target's secret (redirects carry it).
    fn signed_url(&self, target: Target<'_>, call: &str, query: &str) -> String;
    /// GET `call` with an already encoded query.
    async fn get_query(&self, target: Target<'_>, call: &str, query: &str) -> Result<Reply, CallError>;
    /// POST `call` with `params` in the query and an XML body.
    async fn post_xml(&self, target: Target<'_>, call: &str, params: &Params, body: Bytes) -> Result<Reply, CallError>;
    /// GET `call` with `params`.
    async fn get(&self, target: Target<'_>, call: &str, params: &Params) -> Result<Reply, CallError> {
        self.get_query(target, call, &params.encode()).await
    }
    /// GET `call` with `params`, the answer's body left unread: for a caller that reads its status in the same
    /// pass as the rest (the poll's getMeetings).
    async fn get_body(&self, target: Target<'_>, call: &str, params: &Params) -> Result<Bytes, CallError> {
        self.get(target, call, params).await.map(|reply| reply.body)
    }
}

/// `<base>/<call>?<query>&checksum=<hex>`, signed with `secret` by `algorithm` (no `?` part but the checksum when
/// the query is empty).
pub fn signed_url(algorithm: Algorithm, base: &str, secret: &str, call: &str, query: &str) -> String {
    let checksum = sign(algorithm, call, query, secret);
    let base = base.trim_end_matches('/');
    if query.is_empty() {
        format!("{base}/{call}?checksum={checksum}")
    } else {
        format!("{base}/{call}?{query}&checksum={checksum}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signs_urls_like_upstream() {
        assert_eq!(
            signed_url(Algorithm::Sha1, "http://h/bigbluebutton/api/", "testsecret", "getMeetings", ""),
            "http://h/bigbluebutton/api/getMeetings?checksum=320c5fe9ed02c4337c946eb2f9e7587e16b22bcc"
        );
        let url = signed_url(Algorithm::Sha1, "http://h/bigbluebutton/api", "testsecret", "end", "meetingID=a");
        assert!(url.starts_with("http://h/bigbluebutton/api/end?meetingID=a&checksum="));
    }
}
