//! WebAuthn credentials — passkeys and security keys — with webauthn-rs (spec §6).
//!
//! The relying party is Vestibule's public endpoint: its host is the RP ID and its origin the
//! only origin accepted, so a look-alike site cannot use a credential made here. Every
//! credential requires user verification and is requested as discoverable, so the same
//! passkey serves as a second factor and for passkey sign-in. A started ceremony is kept in
//! `webauthn_ceremonies` (see [`ceremony`]) so whichever node receives the answer can finish
//! it, and exactly once.

use serde::Serialize;
use serde_json::{json, Value};
use sha2::{Digest, Sha256};
use webauthn_rs::prelude::{
    DiscoverableAuthentication, DiscoverableKey, Passkey, PasskeyAuthentication, PasskeyRegistration, PublicKeyCredential,
    RegisterPublicKeyCredential, RequestChallengeResponse, Url, Uuid, Webauthn, WebauthnBuilder,
};

use super::{store, MfaError, MfaFactor};
use crate::clock::Clock;
use crate::store::Store;
use crate::users::User;

pub mod ceremony;

/// Vestibule as a WebAuthn relying party.
pub struct RelyingParty {
    webauthn: Webauthn,
    rp_id: String,
}

impl RelyingParty {
    /// The relying party of a public endpoint such as `https://id.example.com`. WebAuthn needs
    /// a domain name (browsers refuse IP addresses as RP IDs), hence the error for
    /// `http://127.0.0.1:…`.
    pub fn for_endpoint(endpoint: &str) -> Result<Self, MfaError> {
        Self::with_related_origins(endpoint, &[])
    }

    /// The same relying party, also accepting answers from the operator's related origins
    /// (the account center's `webauthnRelatedOrigins`: an application's own account pages on
    /// another origin, under WebAuthn's related-origin requests).
    pub fn with_related_origins(endpoint: &str, related: &[String]) -> Result<Self, MfaError> {
        let origin = Url::parse(endpoint).map_err(|_| MfaError::WebAuthnUnavailable)?;
        let rp_id = origin.domain().ok_or(MfaError::WebAuthnUnavailable)?.to_owned();
        let mut builder = WebauthnBuilder::new(&rp_id, &origin).map_err(|_| MfaError::WebAuthnUnavailable)?.rp_name(&rp_id);
        for other in related.iter().filter_map(|o| Url::parse(o).ok()) {
            builder = builder.append_allowed_origin(&other);
        }
        let webauthn = builder.build().map_err(|_| MfaError::WebAuthnUnavailable)?;
        Ok(Self { webauthn, rp_id })
    }

    pub fn rp_id(&self) -> &str {
        &self.rp_id
    }

    /// Options for `navigator.credentials.create` (the `publicKey` member) and the state to
    /// keep until the answer comes. The user's existing credentials are excluded so one
    /// authenticator is not registered twice.
    pub fn start_registration(&self, user: &User, existing: &[Passkey]) -> Result<(Value, PasskeyRegistration), MfaError> {
        let name = user.username.clone().or_else(|| user.primary_email.clone()).or_else(|| user.primary_phone.clone()).unwrap_or_else(|| user.id.clone());
        let display = user.name.clone().unwrap_or_else(|| name.clone());
        let exclude = (!existing.is_empty()).then(|| existing.iter().map(|p| p.cred_id().clone()).collect());
        let (challenge, state) = self.webauthn.start_passkey_registration(user_handle(&user.id), &name, &display, exclude).map_err(|_| MfaError::InvalidWebAuthn)?;
        Ok((discoverable(to_json(&challenge.public_key)), state))
    }

    /// Checks the authenticator's answer to [`start_registration`](Self::start_registration).
    pub fn finish_registration(&self, payload: &Value, state: &PasskeyRegistration) -> Result<NewCredential, MfaError> {
        let answer: RegisterPublicKeyCredential = serde_json::from_value(payload.clone()).map_err(|_| MfaError::InvalidWebAuthn)?;
        let transports = payload["response"]["transports"].clone();
        let passkey = self.webauthn.finish_passkey_registration(&answer, state).map_err(|_| MfaError::InvalidWebAuthn)?;
        Ok(NewCredential { passkey, transports: if transports.is_array() { transports } else { json!([]) } })
    }

