//! Identifier formats from the spec (§0 "Ids & normalization"): user ids are 12 characters of
//! `[0-9a-z]`, other ids 21 characters, secrets 32 characters of `[0-9A-Za-z]`.

use rand::distributions::{Distribution, Uniform};
use rand::rngs::OsRng;

const LOWER_ALPHANUMERIC: &[u8] = b"0123456789abcdefghijklmnopqrstuvwxyz";
const ALPHANUMERIC: &[u8] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

fn random_string(alphabet: &[u8], len: usize) -> String {
    let pick = Uniform::from(0..alphabet.len());
    (0..len).map(|_| alphabet[pick.sample(&mut OsRng)] as char).collect()
}

pub fn user_id() -> String {
    random_string(LOWER_ALPHANUMERIC, 12)
}

pub fn entity_id() -> String {
    random_string(LOWER_ALPHANUMERIC, 21)
}

pub fn secret() -> String {
    random_string(ALPHANUMERIC, 32)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn user_ids_have_the_logto_shape() {
        let id = user_id();
        assert_eq!(id.len(), 12);
        assert!(id.bytes().all(|b| b.is_ascii_digit() || b.is_ascii_lowercase()));
        assert_ne!(id, user_id(), "two ids in a row must differ");
    }

    #[test]
    fn secrets_are_32_alphanumerics() {
        let s = secret();
        assert_eq!(s.len(), 32);
        assert!(s.bytes().all(|b| b.is_ascii_alphanumeric()));
    }
}
