//! HTTP/1 connections to BBB servers kept open between calls: at most one idle connection a server and a fixed
//! number in all, the least recently used closed first. A poll pass asks every server in turn, so while the
//! bound is at least the pool's size every pass after the first reuses its connections (no connect, no new
//! local port), and however large the pool the process holds no more open files than the bound.

use std::num::NonZeroUsize;
use std::sync::{Mutex, MutexGuard, OnceLock};
use std::time::Duration;

use bytes::Bytes;
use http::header::{CONTENT_TYPE, HOST};
use http::{Method, Request, Response, Uri};
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::client::conn::http1::{self, SendRequest};
use hyper_rustls::{HttpsConnector, HttpsConnectorBuilder};
use hyper_util::client::legacy::connect::HttpConnector;
use lru::LruCache;
use tower_service::Service;

type Sender = SendRequest<Full<Bytes>>;

/// The read buffer of a connection, which it keeps while idle.
const READ_BUFFER: usize = 4096;
type Connector = HttpsConnector<HttpConnector>;

/// A request to send: rebuilt for a second attempt when a kept connection turns out closed.
#[derive(Clone, Debug)]
pub struct Outgoing {
    pub method: Method,
    pub url: Uri,
    pub content_type: Option<&'static str>,
    pub body: Bytes,
}

/// Why a request got no answer, or an answer could not be read.
#[derive(Debug, thiserror::Error)]
pub enum Failure {
    #[error("{0}")]
    Transport(String),
    #[error("answer larger than {0} bytes")]
    TooLarge(usize),
}

/// The idle connections, by origin (`scheme://host:port`), least recently used first out.
pub struct KeptConnections {
    /// None are kept when it is 0.
    bound: usize,
    idle: Mutex<LruCache<String, Sender>>,
    /// Built on first use: it loads the system's trusted certificates, which a process that never calls out
    /// should not pay for at start.
    connector: OnceLock<Connector>,
}

impl std::fmt::Debug for KeptConnections {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let idle = self.idle();
        f.debug_struct("KeptConnections").field("idle", &idle.len()).field("bound", &self.bound).finish()
    }
}

/// The whole chain of causes of `error`, on one line.
fn cause(error: &(dyn std::error::Error + 'static)) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
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

/// `scheme://host:port` of `url`, the key its connections are kept under.
fn origin(url: &Uri) -> Result<String, Failure> {
    let (Some(scheme), Some(host)) = (url.scheme_str(), url.host()) else {
        return Err(Failure::Transport(format!("not an absolute URL: {url}")));
    };
    let port = url.port_u16().unwrap_or(if scheme == "https" { 443 } else { 80 });
    Ok(format!("{scheme}://{host}:{port}"))
}

impl Outgoing {
    /// The request as sent on a connection to its origin: the path and query as target, the host as header.
    fn request(&self) -> Result<Request<Full<Bytes>>, Failure> {
        let target = self.url.path_and_query().map_or("/", |p| p.as_str());
        let host = self.url.authority().map_or("", |a| a.as_str());
        let mut request = Request::builder().method(self.method.clone()).uri(target).header(HOST, host);
        if let Some(content_type) = self.content_type {
            request = request.header(CONTENT_TYPE, content_type);
        }
        request.body(Full::new(self.body.clone())).map_err(|e| Failure::Transport(cause(&e)))
    }
}

/// An answer whose body is still to be read; its connection is kept once the body was read whole, and closed
/// when the answer is dropped unread.
pub struct Answer<'a> {
    pub response: Response<Incoming>,
    sender: Sender,
    origin: String,
    kept: &'a KeptConnections,
}

impl Answer<'_> {
    /// The body, at most `max` bytes (a longer one is an error and its connection closed).
    pub async fn body(mut self, max: usize) -> Result<Bytes, Failure> {
        let mut body = Vec::new();
        while let Some(frame) = self.response.body_mut().frame().await {
            let frame = frame.map_err(|e| Failure::Transport(cause(&e)))?;
            if let Ok(data) = frame.into_data() {
                if body.len() + data.len() > max {
                    return Err(Failure::TooLarge(max));
                }
                body.extend_from_slice(&data);
            }
        }
        self.kept.keep(self.origin, self.sender);
        Ok(Bytes::from(body))
    }
}

