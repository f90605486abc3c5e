//! HTTP/1 connections to BBB servers kept open between calls: at most one idle connection a server and a fixed
//! number in all, the least recently used closed first. A poll pass asks every server in turn, so while the
//! bound is at least the pool's size every pass after the first reuses its connections (no connect, no new
//! local port), and however large the pool the process holds no more open files than the bound. An idle
//! connection is kept as its bare socket (with its TLS state, for HTTPS): HTTP's buffers and the task driving it
//! exist only while a call runs. Nothing watches an idle socket, so one the server closed stays kept until its
//! next call finds it closed (and goes on a new connection) or the bound closes it.

use std::future::Future;
use std::num::NonZeroUsize;
use std::pin::{Pin, pin};
use std::sync::{Mutex, MutexGuard, OnceLock};
use std::time::Duration;

use bytes::Bytes;
use futures::future::{self, Either};
use http::header::{CONNECTION, CONTENT_TYPE, HOST};
use http::{Method, Request, Response, Uri, Version};
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::client::conn::http1::{self, Parts, SendRequest};
use hyper_rustls::{HttpsConnector, HttpsConnectorBuilder, MaybeHttpsStream};
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioIo;
use lru::LruCache;
use tokio::net::TcpStream;
use tower_service::Service;

/// A connection's socket, plain or with TLS.
type Io = MaybeHttpsStream<TokioIo<TcpStream>>;
type Sender = SendRequest<Full<Bytes>>;
/// What drives a connection through one call, polled by the call itself; it gives the socket back once the call
/// is done.
type Driver = Pin<Box<dyn Future<Output = hyper::Result<Parts<Io>>> + Send>>;

/// The read buffer of a connection while a call runs.
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
    idle: Mutex<LruCache<String, Io>>,
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
    /// `None` once the connection ended (with the answer): the body is read from what it left, nothing kept.
    driver: Option<Driver>,
    /// Whether the connection may be kept after the answer: not after a request with a body, which a server may
    /// answer before reading it whole (the rest would stay unsent, or be taken for the next request).
    keepable: bool,
    origin: String,
    kept: &'a KeptConnections,
}

impl Answer<'_> {
    /// The body, at most `max` bytes (a longer one is an error and its connection closed).
    pub async fn body(self, max: usize) -> Result<Bytes, Failure> {
        let Answer { mut response, sender, driver, keepable, origin, kept } = self;
        let reading = async {
            let mut body = Vec::new();
            while let Some(frame) = response.body_mut().frame().await {
                let frame = frame.map_err(|e| Failure::Transport(cause(&e)))?;
                if let Ok(data) = frame.into_data() {
                    if body.len() + data.len() > max {
                        return Err(Failure::TooLarge(max));
                    }
                    body.extend_from_slice(&data);
                }
            }
            // With the call done and its sender gone, the driver ends and hands the socket back.
            drop(sender);
            Ok((Bytes::from(body), keepable && reusable(&response)))
        };
        let Some(driver) = driver else { return reading.await.map(|(body, _)| body) };
        // Read while the driver runs; a read in error drops the connection unfinished, which closes it.
        match future::select(pin!(reading), driver).await {
            Either::Left((read, driver)) => {
                let (body, reusable) = read?;
                if reusable
                    && let Ok(parts) = driver.await
                    && parts.read_buf.is_empty()
                {
                    kept.keep(origin, parts.io);
                }
                Ok(body)
            }
            // The connection ended first: what is left of the body is read, and nothing kept.
            Either::Right((_, reading)) => reading.await.map(|(body, _)| body),
        }
    }
}

/// Whether the server lets the connection of `response` carry another call: HTTP/1.1 without `Connection:
/// close`.
fn reusable(response: &Response<Incoming>) -> bool {
    let closing = response.headers().get_all(CONNECTION).iter().any(|value| {
        value.to_str().is_ok_and(|value| value.split(',').any(|token| token.trim().eq_ignore_ascii_case("close")))
    });
    response.version() == Version::HTTP_11 && !closing
}

