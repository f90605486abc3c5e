//! Tells a front-end a recording of its meeting is imported: `signed_parameters=<JWT {meeting_id, record_id}>`
//! POSTed to the recording-ready URL it gave at create.

use http::StatusCode;
use http::header::CONTENT_TYPE;
use jsonwebtoken::Algorithm;
use scalelite_shared::bbb::checksum::Algorithm as Checksum;
use scalelite_shared::bbb::params::Params;
use scalelite_shared::config::Config;
use serde::Serialize;

use super::{each_secret, secrets_for, tokens};
use crate::Ctx;

#[derive(Serialize)]
struct Ready<'a> {
    meeting_id: &'a str,
    record_id: &'a str,
}

/// HS256 when SHA256 checksums are allowed, else HS512 when SHA512 is, else HS256.
fn algorithm(config: &Config) -> Algorithm {
    let allowed = |checksum| config.checksum_algorithms.contains(&checksum);
    if !allowed(Checksum::Sha256) && allowed(Checksum::Sha512) { Algorithm::HS512 } else { Algorithm::HS256 }
}

/// 2xx is done; 404 and 410 mean the front-end no longer knows the meeting, so another secret would not help.
fn settled(status: StatusCode) -> bool {
    status.is_success() || status == StatusCode::NOT_FOUND || status == StatusCode::GONE
}

/// Notifies the meeting's recording-ready URL, if it gave one, signed with the tenant's secrets when the
/// recording has one; failures are logged.
pub async fn notify(ctx: &Ctx, meeting_id: &str, record_id: &str, tenant_id: Option<&str>) {
    let url = match ctx.kept_callbacks.find(&*ctx.callbacks, meeting_id).await {
        Ok(Some(callbacks)) => match callbacks.recording_ready_url {
            Some(url) => url,
            None => return,
        },
        Ok(None) => return,
        Err(error) => {
            tracing::error!(%error, meeting = meeting_id, "recording ready: cannot read the callback URL");
            return;
        }
    };
    let (claims, algorithm) = (Ready { meeting_id, record_id }, algorithm(&ctx.config));
    let request = |secret: &str| {
        let token = tokens::sign(algorithm, &claims, secret)?;
        let body = Params::from_pairs([("signed_parameters", token)]).encode();
        Some(ctx.http.get().post(&url).header(CONTENT_TYPE, "application/x-www-form-urlencoded").body(body))
    };
    each_secret(&secrets_for(ctx, tenant_id).await, "recording ready", &url, request, settled).await;
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(algorithms: &str) -> Config {
        Config::from_lookup(|name| (name == "LOADBALANCER_CHECKSUM_ALGORITHM").then(|| algorithms.to_owned())).unwrap()
    }

    #[test]
    fn algorithm_follows_the_allowed_checksums() {
        assert_eq!(algorithm(&config("")), Algorithm::HS256);
        assert_eq!(algorithm(&config("SHA1:SHA512")), Algorithm::HS512);
        assert_eq!(algorithm(&config("SHA256:SHA512")), Algorithm::HS256);
        assert_eq!(algorithm(&config("SHA1")), Algorithm::HS256);
    }
}
