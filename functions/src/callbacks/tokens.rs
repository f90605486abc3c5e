//! The JWTs of callbacks: checking those BBB servers sign, signing those the load balancer sends.

use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation, decode, encode};
use serde::Serialize;

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
