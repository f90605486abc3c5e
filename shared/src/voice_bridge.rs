//! Voice bridge numbers: deterministic per meetingID, so a re-created meeting keeps its dial-in number.

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use sha2::{Digest, Sha256};

/// How many numbers a create tries before giving up.
pub const ATTEMPTS: usize = 10;

/// The numbers to try for `meeting_id`, `length` digits each, first digit 1–9, never `99999`.
/// `external` (a client's `voiceBridge`, when allowed) comes first.
pub fn candidates(meeting_id: &str, length: usize, external: Option<&str>) -> Vec<String> {
    let seed: [u8; 32] = Sha256::digest(meeting_id.as_bytes()).into();
    let mut rng = StdRng::from_seed(seed);
    let length = length.max(1);
    let mut numbers: Vec<String> = external
        .filter(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))
        .map(str::to_owned)
        .into_iter()
        .collect();
    while numbers.len() < ATTEMPTS {
        let mut number = String::with_capacity(length);
        number.push(char::from(b'0' + rng.random_range(1..=9u8)));
        for _ in 1..length {
            number.push(char::from(b'0' + rng.random_range(0..=9u8)));
        }
        if number != "99999" && !numbers.contains(&number) {
            numbers.push(number);
        }
    }
    numbers
}

/// A random 8-character alphanumeric password.
pub fn random_password() -> String {
    rand::rng().sample_iter(rand::distr::Alphanumeric).take(8).map(char::from).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deterministic_and_well_formed() {
        let first = candidates("room-1", 9, None);
        assert_eq!(first, candidates("room-1", 9, None));
        assert_ne!(first, candidates("room-2", 9, None));
        assert_eq!(first.len(), ATTEMPTS);
        assert!(first.iter().all(|n| n.len() == 9 && !n.starts_with('0')));
    }

    #[test]
    fn external_number_first_when_numeric() {
        assert_eq!(candidates("r", 5, Some("12345"))[0], "12345");
        assert_ne!(candidates("r", 5, Some("12a45"))[0], "12a45");
    }

    #[test]
    fn passwords_are_alphanumeric() {
        let password = random_password();
        assert_eq!(password.len(), 8);
        assert!(password.chars().all(|c| c.is_ascii_alphanumeric()));
    }
}
