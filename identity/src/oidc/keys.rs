//! Signing keys. An ES256 key is created on first start; an RS256 key is created the first
//! time a client that asked for RS256 needs one. Private keys are stored sealed with the
//! master secret.
//!
//! Rotation is safe across nodes and relying parties: `rotate` adds a key that becomes
//! current only at `activates_at`, [`PUBLISH_AHEAD`] later — by then every node has loaded
//! it and every JWKS cached before the rotation has expired, so no token is ever signed
//! with a key someone cannot find. Until then the JWKS publishes it beside the current
//! key; afterwards the previous key stays published, so tokens signed just before the
//! switch keep verifying. A token naming a key this node has not loaded yet makes it reload
//! (at most every [`UNKNOWN_KID_RELOAD_INTERVAL`]).

use std::sync::Arc;
use std::time::Duration;

use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey};
use p256::elliptic_curve::rand_core::OsRng;
use p256::pkcs8::EncodePrivateKey;
use rsa::pkcs1::EncodeRsaPrivateKey;
use rsa::traits::PublicKeyParts;
use serde_json::{json, Value};
use sqlx::Row;
use tokio::sync::RwLock;

use crate::clock::Clock;
use crate::crypto::{base64url, AtRest};
use crate::store::Store;

/// How long relying parties may cache the JWKS (its `Cache-Control: max-age`).
pub const JWKS_MAX_AGE: Duration = Duration::from_secs(300);
/// Each node reloads the key set at least this often, so other nodes' rotations reach it.
const CACHE_TTL: Duration = Duration::from_secs(60);
/// A rotated-in key is published this long before it signs: longer than any node's cache
/// and any relying party's cached JWKS.
pub const PUBLISH_AHEAD: Duration = Duration::from_secs(JWKS_MAX_AGE.as_secs() + CACHE_TTL.as_secs());
/// A token with an unknown `kid` reloads the keys at most this often (forged `kid`s must not
/// turn into a query each).
const UNKNOWN_KID_RELOAD_INTERVAL: Duration = Duration::from_secs(5);
/// The JWKS is served from a key set at most this old: a key rotated in at once on another
/// node (`keys rotate --now`) is published everywhere as soon as it can sign, so a relying
/// party that refetches on an unknown `kid` finds it whichever node answers.
const JWKS_RELOAD_INTERVAL: Duration = Duration::from_secs(1);

/// When a rotated-in key starts signing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Activation {
    /// After [`PUBLISH_AHEAD`]: the safe default.
    Scheduled,
    /// At once, for a key that must stop signing now (compromised): tokens signed with the
    /// new key fail at relying parties until their cached JWKS expires.
    Immediate,
}

pub struct SigningKey {
    pub kid: String,
    pub alg: Algorithm,
    /// ES256 keys parsed once: signing then costs one ECDSA signature, not a key import.
    pub es256: Option<ring::signature::EcdsaKeyPair>,
    pub encoding: EncodingKey,
    pub decoding: DecodingKey,
    pub public_jwk: Value,
    pub created_at: i64,
    /// Epoch ms from which it signs.
    pub activates_at: i64,
}

#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    #[error("a signing key cannot be decrypted: is VESTIBULE_SECRET the one it was created with?")]
    Sealed,
    #[error("corrupted signing key {0}")]
    Corrupted(String),
    #[error("storage failed: {0}")]
    Storage(#[from] sqlx::Error),
}

#[derive(Default)]
pub struct KeySet {
    /// Latest activation first.
    keys: Vec<Arc<SigningKey>>,
}

impl KeySet {
    /// The key that signs `alg` at `now_ms`: the latest one active by then.
    pub fn current(&self, alg: Algorithm, now_ms: i64) -> Option<Arc<SigningKey>> {
        self.keys.iter().find(|k| k.alg == alg && k.activates_at <= now_ms).cloned()
    }

    pub fn by_kid(&self, kid: &str) -> Option<Arc<SigningKey>> {
        self.keys.iter().find(|k| k.kid == kid).cloned()
    }

    /// The JWKS document at `now_ms`: for each algorithm, the keys about to sign, the current
    /// one and the one before it.
    pub fn jwks(&self, now_ms: i64) -> Value {
        let mut published = Vec::new();
        for alg in [Algorithm::ES256, Algorithm::RS256] {
            let of_alg: Vec<_> = self.keys.iter().filter(|k| k.alg == alg).collect();
            let upcoming = of_alg.iter().take_while(|k| k.activates_at > now_ms).count();
            published.extend(of_alg.iter().take(upcoming + 2).map(|k| k.public_jwk.clone()));
        }
        json!({ "keys": published })
    }
}

