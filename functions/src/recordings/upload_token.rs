//! The bearer token of a recording upload: an HS256 JWT signed with the uploading server's BBB secret that
//! names the server (`sub`), the recording (`record_id`) and the SHA-256 of the tar (`sha256`).

use jsonwebtoken::{Algorithm, DecodingKey, Validation, dangerous, decode, get_current_timestamp};
use serde::Deserialize;

/// Seconds a token may still have to live; a longer-lived one is refused, so a leaked token is soon useless.
pub(crate) const MAX_LIFETIME_SECS: u64 = 60 * 60;
/// Seconds of clock difference between a BBB server and the load balancer that are forgiven.
const LEEWAY_SECS: u64 = 30;
/// Longest recordID taken: BBB's are 54 characters, and the spool file name must stay under 255 bytes.
const MAX_RECORD_ID_LEN: usize = 128;

/// What a verified token says.
#[derive(Clone, Debug, Deserialize, PartialEq)]
pub struct UploadClaims {
    pub sub: String,
    pub record_id: String,
    pub sha256: String,
    pub exp: u64,
}

/// Why a token was refused.
#[derive(Debug, PartialEq, thiserror::Error)]
pub(crate) enum TokenError {
    #[error("the upload token is malformed")]
    Malformed,
    #[error("the upload token is invalid")]
    Invalid,
    #[error("the upload token has expired")]
    Expired,
    #[error("the upload token lives longer than {MAX_LIFETIME_SECS} seconds")]
    TooLong,
}

/// The server a token claims to come from, read without checking the signature (it picks the secret).
pub(crate) fn claimed_server(token: &str) -> Result<String, TokenError> {
    #[derive(Deserialize)]
    struct Subject {
        sub: String,
    }
    dangerous::insecure_decode::<Subject>(token)
        .map(|data| data.claims.sub)
        .ok()
        .filter(|sub| !sub.is_empty())
        .ok_or(TokenError::Malformed)
}

/// Checks the signature with `secret`, that the token names `server_id`, and its expiry.
pub(crate) fn verify(token: &str, server_id: &str, secret: &str) -> Result<UploadClaims, TokenError> {
    let mut validation = Validation::new(Algorithm::HS256);
    validation.leeway = LEEWAY_SECS;
    validation.set_required_spec_claims(&["exp", "sub"]);
    validation.sub = Some(server_id.to_owned());
    let claims = decode::<UploadClaims>(token, &DecodingKey::from_secret(secret.as_bytes()), &validation)
        .map_err(|error| match error.kind() {
            jsonwebtoken::errors::ErrorKind::ExpiredSignature => TokenError::Expired,
            _ => TokenError::Invalid,
        })?
        .claims;
    if claims.exp > get_current_timestamp() + MAX_LIFETIME_SECS {
        return Err(TokenError::TooLong);
    }
    Ok(claims)
}

/// True for a recordID that is safe as a file name: `[A-Za-z0-9._-]+`, not hidden, not too long.
pub(crate) fn is_safe_record_id(record_id: &str) -> bool {
    !record_id.is_empty()
        && record_id.len() <= MAX_RECORD_ID_LEN
        && !record_id.starts_with('.')
        && record_id.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'))
}

/// True when `digest` (a body's SHA-256) is the hex digest `sha256` (either case).
pub(crate) fn digest_matches(sha256: &str, digest: &[u8]) -> bool {
    hex::decode(sha256).is_ok_and(|claimed| claimed[..] == digest[..])
}

#[cfg(test)]
mod tests {
    use jsonwebtoken::{EncodingKey, Header, encode};
    use serde_json::json;

    use super::*;

    fn token(claims: serde_json::Value, secret: &str) -> String {
        encode(&Header::new(Algorithm::HS256), &claims, &EncodingKey::from_secret(secret.as_bytes())).unwrap()
    }

    fn claims(exp: u64) -> serde_json::Value {
        json!({"sub": "bbb-1", "record_id": "r-1", "sha256": "00", "exp": exp})
    }

    #[test]
    fn verifies_signature_subject_and_expiry() {
        let now = get_current_timestamp();
        let good = token(claims(now + 600), "s3cret");
        assert_eq!(claimed_server(&good), Ok("bbb-1".to_owned()));
        assert_eq!(verify(&good, "bbb-1", "s3cret").map(|c| c.record_id), Ok("r-1".to_owned()));
        assert_eq!(verify(&good, "bbb-1", "other"), Err(TokenError::Invalid));
        assert_eq!(verify(&good, "bbb-2", "s3cret"), Err(TokenError::Invalid));
        assert_eq!(verify(&token(claims(now - 600), "s3cret"), "bbb-1", "s3cret"), Err(TokenError::Expired));
        assert_eq!(verify(&token(claims(now + 7200), "s3cret"), "bbb-1", "s3cret"), Err(TokenError::TooLong));
        let none = token(json!({"sub": "bbb-1", "record_id": "r", "sha256": "00"}), "s3cret");
        assert_eq!(verify(&none, "bbb-1", "s3cret"), Err(TokenError::Invalid), "exp is required");
        for garbage in ["", "a.b.c", "not a token", "\u{0}\u{ff}.x.y"] {
            assert_eq!(claimed_server(garbage), Err(TokenError::Malformed));
        }
    }

    #[test]
    fn record_ids_and_hashes() {
        assert!(is_safe_record_id("a1b2c3d4e5f6-1700000000000"));
        for bad in ["", ".hidden", "..", "a/b", "a b", "r\u{e9}c", &"x".repeat(129)] {
            assert!(!is_safe_record_id(bad), "{bad:?}");
        }
        let empty = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
        use sha2::{Digest, Sha256};
        assert!(digest_matches(empty, &Sha256::digest(b"")));
        assert!(digest_matches(&empty.to_uppercase(), &Sha256::digest(b"")));
        assert!(!digest_matches(empty, &Sha256::digest(b"x")));
        assert!(!digest_matches("zz", &Sha256::digest(b"")));
    }
}