/// Whether a request on a kept connection failed because the server had closed it meanwhile, before it could
/// have acted on the request: then it goes again on a new connection. A request that was written and got no
/// answer goes again only when it is a GET (which BBB calls are, save document uploads).
fn closed_before_answer(error: &hyper::Error, method: &Method) -> bool {
    error.is_closed() || error.is_canceled() || (error.is_incomplete_message() && method == Method::GET)
}

impl KeptConnections {
    /// Keeps at most `bound` idle connections (none when it is 0).
    pub fn new(bound: usize) -> Self {
        let idle = LruCache::new(NonZeroUsize::new(bound).unwrap_or(NonZeroUsize::MIN));
        Self { bound, idle: Mutex::new(idle), connector: OnceLock::new() }
    }

    fn idle(&self) -> MutexGuard<'_, LruCache<String, Sender>> {
        self.idle.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Connections kept idle now.
    #[cfg(test)]
    fn idle_count(&self) -> usize {
        self.idle().len()
    }

    fn connector(&self) -> Result<Connector, Failure> {
        if let Some(connector) = self.connector.get() {
            return Ok(connector.clone());
        }
        let mut http = HttpConnector::new();
        http.enforce_http(false);
        http.set_nodelay(true);
        let tls = HttpsConnectorBuilder::new()
            .with_provider_and_platform_verifier(rustls::crypto::aws_lc_rs::default_provider())
            .map_err(|e| Failure::Transport(format!("TLS set-up: {}", cause(&e))))?;
        let connector = tls.https_or_http().enable_http1().wrap_connector(http);
        Ok(self.connector.get_or_init(|| connector).clone())
    }

    /// Sends `outgoing` on the kept connection to its origin, or on a new one made within `connect`; a kept
    /// connection the server closed meanwhile is replaced by a new one.
    pub async fn send(&self, outgoing: &Outgoing, connect: Duration) -> Result<Answer<'_>, Failure> {
        let origin = origin(&outgoing.url)?;
        let kept = self.idle().pop(&origin);
        if let Some(sender) = kept {
            match Self::send_on(sender, outgoing.request()?).await {
                Ok((response, sender)) => return Ok(Answer { response, sender, origin, kept: self }),
                Err(error) if closed_before_answer(&error, &outgoing.method) => {}
                Err(error) => return Err(Failure::Transport(cause(&error))),
            }
        }
        let sender = self.connect(&outgoing.url, connect).await?;
        let (response, sender) =
            Self::send_on(sender, outgoing.request()?).await.map_err(|e| Failure::Transport(cause(&e)))?;
        Ok(Answer { response, sender, origin, kept: self })
    }

    async fn send_on(
        mut sender: Sender,
        request: Request<Full<Bytes>>,
    ) -> Result<(Response<Incoming>, Sender), hyper::Error> {
        sender.ready().await?;
        let response = sender.send_request(request).await?;
        Ok((response, sender))
    }

    /// A new connection to the origin of `url`, its HTTP/1 side driven by a task of its own until the
    /// connection is dropped.
    async fn connect(&self, url: &Uri, within: Duration) -> Result<Sender, Failure> {
        let mut connector = self.connector()?;
        let connecting = async {
            std::future::poll_fn(|cx| connector.poll_ready(cx)).await?;
            connector.call(url.clone()).await
        };
        let stream = tokio::time::timeout(within, connecting)
            .await
            .map_err(|_| Failure::Transport("connect timed out".to_owned()))?
            .map_err(|e| Failure::Transport(cause(&*e)))?;
        // The smallest read buffer hyper allows: an idle connection holds it while kept, and BBB's answers are read
        // whole from several reads anyway.
        let (sender, connection) = http1::Builder::new()
            .read_buf_exact_size(Some(READ_BUFFER))
            .handshake(stream)
            .await
            .map_err(|e| Failure::Transport(cause(&e)))?;
        tokio::spawn(async move {
            // Ends when the server closes the connection or its sender is dropped.
            let _ = connection.await;
        });
        Ok(sender)
    }

    /// Keeps `sender` as its origin's idle connection, closing the one it replaces or, past the bound, the
    /// least recently used.
    fn keep(&self, origin: String, sender: Sender) {
        if self.bound == 0 || sender.is_closed() {
            return;
        }
        let closed = self.idle().push(origin, sender);
        drop(closed);
    }
}