struct Cached {
    loaded_at_ms: i64,
    set: Arc<KeySet>,
}

pub struct KeyRing {
    store: Store,
    at_rest: Arc<AtRest>,
    cache: RwLock<Option<Cached>>,
    /// When an unknown `kid` last made this node reload (epoch ms).
    last_unknown_kid_reload_ms: std::sync::Mutex<i64>,
}

impl KeyRing {
    pub fn new(store: Store, at_rest: Arc<AtRest>) -> Self {
        Self { store, at_rest, cache: RwLock::new(None), last_unknown_kid_reload_ms: std::sync::Mutex::new(i64::MIN) }
    }

    /// Makes sure an ES256 key exists (first start) and loads the key set.
    pub async fn ensure_default_key(&self, clock: &dyn Clock) -> Result<(), KeyError> {
        if !self.keys(clock).await?.keys.iter().any(|k| k.alg == Algorithm::ES256) {
            self.add_key(Algorithm::ES256, clock, Activation::Immediate).await?;
        }
        Ok(())
    }

    /// The key set as this node knows it (reloaded every [`CACHE_TTL`] of `clock`).
    pub async fn keys(&self, clock: &dyn Clock) -> Result<Arc<KeySet>, KeyError> {
        self.loaded_within(CACHE_TTL, clock).await
    }

    /// The key set the JWKS publishes (reloaded every [`JWKS_RELOAD_INTERVAL`]).
    pub async fn published(&self, clock: &dyn Clock) -> Result<Arc<KeySet>, KeyError> {
        self.loaded_within(JWKS_RELOAD_INTERVAL, clock).await
    }

    async fn loaded_within(&self, age: Duration, clock: &dyn Clock) -> Result<Arc<KeySet>, KeyError> {
        let now = clock.now_ms();
        if let Some(cached) = self.cache.read().await.as_ref() {
            // Either way: a clock stepped back reloads once rather than never.
            if now.abs_diff(cached.loaded_at_ms) < age.as_millis() as u64 {
                return Ok(cached.set.clone());
            }
        }
        self.reload(now).await
    }

    async fn reload(&self, now_ms: i64) -> Result<Arc<KeySet>, KeyError> {
        let set = Arc::new(load(&self.store, &self.at_rest).await?);
        *self.cache.write().await = Some(Cached { loaded_at_ms: now_ms, set: set.clone() });
        Ok(set)
    }

    /// The key a token names: one another node rotated in may be newer than this node's
    /// copy of the set, so a miss reloads (rate-limited) before giving up.
    pub async fn verification_key(&self, kid: &str, clock: &dyn Clock) -> Result<Option<Arc<SigningKey>>, KeyError> {
        if let Some(key) = self.keys(clock).await?.by_kid(kid) {
            return Ok(Some(key));
        }
        let now = clock.now_ms();
        {
            let mut last = self.last_unknown_kid_reload_ms.lock().expect("not poisoned");
            if now.saturating_sub(*last) < UNKNOWN_KID_RELOAD_INTERVAL.as_millis() as i64 {
                return Ok(None);
            }
            *last = now;
        }
        Ok(self.reload(now).await?.by_kid(kid))
    }

    /// The current key for `alg`, creating the first RS256 key on demand.
    pub async fn signing_key(&self, alg: Algorithm, clock: &dyn Clock) -> Result<Arc<SigningKey>, KeyError> {
        if let Some(key) = self.keys(clock).await?.current(alg, clock.now_ms()) {
            return Ok(key);
        }
        self.add_key(alg, clock, Activation::Immediate).await?;
        self.keys(clock).await?.current(alg, clock.now_ms()).ok_or_else(|| KeyError::Corrupted("missing after creation".into()))
    }

    /// `vestibule keys rotate`: a new key for every algorithm in use, signing from
    /// `activation` on. Returns the new keys' ids.
    pub async fn rotate(&self, clock: &dyn Clock, activation: Activation) -> Result<Vec<String>, KeyError> {
        let set = self.reload(clock.now_ms()).await?;
        let mut created = Vec::new();
        for alg in [Algorithm::ES256, Algorithm::RS256] {
            if alg == Algorithm::ES256 || set.keys.iter().any(|k| k.alg == alg) {
                created.push(self.add_key(alg, clock, activation).await?);
            }
        }
        Ok(created)
    }

