//! `GET /captions/<recordID>/<file>`: a published recording's text tracks, handed to nginx with
//! `X-Accel-Redirect: /static-captions/<recordID>/<file>`, or with the files in a bucket a 307 to a
//! time-limited signed URL of the object. A protected recording's tracks are not served: its playback cookie
//! opens its format directories only.

use super::access::accel_redirect;
use super::delivery::{answer, file_below};
use super::verify::Reading;
use crate::Ctx;
use crate::registry::Outcome;
use crate::reject::Reject;

pub async fn run(ctx: &Ctx, Reading { req, readable }: Reading) -> Outcome {
    let record_id = readable.recording.record_id;
    let file = file_below(&req.path).ok_or(Reject::NotFound)?;
    answer(ctx.files.deliver_text_track(&record_id, &file).await, &record_id, || {
        accel_redirect(&format!("/static-captions{}", req.path.trim_start_matches("/captions")))
    })
}