/// The bound when none is set: a quarter of the process's limit of open files (raised to its hard limit
/// first), as the HTTP server takes half for the connections it serves and the stores need their own.
pub fn default_bound() -> usize {
    let open_files = rlimit::increase_nofile_limit(u64::MAX).unwrap_or(1024);
    usize::try_from(open_files / 4).unwrap_or(usize::MAX)
}

#[cfg(test)]
mod tests {
    use std::convert::Infallible;
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};

    use hyper::server::conn::http1 as server;
    use hyper::service::service_fn;
    use hyper_util::rt::TokioIo;
    use tokio::net::TcpListener;

    use super::*;

    /// A server answering `hello` (keeping its connections open unless `keep_alive` is false), and how many
    /// connections it accepted.
    async fn server(keep_alive: bool) -> (String, Arc<AtomicUsize>) {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/api/call?x=1", listener.local_addr().unwrap());
        let accepted = Arc::new(AtomicUsize::new(0));
        let counter = accepted.clone();
        tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                counter.fetch_add(1, Ordering::SeqCst);
                let answer =
                    service_fn(|_| async { Ok::<_, Infallible>(Response::new(Full::new(Bytes::from("hello")))) });
                tokio::spawn(
                    server::Builder::new().keep_alive(keep_alive).serve_connection(TokioIo::new(stream), answer),
                );
            }
        });
        (url, accepted)
    }

    fn get(url: &str) -> Outgoing {
        Outgoing { method: Method::GET, url: url.parse().unwrap(), content_type: None, body: Bytes::new() }
    }

    async fn call(kept: &KeptConnections, url: &str) -> Bytes {
        kept.send(&get(url), Duration::from_secs(1)).await.unwrap().body(1024).await.unwrap()
    }

    #[tokio::test]
    async fn calls_to_a_server_reuse_one_connection() {
        let (url, accepted) = server(true).await;
        let kept = KeptConnections::new(8);
        for _ in 0..5 {
            assert_eq!(call(&kept, &url).await, "hello");
        }
        assert_eq!(accepted.load(Ordering::SeqCst), 1);
        assert_eq!(kept.idle_count(), 1);
    }

    #[tokio::test]
    async fn past_the_bound_the_least_recently_used_is_closed() {
        let servers = [server(true).await, server(true).await, server(true).await];
        let kept = KeptConnections::new(2);
        for (url, _) in &servers {
            call(&kept, url).await;
        }
        assert_eq!(kept.idle_count(), 2);
        // The second and third are kept; the first was closed when the third was kept.
        call(&kept, &servers[2].0).await;
        call(&kept, &servers[1].0).await;
        assert_eq!(servers.each_ref().map(|(_, accepted)| accepted.load(Ordering::SeqCst)), [1, 1, 1]);
        call(&kept, &servers[0].0).await;
        assert_eq!(servers[0].1.load(Ordering::SeqCst), 2);
        assert_eq!(kept.idle_count(), 2);
    }

    #[tokio::test]
    async fn a_connection_the_server_closed_is_replaced() {
        let (url, accepted) = server(false).await;
        let kept = KeptConnections::new(8);
        for _ in 0..4 {
            assert_eq!(call(&kept, &url).await, "hello");
        }
        assert_eq!(accepted.load(Ordering::SeqCst), 4);
    }

    #[tokio::test]
    async fn a_bound_of_zero_keeps_nothing() {
        let (url, accepted) = server(true).await;
        let kept = KeptConnections::new(0);
        call(&kept, &url).await;
        call(&kept, &url).await;
        assert_eq!((accepted.load(Ordering::SeqCst), kept.idle_count()), (2, 0));
    }

    #[tokio::test]
    async fn an_answer_too_large_is_refused_and_its_connection_not_kept() {
        let (url, _) = server(true).await;
        let kept = KeptConnections::new(8);
        let answer = kept.send(&get(&url), Duration::from_secs(1)).await.unwrap();
        assert!(matches!(answer.body(3).await, Err(Failure::TooLarge(3))));
        assert_eq!(kept.idle_count(), 0);
    }
}
