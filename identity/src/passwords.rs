//! Password hashing: Argon2id at OWASP's settings (19 MiB, t=2, p=1), run on tokio's blocking
//! pool behind a semaphore so a burst of sign-ins cannot starve the runtime or exhaust memory.
//! Unknown accounts get a dummy verification so response time does not reveal existence.

use std::sync::Arc;

use argon2::password_hash::rand_core::OsRng;
use argon2::password_hash::{PasswordHash as Phc, PasswordHasher as _, PasswordVerifier as _, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};
use tokio::sync::Semaphore;

use crate::users::PasswordHash;

pub const ARGON2ID: &str = "Argon2id";

#[derive(Clone)]
pub struct PasswordHasher {
    params: Params,
    permits: Arc<Semaphore>,
    /// A real hash with the current parameters, verified against when no user matched.
    dummy: Arc<String>,
}

impl PasswordHasher {
    /// OWASP's recommended Argon2id parameters; at most one hash per core at a time.
    pub fn owasp() -> Self {
        Self::with_params(Params::new(19 * 1024, 2, 1, None).expect("valid argon2 parameters"))
    }

    /// Cheap parameters for tests only: never the production default.
    pub fn cheap_for_tests() -> Self {
        Self::with_params(Params::new(256, 1, 1, None).expect("valid argon2 parameters"))
    }

    fn with_params(params: Params) -> Self {
        let cores = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(2);
        let argon = Argon2::new(Algorithm::Argon2id, Version::V0x13, params.clone());
        let salt = SaltString::generate(&mut OsRng);
        let dummy = argon
            .hash_password(b"dummy password for unknown accounts", &salt)
            .expect("argon2 hashes")
            .to_string();
        Self { params, permits: Arc::new(Semaphore::new(cores)), dummy: Arc::new(dummy) }
    }

    fn argon(&self) -> Argon2<'static> {
        Argon2::new(Algorithm::Argon2id, Version::V0x13, self.params.clone())
    }

    pub async fn hash(&self, password: &str) -> PasswordHash {
        let argon = self.argon();
        let password = password.to_owned();
        let hash = self
            .run(move || {
                let salt = SaltString::generate(&mut OsRng);
                argon.hash_password(password.as_bytes(), &salt).expect("argon2 hashes").to_string()
            })
            .await;
        PasswordHash { hash, method: ARGON2ID.to_owned() }
    }

    /// Checks `password` against `stored`; with no stored hash it still spends the time of
    /// one verification and answers `false`.
    pub async fn verify(&self, password: &str, stored: Option<&PasswordHash>) -> bool {
        let known = stored.filter(|s| s.method.starts_with("Argon2"));
        let hash = known.map(|s| s.hash.clone()).unwrap_or_else(|| self.dummy.as_ref().clone());
        let is_real = known.is_some();
        let argon = self.argon();
        let password = password.to_owned();
        let matches = self
            .run(move || {
                // The PHC string carries the variant and parameters it was made with
                // (Argon2i imported from Logto verifies as well as Argon2id).
                Phc::new(&hash).is_ok_and(|phc| argon.verify_password(password.as_bytes(), &phc).is_ok())
            })
            .await;
        matches && is_real
    }

    async fn run<T: Send + 'static>(&self, work: impl FnOnce() -> T + Send + 'static) -> T {
        let _permit = self.permits.acquire().await.expect("semaphore never closes");
        tokio::task::spawn_blocking(work).await.expect("hashing task panicked")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_hash_verifies_only_its_password() {
        let hasher = PasswordHasher::cheap_for_tests();
        let hash = hasher.hash("correct horse").await;
        assert!(hash.hash.starts_with("$argon2id$"));
        assert!(hasher.verify("correct horse", Some(&hash)).await);
        assert!(!hasher.verify("wrong horse", Some(&hash)).await);
    }

    #[tokio::test]
    async fn no_stored_hash_never_verifies() {
        let hasher = PasswordHasher::cheap_for_tests();
        assert!(!hasher.verify("dummy password for unknown accounts", None).await);
    }

    #[test]
    fn production_parameters_are_owasps() {
        let p = PasswordHasher::owasp().params;
        assert_eq!((p.m_cost(), p.t_cost(), p.p_cost()), (19 * 1024, 2, 1));
    }
}
