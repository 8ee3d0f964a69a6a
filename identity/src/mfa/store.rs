//! SQL for `mfa_verifications`.

use serde_json::Value;
use sqlx::Row;

use super::{BoundFactor, MfaError, MfaFactor};
use crate::store::Store;

fn factor(name: &str) -> MfaFactor {
    match name {
        "Totp" => MfaFactor::Totp,
        "WebAuthn" => MfaFactor::WebAuthn,
        _ => MfaFactor::BackupCode,
    }
}

pub(super) async fn list(store: &Store, user_id: &str) -> Result<Vec<BoundFactor>, MfaError> {
    let rows = sqlx::query("SELECT id, type, data, created_at, last_used_at FROM mfa_verifications WHERE user_id = $1 ORDER BY created_at, id")
        .bind(user_id)
        .fetch_all(store.pool())
        .await?;
    rows.iter()
        .map(|row| {
            let kind = factor(&row.try_get::<String, _>("type")?);
            let data: Value = serde_json::from_str(&row.try_get::<String, _>("data")?).unwrap_or(Value::Null);
            let remain_codes = (kind == MfaFactor::BackupCode)
                .then(|| data["codes"].as_array().map(|c| c.iter().filter(|c| c["usedAt"].is_null()).count()).unwrap_or(0));
            let text = |key: &str| (kind == MfaFactor::WebAuthn).then(|| data[key].as_str().map(str::to_owned)).flatten();
            Ok(BoundFactor {
                id: row.try_get("id")?,
                factor: kind,
                created_at: row.try_get("created_at")?,
                last_used_at: row.try_get("last_used_at")?,
                remain_codes,
                agent: text("agent"),
                name: text("name"),
            })
        })
        .collect()
}

pub(super) async fn has(conn: &mut sqlx::AnyConnection, user_id: &str, kind: MfaFactor) -> Result<bool, MfaError> {
    let count: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM mfa_verifications WHERE user_id = $1 AND type = $2")
        .bind(user_id)
        .bind(kind.as_str())
        .fetch_one(&mut *conn)
        .await?;
    Ok(count > 0)
}

pub(super) async fn insert(conn: &mut sqlx::AnyConnection, user_id: &str, kind: MfaFactor, data: &Value, now: i64) -> Result<(), MfaError> {
    sqlx::query("INSERT INTO mfa_verifications (id, user_id, type, data, created_at) VALUES ($1, $2, $3, $4, $5)")
        .bind(crate::ids::entity_id())
        .bind(user_id)
        .bind(kind.as_str())
        .bind(data.to_string())
        .bind(now)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

pub(super) async fn delete_type(conn: &mut sqlx::AnyConnection, user_id: &str, kind: MfaFactor) -> Result<(), MfaError> {
    sqlx::query("DELETE FROM mfa_verifications WHERE user_id = $1 AND type = $2").bind(user_id).bind(kind.as_str()).execute(&mut *conn).await?;
    Ok(())
}

pub(super) async fn find_type(store: &Store, user_id: &str, kind: MfaFactor) -> Result<Option<(String, Value)>, MfaError> {
    let row: Option<(String, String)> = sqlx::query_as("SELECT id, data FROM mfa_verifications WHERE user_id = $1 AND type = $2")
        .bind(user_id)
        .bind(kind.as_str())
        .fetch_optional(store.pool())
        .await?;
    Ok(row.map(|(id, data)| (id, serde_json::from_str(&data).unwrap_or(Value::Null))))
}

/// Replaces the factor's data only if it is still `current` (so two requests cannot both
/// spend the same code); true when this call won.
pub(super) async fn replace_data(store: &Store, id: &str, current: &Value, next: &Value, now: i64) -> Result<bool, MfaError> {
    let result = sqlx::query("UPDATE mfa_verifications SET data = $3, last_used_at = $4 WHERE id = $1 AND data = $2")
        .bind(id)
        .bind(current.to_string())
        .bind(next.to_string())
        .bind(now)
        .execute(store.pool())
        .await?;
    Ok(result.rows_affected() == 1)
}

pub(super) async fn set_data(store: &Store, id: &str, data: &Value) -> Result<(), MfaError> {
    sqlx::query("UPDATE mfa_verifications SET data = $2 WHERE id = $1").bind(id).bind(data.to_string()).execute(store.pool()).await?;
    Ok(())
}

pub(super) async fn delete(store: &Store, user_id: &str, id: &str) -> Result<bool, MfaError> {
    let result = sqlx::query("DELETE FROM mfa_verifications WHERE id = $1 AND user_id = $2").bind(id).bind(user_id).execute(store.pool()).await?;
    Ok(result.rows_affected() == 1)
}

pub(super) async fn find_all_of_type(store: &Store, user_id: &str, kind: MfaFactor) -> Result<Vec<(String, Value)>, MfaError> {
    let rows: Vec<(String, String)> = sqlx::query_as("SELECT id, data FROM mfa_verifications WHERE user_id = $1 AND type = $2 ORDER BY created_at, id")
        .bind(user_id)
        .bind(kind.as_str())
        .fetch_all(store.pool())
        .await?;
    Ok(rows.into_iter().map(|(id, data)| (id, serde_json::from_str(&data).unwrap_or(Value::Null))).collect())
}

/// A WebAuthn credential; the unique index on `credential_id` refuses one already registered.
pub(super) async fn insert_credential(conn: &mut sqlx::AnyConnection, user_id: &str, credential_id: &str, data: &Value, now: i64) -> Result<(), MfaError> {
    let inserted = sqlx::query("INSERT INTO mfa_verifications (id, user_id, type, data, created_at, credential_id) VALUES ($1, $2, $3, $4, $5, $6)")
        .bind(crate::ids::entity_id())
        .bind(user_id)
        .bind(MfaFactor::WebAuthn.as_str())
        .bind(data.to_string())
        .bind(now)
        .bind(credential_id)
        .execute(&mut *conn)
        .await;
    match inserted {
        Ok(_) => Ok(()),
        Err(sqlx::Error::Database(e)) if e.is_unique_violation() => Err(MfaError::WebAuthnAlreadyInUse),
        Err(e) => Err(e.into()),
    }
}

/// The row id, owner and data of the credential with this (base64url) id.
pub(super) async fn find_credential(store: &Store, credential_id: &str) -> Result<Option<(String, String, Value)>, MfaError> {
    let row: Option<(String, String, String)> = sqlx::query_as("SELECT id, user_id, data FROM mfa_verifications WHERE credential_id = $1")
        .bind(credential_id)
        .fetch_optional(store.pool())
        .await?;
    Ok(row.map(|(id, user, data)| (id, user, serde_json::from_str(&data).unwrap_or(Value::Null))))
}
