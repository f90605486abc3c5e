//! `POST /scalelite/recordings/upload`: a BBB server sends one recording's tar (`<format>/<recordID>/...`),
//! authenticated by a bearer token signed with its own BBB secret; the tar is queued in the spool for the
//! import pass. Answers JSON: 201 when queued, else an `error` with the status saying why.

use http::{HeaderMap, StatusCode};
use scalelite_infra::recordings_fs::{ExtractError, entries_under};
use scalelite_shared::api::ApiResponse;
use scalelite_shared::config::ImportMode;
use scalelite_shared::model::ServerState;
use serde_json::json;

use super::upload_token::{UploadClaims, body_matches, claimed_server, is_safe_record_id, verify};
use crate::Ctx;
use crate::registry::Outcome;
use crate::reject::{Reject, Store};
use crate::request::Call;
use crate::request::bearer;

/// Content types a tar may be sent as.
const TAR_TYPES: &[&str] = &["application/x-tar", "application/octet-stream"];

/// A refusal: 401 with the Bearer challenge.
fn unauthorized(message: &str) -> Reject {
    Reject::Unauthorized { challenge: "Bearer".to_owned(), message: message.to_owned() }
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
        return Err(Reject::json(StatusCode::FORBIDDEN, "the server is disabled"));
    }
    Ok(claims)
}

/// Checks the recordID and the body against the token the registry verified, then queues the tar.
pub async fn run(ctx: &Ctx, Call { req, upload, .. }: Call) -> Outcome {
    let claims = upload.ok_or_else(|| unauthorized("an Authorization: Bearer token is required"))?;
    if ctx.config.recordings.import_mode != ImportMode::Spool {
        return Err(Reject::json(StatusCode::CONFLICT, "this load balancer imports in place; it takes no uploads"));
    }
    if !is_safe_record_id(&claims.record_id) {
        return Err(Reject::json(
            StatusCode::BAD_REQUEST,
            "record_id must be a name of [A-Za-z0-9._-] not starting with .",
        ));
    }
    if !TAR_TYPES.contains(&req.content_type().as_str()) {
        return Err(Reject::json(StatusCode::UNSUPPORTED_MEDIA_TYPE, "send the tar as application/x-tar"));
    }
    if req.body.is_empty() {
        return Err(Reject::json(StatusCode::BAD_REQUEST, "the request body is empty"));
    }
    if !body_matches(&claims.sha256, &req.body) {
        return Err(Reject::json(StatusCode::BAD_REQUEST, "the body does not match the token's sha256"));
    }
    let (tar, record_id) = (req.body.clone(), claims.record_id.clone());
    let inside = tokio::task::spawn_blocking(move || entries_under(&tar, &record_id)).await;
    if let Ok(Err(error)) | Err(error) = inside.map_err(|e| ExtractError::Io(std::io::Error::other(e))) {
        tracing::warn!(server = %claims.sub, record_id = %claims.record_id, %error, "recording upload refused");
        return Err(Reject::json(StatusCode::BAD_REQUEST, &format!("the tar is refused: {error}")));
    }
    match ctx.files.enqueue(&claims.record_id, req.body).await {
        Ok(path) => {
            tracing::info!(server = %claims.sub, record_id = %claims.record_id, path = %path.display(), "recording queued");
            Ok(ApiResponse::json(
                StatusCode::CREATED,
                json!({"record_id": claims.record_id, "queued": true}).to_string(),
            ))
        }
        Err(io) => {
            tracing::error!(error = %io, record_id = %claims.record_id, "recording upload: cannot write to the spool");
            Err(Reject::json(StatusCode::INTERNAL_SERVER_ERROR, "the recording could not be queued"))
        }
    }
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
