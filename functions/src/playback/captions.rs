//! `GET /captions/<recordID>/<file>`: a published recording's text tracks, handed to nginx with
//! `X-Accel-Redirect: /static-captions/<recordID>/<file>`. A protected recording's tracks are not served:
//! its playback cookie opens its format directories only.

use super::access::{accel_redirect, published, split_path};
use crate::Ctx;
use crate::registry::Outcome;
use crate::reject::Reject;
use crate::request::Call;

pub async fn run(ctx: &Ctx, Call { req, .. }: Call) -> Outcome {
    let Some(("captions", record_id)) = split_path(&req.path) else { return Err(Reject::NotFound) };
    let open = published(ctx, &req, record_id, None)
        .await
        .is_some_and(|recording| !(recording.protected && ctx.config.recordings.protected));
    if !open {
        return Err(Reject::NotFound);
    }
    Ok(accel_redirect(&format!("/static-captions{}", req.path.trim_start_matches("/captions"))))
}
