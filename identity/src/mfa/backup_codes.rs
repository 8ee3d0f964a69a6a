//! Backup codes: ten single-use codes of ten hex characters, stored as SHA-256 hashes;
//! generating a new set replaces the old one.

use rand::Rng;

pub const COUNT: usize = 10;

/// Ten new codes (plaintext, shown once).
pub fn generate() -> Vec<String> {
    let mut rng = rand::thread_rng();
    (0..COUNT).map(|_| (0..10).map(|_| std::char::from_digit(rng.gen_range(0..16), 16).expect("hex digit")).collect()).collect()
}

pub fn hash(code: &str) -> String {
    crate::crypto::token_hash(&code.trim().to_ascii_lowercase())
}