    async fn add_key(&self, alg: Algorithm, clock: &dyn Clock, activation: Activation) -> Result<String, KeyError> {
        let kid = crate::ids::entity_id();
        // Keys activating at the same instant are ordered by creation: a new key must sort
        // after every existing one, even when created within the same millisecond.
        let now = clock.now_ms();
        let newest = self.reload(now).await?.keys.iter().map(|k| k.created_at).max().unwrap_or(i64::MIN);
        let created_at = now.max(newest.saturating_add(1));
        let activates_at = match activation {
            Activation::Immediate => now,
            Activation::Scheduled => now + PUBLISH_AHEAD.as_millis() as i64,
        };
        let (der, jwk) = match alg {
            Algorithm::RS256 => generate_rsa(&kid),
            _ => generate_p256(&kid),
        };
        sqlx::query("INSERT INTO oidc_signing_keys (id, alg, private_key_sealed, public_jwk, created_at, activates_at) VALUES ($1, $2, $3, $4, $5, $6)")
            .bind(&kid)
            .bind(alg_name(alg))
            .bind(self.at_rest.encrypt(&der))
            .bind(jwk.to_string())
            .bind(created_at)
            .bind(activates_at)
            .execute(self.store.pool())
            .await?;
        self.reload(clock.now_ms()).await?;
        Ok(kid)
    }
}

fn alg_name(alg: Algorithm) -> &'static str {
    match alg {
        Algorithm::RS256 => "RS256",
        _ => "ES256",
    }
}

fn generate_p256(kid: &str) -> (Vec<u8>, Value) {
    let secret = p256::SecretKey::random(&mut OsRng);
    let der = secret.to_pkcs8_der().expect("p256 keys encode").as_bytes().to_vec();
    let point = p256::elliptic_curve::sec1::ToEncodedPoint::to_encoded_point(&secret.public_key(), false);
    let jwk = json!({
        "kty": "EC", "crv": "P-256", "alg": "ES256", "use": "sig", "kid": kid,
        "x": base64url(point.x().expect("uncompressed point")),
        "y": base64url(point.y().expect("uncompressed point")),
    });
    (der, jwk)
}

fn generate_rsa(kid: &str) -> (Vec<u8>, Value) {
    let key = rsa::RsaPrivateKey::new(&mut OsRng, 2048).expect("rsa keys generate");
    let der = key.to_pkcs1_der().expect("rsa keys encode").as_bytes().to_vec();
    let jwk = json!({
        "kty": "RSA", "alg": "RS256", "use": "sig", "kid": kid,
        "n": base64url(&key.n().to_bytes_be()),
        "e": base64url(&key.e().to_bytes_be()),
    });
    (der, jwk)
}

async fn load(store: &Store, at_rest: &AtRest) -> Result<KeySet, KeyError> {
    let rows = sqlx::query("SELECT id, alg, private_key_sealed, public_jwk, created_at, activates_at FROM oidc_signing_keys ORDER BY activates_at DESC, created_at DESC, id DESC")
        .fetch_all(store.pool())
        .await?;
    let mut keys = Vec::with_capacity(rows.len());
    for row in rows {
        let kid: String = row.try_get("id")?;
        let alg: String = row.try_get("alg")?;
        let sealed: String = row.try_get("private_key_sealed")?;
        let jwk_text: String = row.try_get("public_jwk")?;
        let der = at_rest.decrypt(&sealed).map_err(|_| KeyError::Sealed)?;
        let jwk: Value = serde_json::from_str(&jwk_text).map_err(|_| KeyError::Corrupted(kid.clone()))?;
        let component = |name: &str| jwk[name].as_str().map(str::to_owned).ok_or_else(|| KeyError::Corrupted(kid.clone()));
        let (alg, encoding, decoding) = match alg.as_str() {
            "RS256" => (
                Algorithm::RS256,
                EncodingKey::from_rsa_der(&der),
                DecodingKey::from_rsa_components(&component("n")?, &component("e")?).map_err(|_| KeyError::Corrupted(kid.clone()))?,
            ),
            _ => (
                Algorithm::ES256,
                EncodingKey::from_ec_der(&der),
                DecodingKey::from_ec_components(&component("x")?, &component("y")?).map_err(|_| KeyError::Corrupted(kid.clone()))?,
            ),
        };
        let es256 = match alg {
            Algorithm::ES256 => Some(
                ring::signature::EcdsaKeyPair::from_pkcs8(&ring::signature::ECDSA_P256_SHA256_FIXED_SIGNING, &der, &ring::rand::SystemRandom::new())
                    .map_err(|_| KeyError::Corrupted(kid.clone()))?,
            ),
            _ => None,
        };
        keys.push(Arc::new(SigningKey { kid, alg, es256, encoding, decoding, public_jwk: jwk, created_at: row.try_get("created_at")?, activates_at: row.try_get("activates_at")? }));
    }
    Ok(KeySet { keys })
}
