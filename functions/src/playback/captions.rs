//! `GET /captions/<recordID>/<file>`: a published recording's text tracks, handed to nginx with
//! `X-Accel-Redirect: /static-captions/<recordID>/<file>`, or with the files in a bucket a 307 to a
//! time-limited signed URL of the object. A protected recording's tracks are not served: its playback cookie
//! opens its format directories only.

use super::access::{accel_redirect, published, split_path};
use super::delivery::{answer, file_below};
use crate::Ctx;
use crate::registry::Outcome;
use crate::reject::Reject;
use crate::request::Call;

pub async fn run(ctx: &Ctx, Call { req, .. }: Call) -> Outcome {
    let Some(("captions", record_id)) = split_path(&req.path) else { return Err(Reject::NotFound) };
    let file = file_below(&req.path).ok_or(Reject::NotFound)?;
    let open = published(ctx, &req, record_id, None)
        .await
        .is_some_and(|recording| !(recording.protected && ctx.config.recordings.protected));
    if !open {
        return Err(Reject::NotFound);
    }
    answer(ctx.files.deliver_text_track(record_id, &file).await, record_id, || {
        accel_redirect(&format!("/static-captions{}", req.path.trim_start_matches("/captions")))
    })
}