/// Whether a request on a kept connection failed because the server had closed it meanwhile, before it could
/// have acted on the request (hyper finds a socket closed, or given up with an unasked `408`, while setting up
/// HTTP on it): then it goes again on a new connection. A request that was written and got no
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

    fn idle(&self) -> MutexGuard<'_, LruCache<String, Io>> {
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
        let keepable = outgoing.body.is_empty();
        let kept = self.idle().pop(&origin);
        if let Some(io) = kept {
            match Self::call(io, outgoing.request()?).await {
                Ok((response, sender, driver)) => {
                    return Ok(Answer { response, sender, driver, keepable, origin, kept: self });
                }
                Err(error) if closed_before_answer(&error, &outgoing.method) => {}
                Err(error) => return Err(Failure::Transport(cause(&error))),
            }
        }
        let io = self.connect(&outgoing.url, connect).await?;
        let (response, sender, driver) =
            Self::call(io, outgoing.request()?).await.map_err(|e| Failure::Transport(cause(&e)))?;
        Ok(Answer { response, sender, driver, keepable, origin, kept: self })
    }

    /// Sends `request` on `io`: HTTP/1 set up on it (the smallest read buffer hyper allows, as BBB's answers are
    /// read whole from several reads anyway) and driven by the call itself until it is done.
    async fn call(
        io: Io,
        request: Request<Full<Bytes>>,
    ) -> Result<(Response<Incoming>, Sender, Option<Driver>), hyper::Error> {
        let (mut sender, connection) =
            http1::Builder::new().read_buf_exact_size(Some(READ_BUFFER)).handshake(io).await?;
        let mut driver: Driver = Box::pin(connection.without_shutdown());
        let exchange = async {
            sender.ready().await?;
            sender.send_request(request).await
        };
        let (response, driver) = match future::select(pin!(exchange), driver.as_mut()).await {
            Either::Left((response, _)) => (response?, Some(driver)),
            // The connection ended with the answer or before it (the exchange then fails with why).
            Either::Right((_, exchange)) => (exchange.await?, None),
        };
        Ok((response, sender, driver))
    }

    /// A new connection to the origin of `url`, made within `within`.
    async fn connect(&self, url: &Uri, within: Duration) -> Result<Io, Failure> {
        let mut connector = self.connector()?;
        let connecting = async {
            std::future::poll_fn(|cx| connector.poll_ready(cx)).await?;
            connector.call(url.clone()).await
        };
        tokio::time::timeout(within, connecting)
            .await
            .map_err(|_| Failure::Transport("connect timed out".to_owned()))?
            .map_err(|e| Failure::Transport(cause(&*e)))
    }

    /// Keeps `io` as its origin's idle connection, closing the one it replaces or, past the bound, the least
    /// recently used.
    fn keep(&self, origin: String, io: Io) {
        if self.bound == 0 {
            return;
        }
        let closed = self.idle().push(origin, io);
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

    /// A server that answers each connection's first request as HTTP/1.1 with keep-alive, then gives up on it
    /// as some servers do on an idle timeout (an unasked `408` and a close); and how many connections it accepted.
    async fn closing_after_each_answer() -> (String, Arc<AtomicUsize>) {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/bigbluebutton/api/insertDocument", listener.local_addr().unwrap());
        let accepted = Arc::new(AtomicUsize::new(0));
        let counter = accepted.clone();
        tokio::spawn(async move {
            while let Ok((mut stream, _)) = listener.accept().await {
                counter.fetch_add(1, Ordering::SeqCst);
                let mut request = Vec::new();
                let mut buffer = [0_u8; 1024];
                while !request.ends_with(b"\r\n\r\n") {
                    let Ok(read @ 1..) = stream.read(&mut buffer).await else { break };
                    request.extend_from_slice(&buffer[..read]);
                }
                let _ = stream.write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 5\r\n\r\nhello").await;
                tokio::time::sleep(Duration::from_millis(5)).await;
                let _ = stream
                    .write_all(b"HTTP/1.1 408 Request Timeout\r\ncontent-length: 0\r\nconnection: close\r\n\r\n")
                    .await;
            }
        });
        (url, accepted)
    }

    #[tokio::test]
    async fn a_kept_connection_the_server_gave_up_on_is_replaced_even_for_a_post() {
        let (url, accepted) = closing_after_each_answer().await;
        let kept = KeptConnections::new(8);
        // A POST is not sent again once written: it must not go on the closed socket.
        let post = Outgoing { method: Method::POST, url: url.parse().unwrap(), content_type: None, body: Bytes::new() };
        for _ in 0..3 {
            let answer = kept.send(&post, Duration::from_secs(1)).await.unwrap();
            assert_eq!(answer.body(1024).await.unwrap(), "hello");
            // The server's timeout reaches this side before the next call.
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        assert_eq!(accepted.load(Ordering::SeqCst), 3);
    }

    #[tokio::test]
    async fn a_request_with_a_body_does_not_keep_its_connection() {
        let (url, accepted) = server(true).await;
        let kept = KeptConnections::new(8);
        let post = Outgoing {
            method: Method::POST,
            url: url.parse().unwrap(),
            content_type: Some("application/xml"),
            body: Bytes::from("<modules/>"),
        };
        for _ in 0..2 {
            let answer = kept.send(&post, Duration::from_secs(1)).await.unwrap();
            assert_eq!(answer.body(1024).await.unwrap(), "hello");
        }
        assert_eq!((accepted.load(Ordering::SeqCst), kept.idle_count()), (2, 0));
        // A call without a body keeps it again.
        call(&kept, &url).await;
        assert_eq!(kept.idle_count(), 1);
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
