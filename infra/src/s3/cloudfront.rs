//! CloudFront signed URLs with a canned policy: the URL and its expiry signed with RSA-SHA1 (PKCS#1 v1.5) by
//! the key CloudFront knows as `CF_KEY_PAIR_ID`, in CloudFront's own base64 (`+` `=` `/` become `-` `_` `~`).

use std::fmt;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use rsa::RsaPrivateKey;
use rsa::pkcs1::DecodeRsaPrivateKey;
use rsa::pkcs1v15::SigningKey;
use rsa::pkcs8::DecodePrivateKey;
use rsa::signature::{SignatureEncoding, Signer};
use scalelite_shared::config::CloudFrontConfig;
use scalelite_shared::store::StoreError;
use sha1::Sha1;

/// Signs URLs of one distribution.
#[derive(Clone)]
pub struct CloudFrontSigner {
    url: String,
    key_pair_id: String,
    key: SigningKey<Sha1>,
}

impl fmt::Debug for CloudFrontSigner {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CloudFrontSigner").field("url", &self.url).field("key_pair_id", &self.key_pair_id).finish()
    }
}

/// The canned policy CloudFront rebuilds from a signed URL and checks the signature against.
pub fn canned_policy(url: &str, expires: u64) -> String {
    let resource = serde_json::to_string(url).unwrap_or_default();
    format!(
        r#"{{"Statement":[{{"Resource":{resource},"Condition":{{"DateLessThan":{{"AWS:EpochTime":{expires}}}}}}}]}}"#
    )
}

/// Base64 in CloudFront's URL-safe variant.
pub fn cloudfront_base64(bytes: &[u8]) -> String {
    STANDARD
        .encode(bytes)
        .chars()
        .map(|c| match c {
            '+' => '-',
            '=' => '_',
            '/' => '~',
            other => other,
        })
        .collect()
}

impl CloudFrontSigner {
    /// The signer `CLOUDFRONT_URL`, `CF_KEY_PAIR_ID` and `CF_PRIVATE_KEY_B64` describe (a PKCS#1 or PKCS#8 PEM).
    pub fn new(config: &CloudFrontConfig) -> Result<Self, StoreError> {
        let refused = |why: &str| StoreError::Backend(format!("CF_PRIVATE_KEY_B64: {why}"));
        let compact: String = config.private_key_b64.split_whitespace().collect();
        let pem = STANDARD.decode(compact).map_err(|_| refused("not base64"))?;
        let pem = String::from_utf8(pem).map_err(|_| refused("not a PEM key"))?;
        let key = RsaPrivateKey::from_pkcs1_pem(&pem)
            .or_else(|_| RsaPrivateKey::from_pkcs8_pem(&pem))
            .map_err(|_| refused("not an RSA private key in PEM (PKCS#1 or PKCS#8)"))?;
        Ok(Self { url: config.url.clone(), key_pair_id: config.key_pair_id.clone(), key: SigningKey::new(key) })
    }

    /// The URL of `key` (already URL-encoded) in the distribution, valid until `expires` (Unix seconds).
    pub fn sign(&self, key: &str, expires: u64) -> String {
        let url = format!("{}/{key}", self.url);
        let signature = self.key.sign(canned_policy(&url, expires).as_bytes()).to_bytes();
        format!("{url}?Expires={expires}&Signature={}&Key-Pair-Id={}", cloudfront_base64(&signature), self.key_pair_id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn policy_and_base64_as_cloudfront_writes_them() {
        assert_eq!(
            canned_policy("https://d.example/published/a b", 7),
            r#"{"Statement":[{"Resource":"https://d.example/published/a b","Condition":{"DateLessThan":{"AWS:EpochTime":7}}}]}"#
        );
        assert_eq!(cloudfront_base64(&[0xfb, 0xff, 0xfe, 0x01]), "-~~-AQ__");
    }
}
