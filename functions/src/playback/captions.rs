//! `GET /captions/<recordID>/<file>`: a published recording's text tracks, handed to nginx with
//! `X-Accel-Redirect: /static-captions/<recordID>/<file>`. A protected recording's tracks are not served:
//! its playback cookie opens its format directories only.

use scalelite_shared::api::ApiRequest;

use super::access::{accel_redirect, not_found, published, split_path};
use crate::Ctx;
use crate::registry::Outcome;

pub async fn run(ctx: &Ctx, req: ApiRequest) -> Outcome {
    let Some(("captions", record_id)) = split_path(&req.path) else { return Ok(not_found()) };
    if ctx.config.recordings.disabled {
        return Ok(not_found());
    }
    let open = published(ctx, record_id, None)
        .await
        .is_some_and(|recording| !(recording.protected && ctx.config.recordings.protected));
    if !open {
        return Ok(not_found());
    }
    Ok(accel_redirect(&format!("/static-captions{}", req.path.trim_start_matches("/captions"))))
}
