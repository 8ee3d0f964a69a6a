//! Signed tokens: ID tokens and JWT access tokens (RFC 9068, `typ: at+jwt`), and reading
//! our own JWTs back (`id_token_hint`).

use jsonwebtoken::{Algorithm, Header, Validation};
use serde_json::{Map, Value};

use super::{OidcError, Provider};
use crate::crypto::base64url;

/// Signs `claims` with the current key for `alg`.
pub async fn sign(provider: &Provider, alg: Algorithm, typ: &str, claims: &Map<String, Value>) -> Result<String, OidcError> {
    let key = provider.keys.signing_key(alg, provider.clock.as_ref()).await?;
    if let Some(pair) = &key.es256 {
        // JWS compact serialization (RFC 7515 §7.1) with the cached key pair; ES256's
        // signature is the fixed-width r ‖ s that RFC 7518 §3.4 requires.
        let header = serde_json::json!({ "alg": "ES256", "typ": typ, "kid": key.kid });
        let signing_input = format!("{}.{}", base64url(header.to_string().as_bytes()), base64url(Value::Object(claims.clone()).to_string().as_bytes()));
        let signature = pair
            .sign(&ring::rand::SystemRandom::new(), signing_input.as_bytes())
            .map_err(|_| OidcError::new("server_error", "signing failed"))?;
        return Ok(format!("{signing_input}.{}", base64url(signature.as_ref())));
    }
    let mut header = Header::new(alg);
    header.kid = Some(key.kid.clone());
    header.typ = Some(typ.to_owned());
    jsonwebtoken::encode(&header, claims, &key.encoding).map_err(|e| OidcError::new("server_error", e.to_string()))
}

/// Verifies a JWT we issued (signature, issuer); expiry is checked only when asked, since an
/// expired ID token is still a valid `id_token_hint`.
pub async fn verify_own(provider: &Provider, token: &str, check_expiry: bool) -> Result<Map<String, Value>, OidcError> {
    let invalid = || OidcError::invalid_request("token is not a valid token issued by this provider");
    let header = jsonwebtoken::decode_header(token).map_err(|_| invalid())?;
    let kid = header.kid.ok_or_else(invalid)?;
    let key = provider.keys.verification_key(&kid, provider.clock.as_ref()).await?.ok_or_else(invalid)?;
    let mut validation = Validation::new(key.alg);
    validation.set_issuer(&[provider.issuer()]);
    validation.validate_aud = false;
    validation.validate_exp = check_expiry;
    validation.required_spec_claims.clear();
    jsonwebtoken::decode::<Map<String, Value>>(token, &key.decoding, &validation).map(|data| data.claims).map_err(|_| invalid())
}

pub fn algorithm(name: &str) -> Algorithm {
    match name {
        "RS256" => Algorithm::RS256,
        _ => Algorithm::ES256,
    }
}

/// JWTs have two dots; our opaque tokens have none.
pub fn looks_like_jwt(token: &str) -> bool {
    token.matches('.').count() == 2
}
