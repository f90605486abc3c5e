//! The request and response every handler speaks, whatever runtime carries them.

use bytes::Bytes;
use http::{HeaderMap, HeaderValue, Method, StatusCode, header};

/// One HTTP request as a handler sees it: the raw query is kept byte for byte, as checksums need it.
#[derive(Clone, Debug)]
pub struct ApiRequest {
    pub method: Method,
    pub path: String,
    pub raw_query: String,
    pub headers: HeaderMap,
    pub body: Bytes,
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
        }
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
