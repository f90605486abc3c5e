//! Recording uploads as a BBB server sends them: tokens signed with a server's secret over the body's SHA-256,
//! whole bodies, and bodies streamed chunked piece by piece as a test hands them over.

use futures::SinkExt;
use futures::channel::mpsc;
use jsonwebtoken::{Algorithm, EncodingKey, Header, encode, get_current_timestamp};
use reqwest::StatusCode;
use serde_json::json;
use sha2::{Digest, Sha256};
use std::io;
use tokio::task::JoinHandle;

use crate::{Answer, Harness};

pub const MIB: usize = 1024 * 1024;

pub fn sha256_hex(body: &[u8]) -> String {
    hex::encode(Sha256::digest(body))
}

/// An upload token of `server` for `record_id` over `body`, living `lifetime` seconds (negative: expired).
pub fn token(server: &str, secret: &str, record_id: &str, body: &[u8], lifetime: i64) -> String {
    let exp = get_current_timestamp().saturating_add_signed(lifetime);
    let claims = json!({"sub": server, "record_id": record_id, "sha256": sha256_hex(body), "exp": exp});
    encode(&Header::new(Algorithm::HS256), &claims, &EncodingKey::from_secret(secret.as_bytes())).expect("token")
}

/// The Authorization header of a token of the first simulated server, valid for ten minutes.
pub fn good_token(harness: &Harness, record_id: &str, body: &[u8]) -> Vec<u8> {
    bearer(&token("demo-0", harness.sim(0).secret(), record_id, body, 600))
}

pub fn bearer(token: &str) -> Vec<u8> {
    format!("Bearer {token}").into_bytes()
}

fn url(harness: &Harness) -> String {
    format!("{}/scalelite/recordings/upload", harness.running.base_url())
}

/// Sends `body` whole (with its Content-Length).
pub async fn upload(harness: &Harness, authorization: Option<&[u8]>, content_type: &str, body: Vec<u8>) -> Answer {
    let mut request = harness.client.post(url(harness)).header("content-type", content_type).body(body);
    if let Some(value) = authorization {
        request = request.header("authorization", reqwest::header::HeaderValue::from_bytes(value).expect("header"));
    }
    harness.fetch(request).await
}

/// An upload sent chunked, with no Content-Length: its pieces go out as the test sends them on `pieces`, and
/// the body ends when `pieces` is dropped.
pub struct StreamedUpload {
    pieces: mpsc::Sender<io::Result<Vec<u8>>>,
    answer: JoinHandle<reqwest::Result<(StatusCode, String)>>,
}

impl StreamedUpload {
    pub fn start(harness: &Harness, authorization: &[u8]) -> Self {
        let (pieces, body) = mpsc::channel(1);
        let request = harness
            .client
            .post(url(harness))
            .header("content-type", "application/x-tar")
            .header("authorization", reqwest::header::HeaderValue::from_bytes(authorization).expect("header"))
            .body(reqwest::Body::wrap_stream(body));
        let answer = tokio::spawn(async move {
            let response = request.send().await?;
            let status = response.status();
            Ok((status, response.text().await?))
        });
        Self { pieces, answer }
    }

    /// Sends the next piece.
    pub async fn send(&mut self, piece: &[u8]) {
        self.pieces.send(Ok(piece.to_vec())).await.expect("the request takes the piece");
    }

    /// Sends `body` in pieces of `size` bytes.
    pub async fn send_all(&mut self, body: &[u8], size: usize) {
        for piece in body.chunks(size) {
            self.send(piece).await;
        }
    }

    /// Sends `body` whole in pieces of 1 MiB and waits for the answer.
    pub async fn whole(harness: &Harness, authorization: &[u8], body: &[u8]) -> reqwest::Result<(StatusCode, String)> {
        let mut upload = Self::start(harness, authorization);
        upload.send_all(body, MIB).await;
        upload.finish().await
    }

    /// Offers the next piece: false once the request takes no more (the server answered and closed).
    pub async fn offer(&mut self, piece: &[u8]) -> bool {
        self.pieces.send(Ok(piece.to_vec())).await.is_ok()
    }

    /// Ends the body and waits for the answer (an error when the server broke the connection off).
    pub async fn finish(self) -> reqwest::Result<(StatusCode, String)> {
        drop(self.pieces);
        self.answer.await.expect("the request task")
    }

    /// The answer that came while the body is still open (the server gave up on it).
    pub async fn answer_before_the_end(self) -> reqwest::Result<(StatusCode, String)> {
        let Self { pieces, answer } = self;
        let answered = answer.await.expect("the request task");
        drop(pieces);
        answered
    }

    /// Goes away mid-body, as a client whose connection drops.
    pub fn vanish(self) {
        self.answer.abort();
    }
}
