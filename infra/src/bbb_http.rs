//! The HTTP client behind the `BbbApi` port: signed URLs, timeouts (shorter for offline servers), connections
//! kept under one bound, answers read up to a size limit and checked for a `returncode`.

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use bytes::Bytes;
use http::{Method, Uri};
use scalelite_shared::bbb::checksum::Algorithm;
use scalelite_shared::bbb::client::{BbbApi, CallError, Reply, Target, signed_url};
use scalelite_shared::bbb::meetings_xml::Status;
use scalelite_shared::bbb::params::Params;

use crate::kept_connections::{Failure, KeptConnections, Outgoing};

/// How long a call may take: to connect, and in all.
#[derive(Clone, Copy, Debug)]
struct Timeouts {
    connect: Duration,
    total: Duration,
}

/// Calls BBB servers; built once per process and shared by the calls and the polls.
#[derive(Clone, Debug)]
pub struct BbbClient {
    kept: Arc<KeptConnections>,
    online: Timeouts,
    offline: Timeouts,
    algorithm: Algorithm,
    max_answer: usize,
}

fn clamp(value: f64, low: f64, high: f64) -> Duration {
    Duration::from_secs_f64(value.max(low).min(high.max(low)))
}

impl From<Failure> for CallError {
    fn from(failure: Failure) -> Self {
        match failure {
            Failure::Transport(cause) => CallError::Transport(cause),
            Failure::TooLarge(max) => CallError::TooLarge(max),
        }
    }
}

impl BbbClient {
    /// A client with upstream's timeouts; offline servers get `clamp(RT/10, 0.2..RT)` to connect and
    /// `clamp(RT/10, 0.5..RT)` in all. Redirects are never followed, answers past `max_answer` bytes are
    /// refused, and at most `kept` idle connections stay open (one a server).
    pub fn new(connect: Duration, response: Duration, algorithm: Algorithm, max_answer: usize, kept: usize) -> Self {
        let rt = response.as_secs_f64();
        Self {
            kept: Arc::new(KeptConnections::new(kept)),
            online: Timeouts { connect, total: response },
            offline: Timeouts { connect: clamp(rt / 10.0, 0.2, rt), total: clamp(rt / 10.0, 0.5, rt) },
            algorithm,
            max_answer,
        }
    }

    async fn read(&self, target: Target<'_>, outgoing: Outgoing) -> Result<Reply, CallError> {
        let body = self.read_body(target, outgoing).await?;
        let status = Status::parse(&body).ok_or(CallError::Malformed)?;
        Ok(Reply { body, status })
    }

    /// The body of a successful HTTP answer, at most `max_answer` bytes.
    async fn read_body(&self, target: Target<'_>, outgoing: Outgoing) -> Result<Bytes, CallError> {
        let timeouts = if target.online { self.online } else { self.offline };
        let call = async {
            let answer = self.kept.send(&outgoing, timeouts.connect).await?;
            let status = answer.response.status();
            if status.is_redirection() {
                return Err(CallError::Redirect);
            }
            if !status.is_success() {
                return Err(CallError::HttpStatus(status.as_u16()));
            }
            let length = answer.response.headers().get(http::header::CONTENT_LENGTH);
            if length.and_then(|v| v.to_str().ok()?.parse::<u64>().ok()).is_some_and(|l| l > self.max_answer as u64) {
                return Err(CallError::TooLarge(self.max_answer));
            }
            Ok(answer.body(self.max_answer).await?)
        };
        tokio::time::timeout(timeouts.total, call).await.map_err(|_| CallError::Transport("timed out".to_owned()))?
    }

    /// The request for `call` with an already encoded query. Errors never carry the URL: it holds the
    /// checksum, which must not reach the logs.
    fn outgoing(&self, target: Target<'_>, call: &str, query: &str, method: Method) -> Result<Outgoing, CallError> {
        let url = self.signed_url(target, call, query);
        let url = url.parse::<Uri>().map_err(|_| CallError::Transport("not a valid server URL".to_owned()))?;
        Ok(Outgoing { method, url, content_type: None, body: Bytes::new() })
    }
}

#[async_trait]
impl BbbApi for BbbClient {
    fn signed_url(&self, target: Target<'_>, call: &str, query: &str) -> String {
        signed_url(self.algorithm, target.url, target.secret, call, query)
    }

    async fn get_query(&self, target: Target<'_>, call: &str, query: &str) -> Result<Reply, CallError> {
        let outgoing = self.outgoing(target, call, query, Method::GET)?;
        self.read(target, outgoing).await
    }

    async fn post_xml(&self, target: Target<'_>, call: &str, params: &Params, body: Bytes) -> Result<Reply, CallError> {
        let outgoing = self.outgoing(target, call, &params.encode(), Method::POST)?;
        self.read(target, Outgoing { content_type: Some("application/xml"), body, ..outgoing }).await
    }

    async fn get_body(&self, target: Target<'_>, call: &str, params: &Params) -> Result<Bytes, CallError> {
        let outgoing = self.outgoing(target, call, &params.encode(), Method::GET)?;
        self.read_body(target, outgoing).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn transport_errors_do_not_carry_the_checksum() {
        let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let client = BbbClient::new(Duration::from_secs(1), Duration::from_secs(1), Algorithm::Sha256, 1 << 20, 4);
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