    /// Options for `navigator.credentials.get` naming the user's credentials (second factor,
    /// or passkey sign-in after an identifier).
    pub fn start_authentication(&self, credentials: &[Passkey]) -> Result<(Value, PasskeyAuthentication), MfaError> {
        let (challenge, state) = self.webauthn.start_passkey_authentication(credentials).map_err(|_| MfaError::NoWebAuthnCredentials)?;
        Ok((request_options(challenge), state))
    }

    /// Options for a passkey sign-in where the authenticator says who the user is (the
    /// "Sign in with a passkey" button and browser autofill).
    pub fn start_discoverable(&self) -> Result<(Value, DiscoverableAuthentication), MfaError> {
        let (challenge, state) = self.webauthn.start_discoverable_authentication().map_err(|_| MfaError::InvalidWebAuthn)?;
        Ok((request_options(challenge), state))
    }
}

/// A credential that passed registration, not yet stored.
#[derive(Debug, Clone, Serialize, serde::Deserialize)]
pub struct NewCredential {
    pub passkey: Passkey,
    pub transports: Value,
}

/// The stable, opaque user handle an authenticator keeps for a user (16 bytes, as
/// webauthn-rs expects): derived from the user id, so nothing else needs storing and a
/// discoverable answer can be checked against the credential's owner.
pub fn user_handle(user_id: &str) -> Uuid {
    let digest = Sha256::digest(format!("vestibule webauthn user handle:{user_id}").as_bytes());
    let mut bytes = [0u8; 16];
    bytes.copy_from_slice(&digest[..16]);
    Uuid::from_bytes(bytes)
}

/// webauthn-rs asks for non-resident credentials in its passkey flow; Vestibule wants them
/// discoverable (spec §6: resident key and user verification required) so that the same
/// passkey also signs in without a username. Registration checks are unaffected.
fn discoverable(mut options: Value) -> Value {
    options["authenticatorSelection"]["residentKey"] = json!("required");
    options["authenticatorSelection"]["requireResidentKey"] = json!(true);
    options
}

/// The `publicKey` member only: whether the browser asks in a dialog or through autofill
/// (`mediation`) is the page's choice.
fn request_options(challenge: RequestChallengeResponse) -> Value {
    to_json(&challenge.public_key)
}

fn to_json(value: &impl Serialize) -> Value {
    serde_json::to_value(value).expect("webauthn options serialise")
}

fn credential_id_of(passkey: &Passkey) -> String {
    use base64::Engine;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(passkey.cred_id().as_ref())
}

/// A stored credential: its row id, owner and the webauthn-rs key.
pub struct StoredCredential {
    pub id: String,
    pub user_id: String,
    pub passkey: Passkey,
    data: Value,
}

fn stored(id: String, user_id: String, data: Value) -> Result<StoredCredential, MfaError> {
    let passkey: Passkey = serde_json::from_value(data["passkey"].clone()).map_err(|_| MfaError::Corrupt)?;
    Ok(StoredCredential { id, user_id, passkey, data })
}

/// The user's WebAuthn credentials.
pub async fn credentials(store: &Store, user_id: &str) -> Result<Vec<StoredCredential>, MfaError> {
    store::find_all_of_type(store, user_id, MfaFactor::WebAuthn).await?.into_iter().map(|(id, data)| stored(id, user_id.to_owned(), data)).collect()
}

/// Stores a verified credential for the user (in the caller's transaction). `agent` is the
/// browser's User-Agent, to tell the user's passkeys apart in lists.
pub async fn bind(conn: &mut sqlx::AnyConnection, clock: &dyn Clock, user_id: &str, rp_id: &str, credential: &NewCredential, agent: &str, name: Option<&str>) -> Result<(), MfaError> {
    let credential_id = credential_id_of(&credential.passkey);
    let data = json!({
        "credentialId": credential_id,
        "passkey": credential.passkey,
        "counter": 0,
        "transports": credential.transports,
        "agent": agent,
        "rpId": rp_id,
        "name": name,
    });
    store::insert_credential(conn, user_id, &credential_id, &data, clock.now_ms()).await
}

