//! BBB checksums: the algorithm follows the digest length, several secrets are tried, comparison is constant-time.

use sha1::Sha1;
use sha2::{Digest, Sha256, Sha384, Sha512};
use subtle::ConstantTimeEq;

/// A checksum algorithm, ordered from weakest to strongest.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Algorithm {
    Sha1,
    Sha256,
    Sha384,
    Sha512,
}

impl Algorithm {
    /// The algorithm whose lowercase hex digest has `len` characters.
    pub fn from_hex_len(len: usize) -> Option<Self> {
        match len {
            40 => Some(Self::Sha1),
            64 => Some(Self::Sha256),
            96 => Some(Self::Sha384),
            128 => Some(Self::Sha512),
            _ => None,
        }
    }

    /// Parses `SHA1`, `sha256`, `SHA-512` and the like.
    pub fn parse(name: &str) -> Option<Self> {
        match name.trim().to_ascii_uppercase().replace('-', "").as_str() {
            "SHA1" => Some(Self::Sha1),
            "SHA256" => Some(Self::Sha256),
            "SHA384" => Some(Self::Sha384),
            "SHA512" => Some(Self::Sha512),
            _ => None,
        }
    }

    /// Lowercase hex digest of the concatenation of `parts`.
    pub fn hex_digest(self, parts: &[&[u8]]) -> String {
        fn run<D: Digest>(parts: &[&[u8]]) -> String {
            let mut digest = D::new();
            for part in parts {
                digest.update(part);
            }
            // Written in one pass and in constant time.
            base16ct::lower::encode_string(&digest.finalize())
        }
        match self {
            Self::Sha1 => run::<Sha1>(parts),
            Self::Sha256 => run::<Sha256>(parts),
            Self::Sha384 => run::<Sha384>(parts),
            Self::Sha512 => run::<Sha512>(parts),
        }
    }
}

/// `hex(H(call + query + secret))`, the checksum a BBB call carries.
pub fn sign(algorithm: Algorithm, call: &str, query: &str, secret: &str) -> String {
    algorithm.hex_digest(&[call.as_bytes(), query.as_bytes(), secret.as_bytes()])
}

/// Removes `checksum=<value>` from a raw query by text substitution, as BBB does: nothing is decoded.
pub fn strip_checksum(raw_query: &str, value: &str) -> String {
    let pair = format!("checksum={value}");
    // The common case, one checksum at the end: what the three substitutions below would leave.
    if let Some(head) = raw_query.strip_suffix(pair.as_str()).and_then(|rest| rest.strip_suffix('&'))
        && !head.contains(pair.as_str())
    {
        return head.to_owned();
    }
    raw_query
        .replace(&format!("&checksum={value}"), "")
        .replace(&format!("checksum={value}&"), "")
        .replace(&format!("checksum={value}"), "")
}

/// Which secrets and algorithms a checksum may use.
#[derive(Clone, Debug)]
pub struct ChecksumPolicy {
    secrets: Vec<String>,
    allowed: Vec<Algorithm>,
}

impl ChecksumPolicy {
    pub fn new(secrets: Vec<String>, allowed: Vec<Algorithm>) -> Self {
        let secrets = secrets.into_iter().filter(|s| !s.is_empty()).collect();
        Self { secrets, allowed }
    }

    /// True when `checksum` signs `call` + one of `signed_queries` with an allowed algorithm and a known secret.
    pub fn verify(&self, call: &str, signed_queries: &[&str], checksum: &str) -> bool {
        let Some(algorithm) = Algorithm::from_hex_len(checksum.len()) else {
            return false;
        };
        if !self.allowed.contains(&algorithm) {
            return false;
        }
        let mut matched = subtle::Choice::from(0);
        for secret in &self.secrets {
            for query in signed_queries {
                let expected = sign(algorithm, call, query, secret);
                matched |= expected.as_bytes().ct_eq(checksum.as_bytes());
            }
        }
        matched.into()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const DOC_QUERY: &str = "name=Test+Meeting&meetingID=abc123&attendeePW=111222&moderatorPW=333444";
    const DOC_SECRET: &str = "639259d4-9dd8-4b25-bf01-95f9567eaf4b";

    #[test]
    fn signs_the_documented_vectors() {
        assert_eq!(sign(Algorithm::Sha1, "create", DOC_QUERY, DOC_SECRET), "1fcbb0c4fc1f039f73aa6d697d2db9ba7f803f17");
        assert_eq!(
            sign(Algorithm::Sha256, "create", DOC_QUERY, DOC_SECRET),
            "da9185f7f333cfdfcd6eeac32dca3777510c4c436020d8b887ba5515bd1d189e"
        );
        assert_eq!(
            sign(Algorithm::Sha384, "create", DOC_QUERY, DOC_SECRET),
            "891ac633df39d0a1b4f8d597f3e190833216c4b29c4fb51ea3ca72757eeb958d6e7b49a845cf29f5c6019c7d29d029d1"
        );
        assert_eq!(sign(Algorithm::Sha1, "getMeetings", "", "testsecret"), "320c5fe9ed02c4337c946eb2f9e7587e16b22bcc");
    }

    #[test]
    fn algorithm_follows_length_and_allowed_list() {
        let policy = ChecksumPolicy::new(vec!["s1".into(), "s2".into()], vec![Algorithm::Sha256, Algorithm::Sha512]);
        for algorithm in [Algorithm::Sha256, Algorithm::Sha512] {
            assert!(policy.verify("end", &["meetingID=x"], &sign(algorithm, "end", "meetingID=x", "s2")));
        }
        assert!(!policy.verify("end", &["meetingID=x"], &sign(Algorithm::Sha1, "end", "meetingID=x", "s1")));
        assert!(!policy.verify("end", &["meetingID=x"], &sign(Algorithm::Sha256, "end", "meetingID=y", "s1")));
        assert!(!policy.verify("end", &["meetingID=x"], "abc"));
        let upper = sign(Algorithm::Sha256, "end", "meetingID=x", "s1").to_ascii_uppercase();
        assert!(!policy.verify("end", &["meetingID=x"], &upper));
    }

    #[test]
    fn empty_secrets_never_verify() {
        let policy = ChecksumPolicy::new(vec![String::new()], vec![Algorithm::Sha1]);
        assert!(!policy.verify("end", &[""], &sign(Algorithm::Sha1, "end", "", "")));
    }

    #[test]
    fn strips_checksum_textually() {
        assert_eq!(strip_checksum("a=1&checksum=ff&b=2", "ff"), "a=1&b=2");
        assert_eq!(strip_checksum("checksum=ff&b=%202", "ff"), "b=%202");
        assert_eq!(strip_checksum("checksum=ff", "ff"), "");
    }

    #[test]
    fn parses_algorithm_names() {
        assert_eq!(Algorithm::parse("sha-384"), Some(Algorithm::Sha384));
        assert_eq!(Algorithm::parse("SHA1"), Some(Algorithm::Sha1));
        assert_eq!(Algorithm::parse("md5"), None);
    }
}
