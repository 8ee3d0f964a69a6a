//! Password hashing: Argon2id at OWASP's settings (19 MiB, t=2, p=1) on a fixed pool of
//! hashing threads, one per core. Each thread owns its Argon2 memory and reuses it for every
//! hash: a burst of sign-ins neither starves the async runtime nor leaves hundreds of MiB of
//! freed 19 MiB buffers resident in allocator arenas (which tokio's blocking pool did), and
//! no hash pays for faulting in fresh pages. Unknown accounts get a dummy verification, so
//! response time does not reveal whether an account exists.

pub mod breached;
pub mod policy;

use std::sync::mpsc;
use std::sync::{Arc, Mutex};

use argon2::password_hash::rand_core::OsRng;
use argon2::password_hash::{PasswordHash as Phc, SaltString};
use argon2::{Algorithm, Argon2, Block, Params, Version};
use base64::engine::general_purpose::STANDARD_NO_PAD;
use base64::Engine;
use tokio::sync::oneshot;

use crate::crypto::constant_time_eq;
use crate::users::PasswordHash;

pub const ARGON2ID: &str = "Argon2id";
/// The algorithms a password digest may be imported with (Logto's `passwordAlgorithm`).
/// Anything but Argon2id is re-hashed with Argon2id at the user's next password sign-in.
pub const IMPORTABLE: [&str; 7] = ["Argon2i", "Argon2id", "Argon2d", "SHA1", "SHA256", "MD5", "Bcrypt"];
/// A digest from another system as a stored hash, if its algorithm is one Vestibule verifies.
pub fn imported(digest: &str, algorithm: &str) -> Option<PasswordHash> {
    (IMPORTABLE.contains(&algorithm) && !digest.is_empty()).then(|| PasswordHash { hash: digest.to_owned(), method: algorithm.to_owned() })
}

/// bcrypt's cost is in the stored hash: refuse costs no sane system uses (2^15 rounds and up).
const MAX_BCRYPT_COST: u32 = 14;
const OUTPUT_LEN: usize = 32;
/// A real Argon2id hash at OWASP's parameters, of a random password nobody kept: what an
/// unknown account's sign-in is verified against. A constant, so starting computes no hash
/// (its 19 MiB, freed at once, raised glibc's mmap threshold, and the bundle's compression
/// memory then stayed resident: 28 MiB of idle RSS).
const OWASP_DUMMY: &str = "$argon2id$v=19$m=19456,t=2,p=1$bHFZVHp0bHhIODg3Q0pjNUtGUXJn$44vA6OIPIrKTddDbnNB24gQU0yMTa0Pz9rFSch2G1O4";
const MAX_MEMORY_KIB: u32 = 256 * 1024;
const MAX_ITERATIONS: u32 = 16;
const MAX_LANES: u32 = 16;

enum Job {
    Hash { password: String, reply: oneshot::Sender<String> },
    Verify { password: String, phc: String, reply: oneshot::Sender<bool> },
}

#[derive(Clone)]
pub struct PasswordHasher {
    params: Params,
    jobs: mpsc::Sender<Job>,
    /// A real hash with the current parameters, verified against when no user matched.
    dummy: Arc<String>,
}

impl PasswordHasher {
    /// OWASP's recommended Argon2id parameters.
    pub fn owasp() -> Self {
        Self::with_params(Params::new(19 * 1024, 2, 1, Some(OUTPUT_LEN)).expect("valid argon2 parameters"))
    }

    /// Cheap parameters for tests only: never the production default.
    pub fn cheap_for_tests() -> Self {
        Self::with_params(Params::new(256, 1, 1, Some(OUTPUT_LEN)).expect("valid argon2 parameters"))
    }

    fn with_params(params: Params) -> Self {
        let (jobs, queue) = mpsc::channel::<Job>();
        let queue = Arc::new(Mutex::new(queue));
        let threads = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(2);
        for i in 0..threads {
            let (queue, params) = (queue.clone(), params.clone());
            std::thread::Builder::new()
                .name(format!("argon2-{i}"))
                .spawn(move || worker(params, queue))
                .expect("spawn a hashing thread");
        }
        let owasp = (params.m_cost(), params.t_cost(), params.p_cost()) == (19 * 1024, 2, 1);
        let dummy = if owasp { OWASP_DUMMY.to_owned() } else { hash_with(&params, &mut Vec::new(), "dummy password for unknown accounts") };
        Self { params, jobs, dummy: Arc::new(dummy) }
    }

