//! "Has this password appeared in a breach?" Offline first: a Bloom filter of the most common
//! breached passwords ships inside the binary (built by `scripts/build-breached-filter.sh`;
//! about one false "breached" in ten thousand strong passwords, never a false "safe" for a
//! listed one). With network, operators may add Have I Been Pwned's k-anonymity range API:
//! only the first five hex digits of the SHA-1 leave the machine.

use std::sync::{Arc, OnceLock};
use std::time::Duration;

use bloomfilter::Bloom;
use sha1::{Digest, Sha1};

static EMBEDDED: &[u8] = include_bytes!("../../data/breached-passwords.bloom");

fn embedded_filter() -> &'static Bloom<str> {
    static FILTER: OnceLock<Bloom<str>> = OnceLock::new();
    FILTER.get_or_init(|| Bloom::from_slice(EMBEDDED).expect("the embedded breached-password filter is well-formed"))
}

#[derive(Clone, Default)]
pub struct BreachedPasswords {
    /// Base URL of a range API (`https://api.pwnedpasswords.com`), when configured.
    range_api: Option<Arc<RangeApi>>,
}

struct RangeApi {
    base: String,
    client: reqwest::Client,
}

impl BreachedPasswords {
    /// The embedded list only.
    pub fn embedded() -> Self {
        Self { range_api: None }
    }

    /// The embedded list, then the range API at `base` for passwords it does not know.
    pub fn with_range_api(base: &str) -> Self {
        let client = reqwest::Client::builder().timeout(Duration::from_secs(3)).build().expect("an HTTP client builds");
        Self { range_api: Some(Arc::new(RangeApi { base: base.trim_end_matches('/').to_owned(), client })) }
    }

    /// The offline answer.
    pub fn contains(&self, password: &str) -> bool {
        embedded_filter().check(password)
    }

    /// The offline answer, else the range API's. When the API cannot be reached the password
    /// passes (with a warning): an outage elsewhere must not stop everyone from signing up.
    pub async fn contains_anywhere(&self, password: &str) -> bool {
        if self.contains(password) {
            return true;
        }
        let Some(api) = &self.range_api else { return false };
        let digest = hex_upper(&Sha1::digest(password.as_bytes()));
        let (prefix, suffix) = digest.split_at(5);
        let url = format!("{}/range/{prefix}", api.base);
        let body = match api.client.get(&url).header("Add-Padding", "true").send().await.and_then(|r| r.error_for_status()) {
            Ok(response) => response.text().await.unwrap_or_default(),
            Err(err) => {
                tracing::warn!(error = %err, "breached-password range API unreachable; offline list only");
                return false;
            }
        };
        body.lines().filter_map(|line| line.trim().split_once(':')).any(|(s, count)| {
            s.eq_ignore_ascii_case(suffix) && count.trim().parse::<u64>().is_ok_and(|c| c > 0)
        })
    }
}

fn hex_upper(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02X}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn common_passwords_are_listed_and_strong_ones_are_not() {
        let list = BreachedPasswords::embedded();
        for common in ["123456", "password", "qwerty123", "iloveyou", "dragon", "monkey123"] {
            assert!(list.contains(common), "{common} should be listed");
        }
        for strong in ["vX9#qL2!wTz7@pR", "correct-Horse-battery-staple-42", "Tr0ub4dor&3-123-horse"] {
            assert!(!list.contains(strong), "{strong} should not be listed");
        }
    }
}
