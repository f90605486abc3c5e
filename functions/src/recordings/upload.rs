//! `POST /scalelite/recordings/upload`: a BBB server sends one recording's tar (`<format>/<recordID>/...`),
//! authenticated by a bearer token signed with its own BBB secret; the tar is streamed into the spool (a
//! directory or the bucket) as it arrives, never held whole in memory, and queued for the import pass once it
//! is checked. Answers JSON: 201 when queued, else an `error` with the status saying why.

use futures::StreamExt;
use http::{HeaderMap, StatusCode};
use scalelite_infra::recordings_fs::ExtractError;
use scalelite_shared::api::{ApiRequest, ApiResponse};
use scalelite_shared::config::ImportMode;
use scalelite_shared::model::ServerState;
use scalelite_shared::store::SpoolWriter;
use serde_json::json;
use sha2::{Digest, Sha256};

use super::tar_check::TarCheck;
use super::upload_token::{UploadClaims, claimed_server, digest_matches, is_safe_record_id, verify};
use crate::Ctx;
use crate::input::{FromCall, not_verified};
use crate::refusal::Refusal;
use crate::registry::Outcome;
use crate::reject::{Reject, Store};
use crate::request::{Call, Verified, bearer};

/// Content types a tar may be sent as.
const TAR_TYPES: &[&str] = &["application/x-tar", "application/octet-stream"];

/// A refusal: 401 with the Bearer challenge.
fn unauthorized(message: &str) -> Reject {
    Refusal::InvalidToken(message.to_owned()).into()
}

/// Checks the token against the secret of the server it names (also before the body is read, so an
/// unauthenticated upload is refused without being received).
pub(crate) async fn authenticate(ctx: &Ctx, headers: &HeaderMap) -> Result<UploadClaims, Reject> {
    let token = bearer(headers).ok_or_else(|| unauthorized("an Authorization: Bearer token is required"))?;
    let server_id = claimed_server(token).map_err(|e| unauthorized(&e.to_string()))?;
    let server = match ctx.servers.server(&server_id).await {
        Ok(Some(server)) => server,
        Ok(None) => return Err(unauthorized("the upload token is invalid")),
        Err(store) => return Err(Reject::Store(Store::Servers, store)),
    };
    let claims = verify(token, &server.id, &server.secret).map_err(|e| unauthorized(&e.to_string()))?;
    if server.state == ServerState::Disabled {
        return Err(Refusal::ServerDisabled.into());
    }
    Ok(claims)
}

/// An upload whose token the registry verified: the request and the token's claims.
pub struct Upload {
    req: ApiRequest,
    claims: UploadClaims,
}

impl FromCall for Upload {
    fn from_call(call: Call) -> Result<Self, Reject> {
        match call.verified {
            Verified::Upload(claims) => Ok(Upload { req: call.req, claims }),
            _ => Err(not_verified("an upload token")),
        }
    }
}

/// Checks the recordID of the token the registry verified, then streams the tar into the spool, checking it
/// against the token's hash and walking its entries as it arrives; it is queued only when both pass.
pub async fn run(ctx: &Ctx, Upload { req, claims }: Upload) -> Outcome {
    if ctx.config.recordings.import_mode != ImportMode::Spool {
        return Err(Refusal::ImportsInPlace.into());
    }
    if !is_safe_record_id(&claims.record_id) {
        return Err(Refusal::UnsafeRecordId.into());
    }
    if !TAR_TYPES.contains(&req.content_type().as_str()) {
        return Err(Refusal::NotATar.into());
    }
    let mut writer = ctx.files.receive(&claims.record_id).await.map_err(|io| spool_failure(&claims, &io))?;
    if let Err(refusal) = receive(&req, &claims, writer.as_mut()).await {
        writer.abort().await;
        return Err(refusal);
    }
    let queued = writer.commit().await.map_err(|io| spool_failure(&claims, &io))?;
    tracing::info!(server = %claims.sub, record_id = %claims.record_id, tar = %queued, "recording queued");
    Ok(ApiResponse::json(StatusCode::CREATED, json!({"record_id": claims.record_id, "queued": true}).to_string()))
}

/// Hands the body to the spool writer and the tar walk piece by piece as it arrives, then checks it whole: not
/// empty, the token's hash, every entry under the token's recording.
async fn receive(req: &ApiRequest, claims: &UploadClaims, writer: &mut dyn SpoolWriter) -> Result<(), Reject> {
    let refused = |error: ExtractError| {
        tracing::warn!(server = %claims.sub, record_id = %claims.record_id, %error, "recording upload refused");
        Reject::from(Refusal::TarRefused(format!("the tar is refused: {error}")))
    };
    let mut pieces = req.body_pieces();
    let (mut digest, mut check, mut size) = (Sha256::new(), TarCheck::start(&claims.record_id), 0);
    while let Some(piece) = pieces.next().await {
        let piece = piece.map_err(Refusal::Body)?;
        size += piece.len();
        digest.update(&piece);
        check.feed(piece.clone()).await.map_err(refused)?;
        writer.write(piece).await.map_err(|io| spool_failure(claims, &io))?;
    }
    if size == 0 {
        return Err(Refusal::EmptyBody.into());
    }
    if !digest_matches(&claims.sha256, &digest.finalize()) {
        return Err(Refusal::HashMismatch.into());
    }
    check.finish().await.map_err(refused)
}

/// The spool could not take the tar.
fn spool_failure(claims: &UploadClaims, io: &std::io::Error) -> Reject {
    tracing::error!(error = %io, record_id = %claims.record_id, "recording upload: cannot write to the spool");
    Refusal::NotQueued.into()
}

#[cfg(test)]
mod tests {
    use http::header::{AUTHORIZATION, HeaderValue};

    use super::*;

    #[test]
    fn reads_bearer_tokens() {
        let headers = |value: &str| {
            let mut headers = HeaderMap::new();
            headers.insert(AUTHORIZATION, HeaderValue::from_str(value).unwrap());
            headers
        };
        assert_eq!(bearer(&headers("Bearer abc")), Some("abc"));
        assert_eq!(bearer(&headers("bearer  abc ")), Some("abc"));
        assert_eq!(bearer(&headers("Basic abc")), None);
        assert_eq!(bearer(&headers("Bearer ")), None);
        assert_eq!(bearer(&HeaderMap::new()), None);
    }
}