    pub async fn hash(&self, password: &str) -> PasswordHash {
        let (reply, answer) = oneshot::channel();
        self.jobs.send(Job::Hash { password: password.to_owned(), reply }).expect("hashing threads run for the process");
        let hash = answer.await.expect("hashing thread answered");
        PasswordHash { hash, method: ARGON2ID.to_owned() }
    }

    /// Checks `password` against `stored`; with no stored hash it still spends the time of
    /// one verification and answers `false`.
    pub async fn verify(&self, password: &str, stored: Option<&PasswordHash>) -> bool {
        if let Some(legacy) = stored.filter(|s| !s.method.starts_with("Argon2")) {
            return verify_imported(password, legacy).await;
        }
        let known = stored.filter(|s| s.method.starts_with("Argon2"));
        let phc = known.map(|s| s.hash.clone()).unwrap_or_else(|| self.dummy.as_ref().clone());
        let (reply, answer) = oneshot::channel();
        self.jobs.send(Job::Verify { password: password.to_owned(), phc, reply }).expect("hashing threads run for the process");
        let matches = answer.await.unwrap_or(false);
        matches && known.is_some()
    }

    pub fn params(&self) -> &Params {
        &self.params
    }
}

/// Digests imported from other systems: unsalted hex digests (MD5, SHA-1, SHA-256, as Logto
/// accepts them) and bcrypt (on the blocking pool: it is slow by design).
async fn verify_imported(password: &str, stored: &PasswordHash) -> bool {
    use sha2::Digest;
    let hex = |bytes: &[u8]| bytes.iter().map(|b| format!("{b:02x}")).collect::<String>();
    let presented = match stored.method.as_str() {
        "MD5" => hex(&md5::Md5::digest(password.as_bytes())),
        "SHA1" => hex(&sha1::Sha1::digest(password.as_bytes())),
        "SHA256" => hex(&sha2::Sha256::digest(password.as_bytes())),
        "Bcrypt" => {
            let cost = stored.hash.split('$').nth(2).and_then(|c| c.parse::<u32>().ok());
            if cost.is_none_or(|cost| cost > MAX_BCRYPT_COST) {
                return false;
            }
            let (password, hash) = (password.to_owned(), stored.hash.clone());
            return tokio::task::spawn_blocking(move || bcrypt::verify(password, &hash).unwrap_or(false)).await.unwrap_or(false);
        }
        _ => return false,
    };
    constant_time_eq(&presented, &stored.hash.to_ascii_lowercase())
}

fn worker(params: Params, queue: Arc<Mutex<mpsc::Receiver<Job>>>) {
    let mut memory: Vec<Block> = Vec::new();
    loop {
        let job = match queue.lock().map(|q| q.recv()) {
            Ok(Ok(job)) => job,
            _ => return, // every hasher handle is gone
        };
        match job {
            Job::Hash { password, reply } => {
                let _ = reply.send(hash_with(&params, &mut memory, &password));
            }
            Job::Verify { password, phc, reply } => {
                let _ = reply.send(verify_with(&mut memory, &password, &phc));
            }
        }
    }
}

fn argon(params: Params, algorithm: Algorithm) -> Argon2<'static> {
    Argon2::new(algorithm, Version::V0x13, params)
}

/// Hashes into `memory` (grown once to the parameters' size, then reused) and returns the
/// PHC string `$argon2id$v=19$m=…,t=…,p=…$salt$hash`.
fn hash_with(params: &Params, memory: &mut Vec<Block>, password: &str) -> String {
    let salt = SaltString::generate(&mut OsRng);
    let mut salt_bytes = [0u8; 64];
    let salt_raw = salt.as_salt().decode_b64(&mut salt_bytes).expect("generated salts decode");
    let output = compute(argon(params.clone(), Algorithm::Argon2id), params, memory, password.as_bytes(), salt_raw, OUTPUT_LEN).expect("argon2 hashes");
    format!(
        "$argon2id$v=19$m={},t={},p={}${}${}",
        params.m_cost(),
        params.t_cost(),
        params.p_cost(),
        salt.as_str(),
        STANDARD_NO_PAD.encode(output)
    )
}

