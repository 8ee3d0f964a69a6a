//! Signing keys. An ES256 key is created on first start; an RS256 key is created the first
//! time a client that asked for RS256 needs one. Private keys are stored sealed with the
//! master secret. `rotate` adds a new current key per algorithm; JWKS publishes the two
//! newest keys of each algorithm (current + previous), so tokens signed just before a
//! rotation keep verifying.

use std::sync::Arc;
use std::time::{Duration, Instant};

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

/// Other nodes' rotations become visible within this long.
const CACHE_TTL: Duration = Duration::from_secs(60);

pub struct SigningKey {
    pub kid: String,
    pub alg: Algorithm,
    /// ES256 keys parsed once: signing then costs one ECDSA signature, not a key import.
    pub es256: Option<ring::signature::EcdsaKeyPair>,
    pub encoding: EncodingKey,
    pub decoding: DecodingKey,
    pub public_jwk: Value,
    pub created_at: i64,
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
    /// Newest first.
    keys: Vec<Arc<SigningKey>>,
}

impl KeySet {
    pub fn current(&self, alg: Algorithm) -> Option<Arc<SigningKey>> {
        self.keys.iter().find(|k| k.alg == alg).cloned()
    }

    pub fn by_kid(&self, kid: &str) -> Option<Arc<SigningKey>> {
        self.keys.iter().find(|k| k.kid == kid).cloned()
    }

    /// The JWKS document: current and previous key of each algorithm.
    pub fn jwks(&self) -> Value {
        let mut published = Vec::new();
        for alg in [Algorithm::ES256, Algorithm::RS256] {
            published.extend(self.keys.iter().filter(|k| k.alg == alg).take(2).map(|k| k.public_jwk.clone()));
        }
        json!({ "keys": published })
    }
}

pub struct KeyRing {
    store: Store,
    at_rest: Arc<AtRest>,
    cache: RwLock<Option<(Instant, Arc<KeySet>)>>,
}

impl KeyRing {
    pub fn new(store: Store, at_rest: Arc<AtRest>) -> Self {
        Self { store, at_rest, cache: RwLock::new(None) }
    }

    /// Makes sure an ES256 key exists (first start) and loads the key set.
    pub async fn ensure_default_key(&self, clock: &dyn Clock) -> Result<(), KeyError> {
        if self.keys().await?.current(Algorithm::ES256).is_none() {
            self.add_key(Algorithm::ES256, clock).await?;
        }
        Ok(())
    }

    pub async fn keys(&self) -> Result<Arc<KeySet>, KeyError> {
        if let Some((loaded, set)) = self.cache.read().await.as_ref() {
            if loaded.elapsed() < CACHE_TTL {
                return Ok(set.clone());
            }
        }
        self.reload().await
    }

    async fn reload(&self) -> Result<Arc<KeySet>, KeyError> {
        let set = Arc::new(load(&self.store, &self.at_rest).await?);
        *self.cache.write().await = Some((Instant::now(), set.clone()));
        Ok(set)
    }

    /// The current key for `alg`, creating the first RS256 key on demand.
    pub async fn signing_key(&self, alg: Algorithm, clock: &dyn Clock) -> Result<Arc<SigningKey>, KeyError> {
        if let Some(key) = self.keys().await?.current(alg) {
            return Ok(key);
        }
        self.add_key(alg, clock).await?;
        self.keys().await?.current(alg).ok_or_else(|| KeyError::Corrupted("missing after creation".into()))
    }

    /// `vestibule keys rotate`: a new current key for every algorithm in use.
    pub async fn rotate(&self, clock: &dyn Clock) -> Result<Vec<String>, KeyError> {
        let set = self.reload().await?;
        let mut created = Vec::new();
        for alg in [Algorithm::ES256, Algorithm::RS256] {
            if alg == Algorithm::ES256 || set.current(alg).is_some() {
                created.push(self.add_key(alg, clock).await?);
            }
        }
        Ok(created)
    }

    async fn add_key(&self, alg: Algorithm, clock: &dyn Clock) -> Result<String, KeyError> {
        let kid = crate::ids::entity_id();
        // Keys are ordered by creation time: a new key must sort after every existing one,
        // even when created within the same millisecond.
        let newest = self.reload().await?.keys.iter().map(|k| k.created_at).max().unwrap_or(i64::MIN);
        let created_at = clock.now_ms().max(newest.saturating_add(1));
        let (der, jwk) = match alg {
            Algorithm::RS256 => generate_rsa(&kid),
            _ => generate_p256(&kid),
        };
        sqlx::query("INSERT INTO oidc_signing_keys (id, alg, private_key_sealed, public_jwk, created_at) VALUES ($1, $2, $3, $4, $5)")
            .bind(&kid)
            .bind(alg_name(alg))
            .bind(self.at_rest.encrypt(&der))
            .bind(jwk.to_string())
            .bind(created_at)
            .execute(self.store.pool())
            .await?;
        self.reload().await?;
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
    let rows = sqlx::query("SELECT id, alg, private_key_sealed, public_jwk, created_at FROM oidc_signing_keys ORDER BY created_at DESC, id DESC")
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
        keys.push(Arc::new(SigningKey { kid, alg, es256, encoding, decoding, public_jwk: jwk, created_at: row.try_get("created_at")? }));
    }
    Ok(KeySet { keys })
}
