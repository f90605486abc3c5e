//! The `meta_secret-lrs-payload` create parameter: a tenant's LRS endpoint and credentials, sealed with the
//! BBB server's secret the way BBB opens them (AES-256-CBC, key and IV from PBKDF2-HMAC-SHA256 of the
//! secret with an 8-byte random salt and 10,000 rounds; Base64 of 8 random bytes, the salt, the ciphertext).

use aes::cipher::{BlockEncryptMut, KeyIvInit, block_padding::Pkcs7};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use serde::Serialize;

/// The create parameter that carries the sealed payload.
pub const PARAM: &str = "meta_secret-lrs-payload";

const ROUNDS: u32 = 10_000;

type Encryptor = cbc::Encryptor<aes::Aes256>;

/// How BBB authenticates to the LRS, as the payload names it.
#[derive(Serialize)]
#[serde(untagged)]
pub enum Credentials<'a> {
    Basic { lrs_username: &'a str, lrs_password: &'a str },
    Token { lrs_token: &'a str },
}

#[derive(Serialize)]
struct Payload<'a> {
    lrs_endpoint: &'a str,
    #[serde(flatten)]
    credentials: Credentials<'a>,
}

/// The payload JSON (`{"lrs_endpoint", "lrs_username", "lrs_password"}` or `{"lrs_endpoint", "lrs_token"}`).
pub fn payload_json(endpoint: &str, credentials: Credentials<'_>) -> String {
    serde_json::to_string(&Payload { lrs_endpoint: endpoint, credentials }).unwrap_or_default()
}

/// `plaintext` sealed with `secret` under a fresh random salt.
pub fn seal(secret: &str, plaintext: &[u8]) -> String {
    seal_with(secret, plaintext, rand::random(), rand::random())
}

/// The key (32 bytes) and IV (16 bytes) PBKDF2 derives from the secret and salt.
fn key_and_iv(secret: &str, salt: &[u8; 8]) -> [u8; 48] {
    pbkdf2::pbkdf2_hmac_array::<sha2::Sha256, 48>(secret.as_bytes(), salt, ROUNDS)
}

fn seal_with(secret: &str, plaintext: &[u8], lead: [u8; 8], salt: [u8; 8]) -> String {
    let key_iv = key_and_iv(secret, &salt);
    let (key, iv) = key_iv.split_at(32);
    let ciphertext = Encryptor::new(key.into(), iv.into()).encrypt_padded_vec_mut::<Pkcs7>(plaintext);
    let mut sealed = Vec::with_capacity(16 + ciphertext.len());
    sealed.extend_from_slice(&lead);
    sealed.extend_from_slice(&salt);
    sealed.extend_from_slice(&ciphertext);
    STANDARD.encode(sealed)
}

#[cfg(test)]
mod tests {
    use aes::cipher::BlockDecryptMut;

    use super::*;

    /// Opens a sealed payload as BBB does: skip 8 bytes, read the salt, derive, decrypt.
    fn open(secret: &str, sealed: &str) -> Option<Vec<u8>> {
        let bytes = STANDARD.decode(sealed).ok()?;
        let salt: [u8; 8] = bytes.get(8..16)?.try_into().ok()?;
        let key_iv = key_and_iv(secret, &salt);
        let (key, iv) = key_iv.split_at(32);
        cbc::Decryptor::<aes::Aes256>::new(key.into(), iv.into()).decrypt_padded_vec_mut::<Pkcs7>(&bytes[16..]).ok()
    }

    const BASIC: &str = r#"{"lrs_endpoint":"https://lrs.example/xapi","lrs_username":"u","lrs_password":"p"}"#;

    #[test]
    fn the_payload_json_is_upstreams() {
        let basic = Credentials::Basic { lrs_username: "u", lrs_password: "p" };
        assert_eq!(payload_json("https://lrs.example/xapi", basic), BASIC);
        let token = payload_json("https://lrs", Credentials::Token { lrs_token: "t\"1" });
        assert_eq!(token, r#"{"lrs_endpoint":"https://lrs","lrs_token":"t\"1"}"#);
    }

    #[test]
    fn sealing_matches_openssl() {
        // `openssl enc -aes-256-cbc -pbkdf2 -iter 10000 -md sha256 -S 0102030405060708 -pass pass:server-secret`
        // of BASIC (OpenSSL 3 writes no header when the salt is given).
        let openssl = "5RE3mvOE53NhpxmmRf0/zkMT2w2pLwREimQXjQetdUlrhTLA332dBV10pBDMZ5TjXqrJuzEwaXPs11/MZFcMQGoplKh5w+jM\
                       +h1OCTXbesE0oO3FBmiI/QiI/QVQOHEo";
        let salt = [1, 2, 3, 4, 5, 6, 7, 8];
        let sealed = STANDARD.decode(seal_with("server-secret", BASIC.as_bytes(), *b"Salted__", salt)).unwrap();
        assert_eq!(&sealed[..8], b"Salted__");
        assert_eq!(sealed[8..16], salt);
        assert_eq!(sealed[16..], STANDARD.decode(openssl).unwrap()[..]);
    }

    #[test]
    fn each_seal_is_salted_afresh_and_opens_with_the_secret_only() {
        let (one, two) = (seal("s3cret", BASIC.as_bytes()), seal("s3cret", BASIC.as_bytes()));
        assert_ne!(one, two);
        assert_eq!(open("s3cret", &one).as_deref(), Some(BASIC.as_bytes()));
        assert_eq!(open("s3cret", &two).as_deref(), Some(BASIC.as_bytes()));
        assert_ne!(open("other", &one).as_deref(), Some(BASIC.as_bytes()));
        assert_eq!(STANDARD.decode(&one).unwrap().len(), 16 + (BASIC.len() / 16 + 1) * 16);
    }
}
