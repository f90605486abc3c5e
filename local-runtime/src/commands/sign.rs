//! `scalelite sign CALL 'QUERY'`: a URL for a call, signed with the configured secret (SHA-256), so a call
//! can be tried with curl: BBB calls under `/bigbluebutton/api/`, admin actions and jobs at their own paths.

use anyhow::Context;
use scalelite_functions::registry::{self, Auth};
use scalelite_shared::bbb::checksum::{Algorithm, sign};
use scalelite_shared::config::Config;

/// The signed URL of `call` with `query`, on `base` (e.g. `http://127.0.0.1:3000`).
pub fn url(config: &Config, base: &str, call: &str, query: &str) -> anyhow::Result<String> {
    let secret = config.secrets.first().context("no LOADBALANCER_SECRET is configured to sign with")?;
    let function = registry::find(call).with_context(|| format!("no call named {call:?}"))?;
    let signed_as = match function.auth {
        Auth::Admin { signed_as } => signed_as,
        _ => function.name,
    };
    let path = function.paths().into_iter().next().unwrap_or_default();
    let checksum = sign(Algorithm::Sha256, signed_as, query, secret);
    let separator = if query.is_empty() { "" } else { "&" };
    Ok(format!("{}{path}?{query}{separator}checksum={checksum}", base.trim_end_matches('/')))
}