/// Names (or, with `None`, un-names) one of the user's passkeys.
pub async fn rename(store: &Store, user_id: &str, id: &str, name: Option<&str>) -> Result<(), MfaError> {
    let (_, mut data) = store::find_all_of_type(store, user_id, MfaFactor::WebAuthn).await?.into_iter().find(|(row, _)| row == id).ok_or(MfaError::NotFound)?;
    data["name"] = name.map(Value::from).unwrap_or(Value::Null);
    store::set_data(store, id, &data).await
}

/// Whether this credential is already registered, to anyone. A credential id names one key
/// pair, so a second registration of it is a copied or forged answer. (The unique index on
/// `credential_id` still decides a race between two registrations.)
pub async fn is_registered(store: &Store, credential: &NewCredential) -> Result<bool, MfaError> {
    Ok(store::find_credential(store, &credential_id_of(&credential.passkey)).await?.is_some())
}

/// Checks an assertion against one of `user_id`'s credentials (second factor, or passkey
/// sign-in after an identifier) and records the new signature counter.
pub async fn authenticate_user(store: &Store, clock: &dyn Clock, rp: &RelyingParty, user_id: &str, payload: &Value, state: &PasskeyAuthentication) -> Result<(), MfaError> {
    let answer = assertion(payload)?;
    let credential = find_by_credential_id(store, answer.get_credential_id()).await?.filter(|c| c.user_id == user_id).ok_or(MfaError::InvalidWebAuthn)?;
    let result = rp.webauthn.finish_passkey_authentication(&answer, state).map_err(|_| MfaError::InvalidWebAuthn)?;
    record_use(store, clock, credential, &result).await
}

/// Checks a discoverable assertion: the credential names its owner, whose user handle must
/// match what the authenticator returned. Returns the user id.
pub async fn authenticate_discoverable(store: &Store, clock: &dyn Clock, rp: &RelyingParty, payload: &Value, state: DiscoverableAuthentication) -> Result<String, MfaError> {
    let answer = assertion(payload)?;
    let (handle, credential_id) = rp.webauthn.identify_discoverable_authentication(&answer).map_err(|_| MfaError::InvalidWebAuthn)?;
    let credential = find_by_credential_id(store, credential_id).await?.ok_or(MfaError::InvalidWebAuthn)?;
    if handle != user_handle(&credential.user_id) {
        return Err(MfaError::InvalidWebAuthn);
    }
    let key = DiscoverableKey::from(&credential.passkey);
    let result = rp.webauthn.finish_discoverable_authentication(&answer, state, &[key]).map_err(|_| MfaError::InvalidWebAuthn)?;
    let user_id = credential.user_id.clone();
    record_use(store, clock, credential, &result).await?;
    Ok(user_id)
}

fn assertion(payload: &Value) -> Result<PublicKeyCredential, MfaError> {
    serde_json::from_value(payload.clone()).map_err(|_| MfaError::InvalidWebAuthn)
}

async fn find_by_credential_id(store: &Store, raw_id: &[u8]) -> Result<Option<StoredCredential>, MfaError> {
    use base64::Engine;
    let credential_id = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(raw_id);
    match store::find_credential(store, &credential_id).await? {
        Some((id, user_id, data)) => Ok(Some(stored(id, user_id, data)?)),
        None => Ok(None),
    }
}

/// Saves the raised signature counter. webauthn-rs compares the counter with the copy of
/// the credential inside the ceremony state, which may be older than the stored one (a clone
/// can start its ceremony before the original signs in), so the stored counter is checked
/// here too: an authenticator that counts must count past it. The compare-and-set makes two
/// nodes that accept the same assertion at once agree on one winner.
async fn record_use(store: &Store, clock: &dyn Clock, mut credential: StoredCredential, result: &webauthn_rs::prelude::AuthenticationResult) -> Result<(), MfaError> {
    let stored_counter = credential.data["counter"].as_u64().unwrap_or(0);
    if result.counter() != 0 && u64::from(result.counter()) <= stored_counter {
        return Err(MfaError::InvalidWebAuthn);
    }
    credential.passkey.update_credential(result);
    let mut next = credential.data.clone();
    next["passkey"] = to_json(&credential.passkey);
    next["counter"] = json!(result.counter());
    if !store::replace_data(store, &credential.id, &credential.data, &next, clock.now_ms()).await? {
        return Err(MfaError::InvalidWebAuthn);
    }
    Ok(())
}
