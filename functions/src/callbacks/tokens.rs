//! The JWTs of callbacks: checking those BBB servers sign, signing those the load balancer sends.

use http::StatusCode;
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation, decode, encode};
use scalelite_shared::api::ApiRequest;
use serde::Serialize;

use crate::Ctx;
use crate::reject::Reject;
use crate::request::bearer;

/// `claims` signed with `secret`; `None` (logged) when they cannot be encoded.
pub(crate) fn sign(algorithm: Algorithm, claims: &impl Serialize, secret: &str) -> Option<String> {
    encode(&Header::new(algorithm), claims, &EncodingKey::from_secret(secret.as_bytes()))
        .map_err(|error| tracing::error!(%error, "cannot sign a callback token"))
        .ok()
}

/// True when `token` is an HS512 JWT signed with one of `secrets`, and not expired when it carries `exp`.
pub(crate) fn signed_by_any<'a>(token: &str, secrets: impl IntoIterator<Item = &'a str>) -> bool {
    let mut validation = Validation::new(Algorithm::HS512);
    validation.required_spec_claims.clear();
    secrets.into_iter().any(|secret| {
        decode::<serde_json::Value>(token, &DecodingKey::from_secret(secret.as_bytes()), &validation).is_ok()
    })
}

/// Passes a request whose bearer token one of the servers signed; anything else (a store failure too) is
/// logged and answered 204, as a forwarded callback is.
pub(crate) async fn check_server_signed(ctx: &Ctx, req: &ApiRequest) -> Result<(), Reject> {
    let ignored = |reason: &str| {
        tracing::info!(reason, "callback from an unproven sender ignored");
        Reject::Unverified(StatusCode::NO_CONTENT)
    };
    let token = bearer(&req.headers).ok_or_else(|| ignored("no bearer token"))?;
    let servers = ctx.servers.servers().await.map_err(|e| ignored(&format!("cannot read the servers: {e}")))?;
    if signed_by_any(token, servers.iter().map(|s| s.secret.as_str())) {
        Ok(())
    } else {
        Err(ignored("the token is not signed by any server"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Serialize)]
    struct Expiry {
        exp: u64,
    }

    #[test]
    fn only_hs512_under_a_known_secret_passes() {
        let future = Expiry { exp: jsonwebtoken::get_current_timestamp() + 600 };
        let token = sign(Algorithm::HS512, &future, "bbb").unwrap();
        assert!(signed_by_any(&token, ["other", "bbb"]));
        assert!(!signed_by_any(&token, ["other"]));
        assert!(!signed_by_any(&sign(Algorithm::HS256, &future, "bbb").unwrap(), ["bbb"]), "HS512 only");
        let past = Expiry { exp: jsonwebtoken::get_current_timestamp() - 3600 };
        assert!(!signed_by_any(&sign(Algorithm::HS512, &past, "bbb").unwrap(), ["bbb"]), "expired");
        assert!(!signed_by_any("not.a.token", ["bbb"]));
    }
}
