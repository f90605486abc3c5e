//! The request and response every handler speaks, whatever runtime carries them.

use std::sync::{Arc, Mutex};

use bytes::Bytes;
use futures::StreamExt;
use futures::stream::BoxStream;
use http::{HeaderMap, HeaderValue, Method, StatusCode, header};

/// One HTTP request as a handler sees it: the raw query is kept byte for byte, as checksums need it.
#[derive(Clone, Debug)]
pub struct ApiRequest {
    pub method: Method,
    pub path: String,
    pub raw_query: String,
    pub headers: HeaderMap,
    /// The body, gathered; empty when it is `streamed` instead.
    pub body: Bytes,
    /// The body as it arrives, for the functions that take large bodies (uploads).
    pub streamed: StreamedBody,
}

/// Why a request body ended before it was whole.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum BodyError {
    #[error("request body too large")]
    TooLarge,
    #[error("the request body stopped arriving")]
    Stalled,
    #[error("the request body broke off")]
    Broken,
}

impl BodyError {
    /// The status it is answered with.
    pub fn status(self) -> StatusCode {
        match self {
            BodyError::TooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            BodyError::Stalled => StatusCode::REQUEST_TIMEOUT,
            BodyError::Broken => StatusCode::BAD_REQUEST,
        }
    }
}

/// A body's pieces in order; after an error, nothing more.
pub type BodyStream = BoxStream<'static, Result<Bytes, BodyError>>;

/// A body handed over as it arrives, taken once by the function that reads it.
#[derive(Clone, Default)]
pub struct StreamedBody(Arc<Mutex<Option<BodyStream>>>);

impl StreamedBody {
    pub fn new(pieces: BodyStream) -> Self {
        Self(Arc::new(Mutex::new(Some(pieces))))
    }

    fn take(&self) -> Option<BodyStream> {
        self.0.lock().unwrap_or_else(std::sync::PoisonError::into_inner).take()
    }
}

impl std::fmt::Debug for StreamedBody {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("StreamedBody")
    }
}

impl ApiRequest {
    /// A GET request, mostly for tests and internal calls.
    pub fn get(path: &str, raw_query: &str) -> Self {
        Self {
            method: Method::GET,
            path: path.to_owned(),
            raw_query: raw_query.to_owned(),
            headers: HeaderMap::new(),
            body: Bytes::new(),
            streamed: StreamedBody::default(),
        }
    }

    /// The body piece by piece: the streamed pieces (once), else the gathered body as one piece.
    pub fn body_pieces(&self) -> BodyStream {
        self.streamed.take().unwrap_or_else(|| {
            let body = self.body.clone();
            futures::stream::iter((!body.is_empty()).then_some(Ok(body))).boxed()
        })
    }

    /// The first value of header `name` (proxies append theirs after a comma).
    fn first_value(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok()).and_then(|v| v.split(',').next()).map(str::trim)
    }

    /// The `host[:port]` the client used: `X-Forwarded-Host`, else `Host`.
    pub fn host(&self) -> Option<&str> {
        self.first_value("x-forwarded-host").or_else(|| self.first_value("host"))
    }

    /// `scheme://host[:port]` the client used: `X-Forwarded-Proto` (else http) and `host()` (else localhost).
    pub fn origin(&self) -> String {
        let scheme = self.first_value("x-forwarded-proto").filter(|s| matches!(*s, "http" | "https")).unwrap_or("http");
        format!("{scheme}://{}", self.host().unwrap_or("localhost"))
    }

    /// The Content-Type header without parameters, lower-cased ("" when absent).
    pub fn content_type(&self) -> String {
        self.headers
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.split(';').next())
            .map(|v| v.trim().to_ascii_lowercase())
            .unwrap_or_default()
    }
}

/// What a handler answers: status, headers and body.
#[derive(Clone, Debug, PartialEq)]
pub struct ApiResponse {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: Bytes,
}

impl ApiResponse {
    fn with(status: StatusCode, content_type: &'static str, body: impl Into<Bytes>) -> Self {
        let mut headers = HeaderMap::new();
        headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
        Self { status, headers, body: body.into() }
    }

    /// HTTP 200 with an XML body, as every BBB answer (success or error) is sent.
    pub fn xml(body: impl Into<Bytes>) -> Self {
        let mut response = Self::with(StatusCode::OK, "application/xml", body);
        response.headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
        response
    }

    /// A JSON body with the given status (the admin API).
    pub fn json(status: StatusCode, body: impl Into<Bytes>) -> Self {
        Self::with(status, "application/json", body)
    }

    /// Plain text (health checks).
    pub fn text(status: StatusCode, body: impl Into<Bytes>) -> Self {
        Self::with(status, "text/plain; charset=utf-8", body)
    }

    /// A status with no body (the callback endpoints).
    pub fn empty(status: StatusCode) -> Self {
        Self { status, headers: HeaderMap::new(), body: Bytes::new() }
    }

    /// A 302 redirect to `location`.
    pub fn redirect(location: &str) -> Self {
        let mut headers = HeaderMap::new();
        if let Ok(value) = HeaderValue::from_str(location) {
            headers.insert(header::LOCATION, value);
        }
        Self { status: StatusCode::FOUND, headers, body: Bytes::new() }
    }
}
