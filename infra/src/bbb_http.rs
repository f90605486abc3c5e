//! The HTTP client behind the `BbbApi` port: signed URLs, timeouts (shorter for offline servers), answers read
//! up to a size limit and checked for a `returncode`.

use std::time::Duration;

use async_trait::async_trait;
use bytes::Bytes;
use scalelite_shared::bbb::checksum::Algorithm;
use scalelite_shared::bbb::client::{BbbApi, CallError, Reply, Target, signed_url};
use scalelite_shared::bbb::meetings_xml::Status;

use crate::lazy_http::LazyClient;
use scalelite_shared::bbb::params::Params;

/// Calls BBB servers; built once per process and shared.
#[derive(Clone, Debug)]
pub struct BbbClient {
    normal: LazyClient,
    offline: LazyClient,
    algorithm: Algorithm,
    max_answer: usize,
}

fn clamp(value: f64, low: f64, high: f64) -> Duration {
    Duration::from_secs_f64(value.max(low).min(high.max(low)))
}

/// What went wrong, down to the cause (refused, timed out, name lookup, TLS), on one line.
fn cause(error: reqwest::Error) -> String {
    let mut text = if error.is_timeout() { "timed out".to_owned() } else { error.to_string() };
    let mut source = std::error::Error::source(&error);
    while let Some(inner) = source {
        let inner_text = inner.to_string();
        if !text.contains(&inner_text) {
            text.push_str(": ");
            text.push_str(&inner_text);
        }
        source = inner.source();
    }
    text
}

impl BbbClient {
    /// A client with upstream's timeouts; offline servers get `clamp(RT/10, 0.2..RT)` to connect and
    /// `clamp(RT/10, 0.5..RT)` in all. Redirects are never followed, and answers past `max_answer` bytes are
    /// refused.
    pub fn new(connect: Duration, response: Duration, algorithm: Algorithm, max_answer: usize) -> Self {
        Self::build(connect, response, algorithm, max_answer, usize::MAX)
    }

    /// The same, keeping no idle connection: a poll pass asks every server once per interval, so kept
    /// connections would only hold open files (three per server), however large the pool.
    pub fn for_polls(connect: Duration, response: Duration, algorithm: Algorithm, max_answer: usize) -> Self {
        Self::build(connect, response, algorithm, max_answer, 0)
    }

    fn build(connect: Duration, response: Duration, algorithm: Algorithm, max_answer: usize, idle: usize) -> Self {
        let rt = response.as_secs_f64();
        Self {
            normal: LazyClient::new(connect, response, idle),
            offline: LazyClient::new(clamp(rt / 10.0, 0.2, rt), clamp(rt / 10.0, 0.5, rt), idle),
            algorithm,
            max_answer,
        }
    }

    fn http(&self, target: Target<'_>) -> &reqwest::Client {
        if target.online { self.normal.get() } else { self.offline.get() }
    }

    async fn read(&self, request: reqwest::RequestBuilder) -> Result<Reply, CallError> {
        let body = self.read_body(request).await?;
        let status = Status::parse(&body).ok_or(CallError::Malformed)?;
        Ok(Reply { body, status })
    }

    /// The body of a successful HTTP answer, at most `max_answer` bytes.
    async fn read_body(&self, request: reqwest::RequestBuilder) -> Result<Bytes, CallError> {
        // Errors drop the URL: it carries the checksum, which must not reach the logs.
        let transport = |e: reqwest::Error| CallError::Transport(cause(e.without_url()));
        let mut response = request.send().await.map_err(transport)?;
        if response.status().is_redirection() {
            return Err(CallError::Redirect);
        }
        if !response.status().is_success() {
            return Err(CallError::HttpStatus(response.status().as_u16()));
        }
        if response.content_length().is_some_and(|length| length > self.max_answer as u64) {
            return Err(CallError::TooLarge(self.max_answer));
        }
        let mut body = Vec::new();
        while let Some(chunk) = response.chunk().await.map_err(transport)? {
            if body.len() + chunk.len() > self.max_answer {
                return Err(CallError::TooLarge(self.max_answer));
            }
            body.extend_from_slice(&chunk);
        }
        Ok(Bytes::from(body))
    }
}

#[async_trait]
impl BbbApi for BbbClient {
    fn signed_url(&self, target: Target<'_>, call: &str, query: &str) -> String {
        signed_url(self.algorithm, target.url, target.secret, call, query)
    }

    async fn get_query(&self, target: Target<'_>, call: &str, query: &str) -> Result<Reply, CallError> {
        let url = self.signed_url(target, call, query);
        self.read(self.http(target).get(url)).await
    }

    async fn post_xml(&self, target: Target<'_>, call: &str, params: &Params, body: Bytes) -> Result<Reply, CallError> {
        let url = self.signed_url(target, call, &params.encode());
        let request = self.http(target).post(url).header("content-type", "application/xml").body(body);
        self.read(request).await
    }

    async fn get_body(&self, target: Target<'_>, call: &str, params: &Params) -> Result<Bytes, CallError> {
        let url = self.signed_url(target, call, &params.encode());
        self.read_body(self.http(target).get(url)).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn transport_errors_do_not_carry_the_checksum() {
        let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let client = BbbClient::new(Duration::from_secs(1), Duration::from_secs(1), Algorithm::Sha256, 1 << 20);
        let url = format!("http://127.0.0.1:{port}/bigbluebutton/api");
        let target = Target { url: &url, secret: "s", online: true };
        let error = client.get(target, "getMeetings", &Params::default()).await.unwrap_err();
        assert!(matches!(error, CallError::Transport(_)));
        assert!(!error.to_string().contains("checksum"), "{error}");
    }

    #[test]
    fn offline_timeouts_follow_response_timeout() {
        assert_eq!(clamp(1.0, 0.2, 10.0), Duration::from_secs(1));
        assert_eq!(clamp(0.01, 0.5, 0.1), Duration::from_millis(500));
    }
}
