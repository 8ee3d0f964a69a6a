//! Identifier formats from the spec (§0 "Ids & normalization"): user ids are 12 characters of
//! `[0-9a-z]`, other ids 21 characters, secrets 32 characters of `[0-9A-Za-z]`.

use rand::distributions::Uniform;
use rand::Rng;

const LOWER_ALPHANUMERIC: &[u8] = b"0123456789abcdefghijklmnopqrstuvwxyz";
const ALPHANUMERIC: &[u8] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

/// Characters drawn from `rand`'s thread-local generator: a ChaCha CSPRNG seeded from, and
/// periodically reseeded by, the operating system. (Drawing each character from `OsRng`
/// cost one `getrandom` system call per character: 7 % of a token request's CPU.)
fn random_string(alphabet: &[u8], len: usize) -> String {
    let pick = Uniform::from(0..alphabet.len());
    let mut rng = rand::thread_rng();
    (0..len).map(|_| alphabet[rng.sample(pick)] as char).collect()
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