/// Verifies against a PHC string with whatever Argon2 variant and parameters it names
/// (Argon2i hashes imported from Logto verify too).
fn verify_with(memory: &mut Vec<Block>, password: &str, phc: &str) -> bool {
    let Ok(parsed) = Phc::new(phc) else { return false };
    let Ok(algorithm) = Algorithm::try_from(parsed.algorithm) else { return false };
    let Ok(params) = Params::try_from(&parsed) else { return false };
    // A stored hash names its own cost; refuse costs no sane configuration uses, so an
    // imported or tampered hash cannot make one verification allocate gigabytes or spin.
    if params.m_cost() > MAX_MEMORY_KIB || params.t_cost() > MAX_ITERATIONS || params.p_cost() > MAX_LANES {
        return false;
    }
    let (Some(salt), Some(expected)) = (parsed.salt, parsed.hash) else { return false };
    let mut salt_bytes = [0u8; 64];
    let Ok(salt_raw) = salt.decode_b64(&mut salt_bytes) else { return false };
    match compute(argon(params.clone(), algorithm), &params, memory, password.as_bytes(), salt_raw, expected.len()) {
        Some(output) => constant_time_eq(&STANDARD_NO_PAD.encode(output), &STANDARD_NO_PAD.encode(expected.as_bytes())),
        None => false,
    }
}

fn compute(argon: Argon2<'_>, params: &Params, memory: &mut Vec<Block>, password: &[u8], salt: &[u8], len: usize) -> Option<Vec<u8>> {
    let blocks = params.block_count();
    if memory.len() < blocks {
        memory.resize(blocks, Block::default());
    }
    let mut output = vec![0u8; len];
    argon.hash_password_into_with_memory(password, salt, &mut output, &mut memory[..blocks]).ok()?;
    Some(output)
}

#[cfg(test)]
mod tests {
    use super::*;
    use argon2::PasswordVerifier;

    #[test]
    fn unknown_accounts_are_verified_against_a_hash_as_costly_as_real_ones() {
        let dummy = Phc::new(OWASP_DUMMY).unwrap();
        let params = Params::try_from(&dummy).unwrap();
        let owasp = PasswordHasher::owasp().params;
        assert_eq!(dummy.algorithm.as_str(), "argon2id");
        assert_eq!((params.m_cost(), params.t_cost(), params.p_cost()), (owasp.m_cost(), owasp.t_cost(), owasp.p_cost()));
        assert_eq!(dummy.hash.unwrap().len(), OUTPUT_LEN);
    }

    #[tokio::test]
    async fn a_hash_verifies_only_its_password() {
        let hasher = PasswordHasher::cheap_for_tests();
        let hash = hasher.hash("correct horse").await;
        assert!(hash.hash.starts_with("$argon2id$v=19$m=256,t=1,p=1$"));
        assert!(hasher.verify("correct horse", Some(&hash)).await);
        assert!(!hasher.verify("wrong horse", Some(&hash)).await);
    }

    #[tokio::test]
    async fn our_phc_strings_are_standard() {
        // The reference implementation must accept what we write …
        let hash = PasswordHasher::cheap_for_tests().hash("interop").await;
        let parsed = Phc::new(&hash.hash).unwrap();
        assert!(Argon2::default().verify_password(b"interop", &parsed).is_ok());
        // … and we must accept what it writes, Argon2i included (imported from Logto).
        use argon2::PasswordHasher as _;
        let params = Params::new(512, 2, 1, None).unwrap();
        let salt = SaltString::generate(&mut OsRng);
        let theirs = Argon2::new(Algorithm::Argon2i, Version::V0x13, params).hash_password(b"imported", &salt).unwrap().to_string();
        let stored = PasswordHash { hash: theirs, method: "Argon2i".into() };
        let hasher = PasswordHasher::cheap_for_tests();
        assert!(hasher.verify("imported", Some(&stored)).await);
        assert!(!hasher.verify("imported?", Some(&stored)).await);
    }

    #[tokio::test]
    async fn no_stored_hash_never_verifies() {
        let hasher = PasswordHasher::cheap_for_tests();
        assert!(!hasher.verify("dummy password for unknown accounts", None).await);
    }

    #[tokio::test]
    async fn garbage_hashes_do_not_verify_or_panic() {
        let hasher = PasswordHasher::cheap_for_tests();
        let absurd = "$argon2id$v=19$m=4194304,t=1,p=1$c2FsdHNhbHRzYWx0$aGFzaGhhc2hoYXNoaGFzaGhhc2hoYXNoaGFzaGhhc2g";
        for junk in ["", "$argon2id$", "$argon2id$v=19$m=1,t=1,p=1$c2FsdA$aGFzaA", "$md5$whatever", absurd] {
            let stored = PasswordHash { hash: junk.into(), method: "Argon2id".into() };
            assert!(!hasher.verify("x", Some(&stored)).await, "{junk}");
        }
    }

    #[test]
    fn production_parameters_are_owasps() {
        let p = PasswordHasher::owasp().params;
        assert_eq!((p.m_cost(), p.t_cost(), p.p_cost()), (19 * 1024, 2, 1));
    }
}
