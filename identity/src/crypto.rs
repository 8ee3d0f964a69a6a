//! Small cryptographic building blocks shared by the flows: bearer-token generation and
//! hashing, and encryption at rest with the master secret.

use aes_gcm::aead::{Aead, KeyInit};
use aes_gcm::{Aes256Gcm, Nonce};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use rand::RngCore;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use crate::secret::Secret;

/// A fresh bearer secret: 32 random bytes, base64url (43 characters, no dots), the shape
/// of node-oidc-provider's opaque tokens.
pub fn random_token() -> String {
    let mut bytes = [0u8; 32];
    rand::thread_rng().fill_bytes(&mut bytes);
    URL_SAFE_NO_PAD.encode(bytes)
}

/// How bearer secrets (codes, tokens, session cookies, client secrets) are stored: a
/// high-entropy secret needs no slow hash, only one that cannot be reversed.
pub fn token_hash(token: &str) -> String {
    URL_SAFE_NO_PAD.encode(Sha256::digest(token.as_bytes()))
}

pub fn constant_time_eq(a: &str, b: &str) -> bool {
    a.as_bytes().ct_eq(b.as_bytes()).into()
}

pub fn base64url(bytes: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

/// `BASE64URL(SHA-256(verifier)) == challenge` (RFC 7636 §4.6, S256).
pub fn pkce_s256_matches(verifier: &str, challenge: &str) -> bool {
    constant_time_eq(&URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes())), challenge)
}

/// AES-256-GCM under a key derived from the master secret; output is
/// base64url(nonce ‖ ciphertext).
pub struct AtRest {
    cipher: Aes256Gcm,
}

#[derive(Debug, thiserror::Error)]
#[error("cannot decrypt: wrong secret or corrupted data")]
pub struct DecryptError;

impl AtRest {
    pub fn new(secret: &Secret) -> Self {
        let key = Sha256::new_with_prefix(b"vestibule/at-rest/v1\0").chain_update(secret.expose()).finalize();
        Self { cipher: Aes256Gcm::new(&key) }
    }

    pub fn encrypt(&self, plaintext: &[u8]) -> String {
        let mut nonce = [0u8; 12];
        rand::rngs::OsRng.fill_bytes(&mut nonce);
        let ciphertext = self.cipher.encrypt(Nonce::from_slice(&nonce), plaintext).expect("aes-gcm encrypts");
        let mut out = nonce.to_vec();
        out.extend_from_slice(&ciphertext);
        URL_SAFE_NO_PAD.encode(out)
    }

    pub fn decrypt(&self, sealed: &str) -> Result<Vec<u8>, DecryptError> {
        let bytes = URL_SAFE_NO_PAD.decode(sealed).map_err(|_| DecryptError)?;
        if bytes.len() < 12 {
            return Err(DecryptError);
        }
        let (nonce, ciphertext) = bytes.split_at(12);
        self.cipher.decrypt(Nonce::from_slice(nonce), ciphertext).map_err(|_| DecryptError)
    }

    /// A connector configuration as stored: the string values at `keys` sealed.
    pub fn seal_fields(&self, config: &serde_json::Map<String, serde_json::Value>, keys: &[&str]) -> String {
        let mut stored = config.clone();
        for key in keys {
            if let Some(serde_json::Value::String(secret)) = config.get(*key) {
                stored.insert((*key).to_owned(), serde_json::Value::String(self.encrypt(secret.as_bytes())));
            }
        }
        serde_json::Value::Object(stored).to_string()
    }

    /// Opens what [`seal_fields`](Self::seal_fields) sealed, in place.
    pub fn open_fields(&self, config: &mut serde_json::Map<String, serde_json::Value>, keys: &[&str]) -> Result<(), DecryptError> {
        for key in keys {
            if let Some(serde_json::Value::String(sealed)) = config.get(*key) {
                let secret = self.decrypt(sealed)?;
                config.insert((*key).to_owned(), serde_json::Value::String(String::from_utf8_lossy(&secret).into_owned()));
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sealed_data_opens_only_with_the_same_secret() {
        let sealed = AtRest::new(&Secret::new("one")).encrypt(b"private key");
        assert_eq!(AtRest::new(&Secret::new("one")).decrypt(&sealed).unwrap(), b"private key");
        assert!(AtRest::new(&Secret::new("two")).decrypt(&sealed).is_err());
        assert!(AtRest::new(&Secret::new("one")).decrypt("garbage").is_err());
    }

    #[test]
    fn pkce_s256_matches_rfc7636_appendix_b() {
        assert!(pkce_s256_matches(
            "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk",
            "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
        ));
        assert!(!pkce_s256_matches("another verifier", "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"));
    }

    #[test]
    fn tokens_are_opaque_and_distinct() {
        let (a, b) = (random_token(), random_token());
        assert_ne!(a, b);
        assert!(a.len() >= 43 && !a.contains('.'));
        assert_ne!(token_hash(&a), a);
    }
}
