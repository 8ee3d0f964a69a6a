//! Started WebAuthn ceremonies, kept in the database until their answer arrives: any node
//! may finish a ceremony another began, and only once (the row is deleted by the first
//! attempt, successful or not, so a challenge can never be answered twice).

use serde::{de::DeserializeOwned, Serialize};

use crate::clock::Clock;
use crate::mfa::MfaError;
use crate::store::Store;

/// How long a browser has to answer (WebAuthn's own dialogs time out after five minutes).
pub const LIFETIME_MS: i64 = 5 * 60 * 1000;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Purpose {
    /// A new credential for the identified user.
    Registration,
    /// The identified user proves a bound credential (second factor).
    Authentication,
    /// Passkey sign-in after an identifier: the user's credentials are named.
    SignIn,
    /// Passkey sign-in where the authenticator names the user (button and autofill).
    DiscoverableSignIn,
}

impl Purpose {
    fn as_str(self) -> &'static str {
        match self {
            Purpose::Registration => "registration",
            Purpose::Authentication => "authentication",
            Purpose::SignIn => "sign-in",
            Purpose::DiscoverableSignIn => "discoverable-sign-in",
        }
    }
}

/// A ceremony taken out of storage.
pub struct Taken<T> {
    pub purpose: Purpose,
    pub user_id: Option<String>,
    pub state: T,
}

/// Keeps `state` for `owner` (e.g. `interaction:<uid>`); returns the ceremony's id, which
/// the client sends back as `verificationId`. A new ceremony replaces the owner's earlier one
/// of the same purpose (a reloaded page cannot pile up live challenges), and expired
/// ceremonies are swept on the way.
pub async fn begin(store: &Store, clock: &dyn Clock, owner: &str, purpose: Purpose, user_id: Option<&str>, state: &impl Serialize) -> Result<String, MfaError> {
    let now = clock.now_ms();
    let id = crate::ids::entity_id();
    let state = serde_json::to_string(state).map_err(|_| MfaError::Corrupt)?;
    let mut tx = store.begin_write().await?;
    sqlx::query("DELETE FROM webauthn_ceremonies WHERE expires_at < $1 OR (owner = $2 AND purpose = $3)")
        .bind(now)
        .bind(owner)
        .bind(purpose.as_str())
        .execute(&mut *tx)
        .await?;
    sqlx::query("INSERT INTO webauthn_ceremonies (id, owner, purpose, user_id, state, expires_at) VALUES ($1, $2, $3, $4, $5, $6)")
        .bind(&id)
        .bind(owner)
        .bind(purpose.as_str())
        .bind(user_id)
        .bind(state)
        .bind(now + LIFETIME_MS)
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    Ok(id)
}

/// Removes and returns `owner`'s live ceremony `id` if it has one of `purposes`; with no id,
/// the most recent such ceremony (passkey sign-in may omit `verificationId`).
pub async fn take<T: DeserializeOwned>(store: &Store, clock: &dyn Clock, owner: &str, id: Option<&str>, purposes: &[Purpose]) -> Result<Taken<T>, MfaError> {
    // The purposes are this module's constants, not input. Filtering by purpose in the
    // DELETE keeps a ceremony answered at the wrong endpoint alive for the right one.
    let listed = purposes.iter().map(|p| format!("'{}'", p.as_str())).collect::<Vec<_>>().join(", ");
    let row: Option<(String, Option<String>, String, i64)> = match id {
        Some(id) => {
            let sql = format!("DELETE FROM webauthn_ceremonies WHERE id = $1 AND owner = $2 AND purpose IN ({listed}) RETURNING purpose, user_id, state, expires_at");
            sqlx::query_as(&sql).bind(id).bind(owner).fetch_optional(store.pool()).await?
        }
        None => {
            let sql = format!(
                "DELETE FROM webauthn_ceremonies WHERE id = (SELECT id FROM webauthn_ceremonies WHERE owner = $1 AND purpose IN ({listed}) \
                 ORDER BY expires_at DESC LIMIT 1) RETURNING purpose, user_id, state, expires_at"
            );
            sqlx::query_as(&sql)
            .bind(owner)
            .fetch_optional(store.pool())
            .await?
        }
    };
    let (purpose, user_id, state, expires_at) = row.ok_or(MfaError::WebAuthnCeremonyNotFound)?;
    let purpose = [Purpose::Registration, Purpose::Authentication, Purpose::SignIn, Purpose::DiscoverableSignIn]
        .into_iter()
        .find(|p| p.as_str() == purpose && purposes.contains(p))
        .ok_or(MfaError::WebAuthnCeremonyNotFound)?;
    if expires_at < clock.now_ms() {
        return Err(MfaError::WebAuthnCeremonyNotFound);
    }
    let state = serde_json::from_str(&state).map_err(|_| MfaError::Corrupt)?;
    Ok(Taken { purpose, user_id, state })
}
