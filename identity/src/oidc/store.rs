//! SQL for the provider's state: interactions, sessions, grants and bearer tokens.

use serde_json::Value;
use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};

use crate::store::{Backend, Store};

#[derive(Debug, Clone)]
pub(crate) struct InteractionRow {
    pub uid: String,
    pub cookie_hash: String,
    pub client_id: String,
    pub params: String,
    pub experience: Option<String>,
    pub account_id: Option<String>,
    pub login_at: Option<i64>,
    /// An interaction that only asks consent: the live session it belongs to.
    pub session_uid: Option<String>,
    /// When the user consented in this interaction.
    pub consented_at: Option<i64>,
    pub expires_at: i64,
}

pub(crate) async fn insert_interaction(store: &Store, row: &InteractionRow, now: i64) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO oidc_interactions (uid, cookie_hash, client_id, params, account_id, login_at, session_uid, created_at, expires_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
    )
        .bind(&row.uid)
        .bind(&row.cookie_hash)
        .bind(&row.client_id)
        .bind(&row.params)
        .bind(&row.account_id)
        .bind(row.login_at)
        .bind(&row.session_uid)
        .bind(now)
        .bind(row.expires_at)
        .execute(store.pool())
        .await?;
    Ok(())
}

const INTERACTION_COLUMNS: &str = "uid, cookie_hash, client_id, params, experience, account_id, login_at, session_uid, consented_at, expires_at";

pub(crate) async fn find_interaction(store: &Store, uid: &str) -> Result<Option<InteractionRow>, sqlx::Error> {
    let row = sqlx::query(&format!("SELECT {INTERACTION_COLUMNS} FROM oidc_interactions WHERE uid = $1"))
        .bind(uid)
        .fetch_optional(store.pool())
        .await?;
    row.map(|r| interaction_from_row(&r)).transpose()
}

pub(crate) async fn find_interaction_by_cookie(store: &Store, cookie_hash: &str) -> Result<Option<InteractionRow>, sqlx::Error> {
    let row = sqlx::query(&format!("SELECT {INTERACTION_COLUMNS} FROM oidc_interactions WHERE cookie_hash = $1"))
        .bind(cookie_hash)
        .fetch_optional(store.pool())
        .await?;
    row.map(|r| interaction_from_row(&r)).transpose()
}

fn interaction_from_row(r: &AnyRow) -> Result<InteractionRow, sqlx::Error> {
    Ok(InteractionRow {
        uid: r.try_get("uid")?,
        cookie_hash: r.try_get("cookie_hash")?,
        client_id: r.try_get("client_id")?,
        params: r.try_get("params")?,
        experience: r.try_get("experience")?,
        account_id: r.try_get("account_id")?,
        login_at: r.try_get("login_at")?,
        session_uid: r.try_get("session_uid")?,
        consented_at: r.try_get("consented_at")?,
        expires_at: r.try_get("expires_at")?,
    })
}

pub(crate) async fn save_experience(conn: &mut AnyConnection, uid: &str, experience: &str) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE oidc_interactions SET experience = $2 WHERE uid = $1")
        .bind(uid)
        .bind(experience)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

pub(crate) async fn complete_login(conn: &mut AnyConnection, uid: &str, account_id: &str, now: i64, experience: &str) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE oidc_interactions SET account_id = $2, login_at = $3, experience = $4 WHERE uid = $1")
        .bind(uid)
        .bind(account_id)
        .bind(now)
        .bind(experience)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

pub(crate) async fn mark_consented(conn: &mut AnyConnection, uid: &str, now: i64) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE oidc_interactions SET consented_at = $2 WHERE uid = $1").bind(uid).bind(now).execute(&mut *conn).await?;
    Ok(())
}

pub(crate) async fn delete_interaction(conn: &mut AnyConnection, uid: &str) -> Result<(), sqlx::Error> {
    sqlx::query("DELETE FROM oidc_interactions WHERE uid = $1").bind(uid).execute(&mut *conn).await?;
    Ok(())
}

#[derive(Debug, Clone)]
pub(crate) struct SessionRow {
    pub uid: String,
    pub account_id: String,
    pub auth_time: i64,
    pub expires_at: i64,
}

pub(crate) async fn insert_session(conn: &mut AnyConnection, row: &SessionRow, cookie_hash: &str, now: i64) -> Result<(), sqlx::Error> {
    sqlx::query("INSERT INTO oidc_sessions (uid, cookie_hash, account_id, auth_time, created_at, expires_at) VALUES ($1, $2, $3, $4, $5, $6)")
        .bind(&row.uid)
        .bind(cookie_hash)
        .bind(&row.account_id)
        .bind(row.auth_time)
        .bind(now)
        .bind(row.expires_at)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

pub(crate) async fn find_session_by_cookie(store: &Store, cookie_hash: &str) -> Result<Option<SessionRow>, sqlx::Error> {
    let row = sqlx::query("SELECT uid, account_id, auth_time, expires_at FROM oidc_sessions WHERE cookie_hash = $1")
        .bind(cookie_hash)
        .fetch_optional(store.pool())
        .await?;
    session_from_row(row)
}

pub(crate) async fn find_session(store: &Store, uid: &str) -> Result<Option<SessionRow>, sqlx::Error> {
    let row = sqlx::query("SELECT uid, account_id, auth_time, expires_at FROM oidc_sessions WHERE uid = $1").bind(uid).fetch_optional(store.pool()).await?;
    session_from_row(row)
}

fn session_from_row(row: Option<AnyRow>) -> Result<Option<SessionRow>, sqlx::Error> {
    row.map(|r| {
        Ok(SessionRow {
            uid: r.try_get("uid")?,
            account_id: r.try_get("account_id")?,
            auth_time: r.try_get("auth_time")?,
            expires_at: r.try_get("expires_at")?,
        })
    })
    .transpose()
}

/// Ends a session. Grants it created that hold no refresh token (no `offline_access`) end
/// with it, as in node-oidc-provider; offline grants outlive the browser session.
pub(crate) async fn delete_session(store: &Store, uid: &str, now: i64) -> Result<(), sqlx::Error> {
    let mut tx = store.begin_write().await?;
    super::backchannel::enqueue(&mut tx, super::backchannel::Ending::Session(uid), now).await?;
    sqlx::query(
        "DELETE FROM oidc_grants WHERE session_uid = $1 AND NOT EXISTS \
         (SELECT 1 FROM oidc_tokens t WHERE t.grant_id = oidc_grants.id AND t.kind = 'refresh_token')",
    )
    .bind(uid)
    .execute(&mut *tx)
    .await?;
    sqlx::query("DELETE FROM oidc_sessions WHERE uid = $1").bind(uid).execute(&mut *tx).await?;
    tx.commit().await
}

pub(crate) async fn insert_grant(
    conn: &mut AnyConnection,
    id: &str,
    client_id: &str,
    account_id: Option<&str>,
    session_uid: Option<&str>,
    now: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query("INSERT INTO oidc_grants (id, client_id, account_id, session_uid, created_at, expires_at) VALUES ($1, $2, $3, $4, $5, $6)")
        .bind(id)
        .bind(client_id)
        .bind(account_id)
        .bind(session_uid)
        .bind(now)
        .bind(now + super::ttl::GRANT)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

/// Revokes a grant and, through the foreign key, every token it issued.
/// A user's live sessions (uid, auth time, created, expires) and the grants each started
/// (grant id, client id, session uid), for the account center.
pub(crate) async fn sessions_of(store: &Store, account_id: &str, now: i64) -> Result<(Vec<(String, i64, i64, i64)>, Vec<(String, String, String)>), sqlx::Error> {
    let sessions = sqlx::query_as("SELECT uid, auth_time, created_at, expires_at FROM oidc_sessions WHERE account_id = $1 AND expires_at > $2 ORDER BY created_at, uid")
        .bind(account_id)
        .bind(now)
        .fetch_all(store.pool())
        .await?;
    let grants = sqlx::query_as("SELECT id, client_id, session_uid FROM oidc_grants WHERE account_id = $1 AND session_uid IS NOT NULL ORDER BY created_at, id")
        .bind(account_id)
        .fetch_all(store.pool())
        .await?;
    Ok((sessions, grants))
}

/// Ends one of the user's sessions; with `revoke_first_party_only` `Some(..)`, also revokes
/// the grants it started (all of them, or only first-party applications'). Returns whether
/// the session was the user's.
pub(crate) async fn end_session_of(store: &Store, account_id: &str, uid: &str, revoke_first_party_only: Option<bool>, now: i64) -> Result<bool, sqlx::Error> {
    let mut tx = store.begin_write().await?;
    // Queued first (it reads the session's grants); undone with the rest if it was not theirs.
    super::backchannel::enqueue(&mut tx, super::backchannel::Ending::Session(uid), now).await?;
    let deleted = sqlx::query("DELETE FROM oidc_sessions WHERE uid = $1 AND account_id = $2").bind(uid).bind(account_id).execute(&mut *tx).await?;
    if deleted.rows_affected() == 0 {
        tx.rollback().await?;
        return Ok(false);
    }
    let revoke = match revoke_first_party_only {
        None => "DELETE FROM oidc_grants WHERE session_uid = $1 AND NOT EXISTS \
                 (SELECT 1 FROM oidc_tokens t WHERE t.grant_id = oidc_grants.id AND t.kind = 'refresh_token')",
        Some(false) => "DELETE FROM oidc_grants WHERE session_uid = $1",
        Some(true) => "DELETE FROM oidc_grants WHERE session_uid = $1 AND client_id IN (SELECT id FROM applications WHERE is_third_party = $2)",
    };
    let mut query = sqlx::query(revoke).bind(uid);
    if revoke_first_party_only == Some(true) {
        query = query.bind(false);
    }
    query.execute(&mut *tx).await?;
    tx.commit().await?;
    Ok(true)
}

/// A user's unexpired grants (id, client id, created, expires), optionally only first-party
/// (`Some(false)`) or third-party (`Some(true)`) applications'.
pub(crate) async fn grants_of(store: &Store, account_id: &str, third_party: Option<bool>, now: i64) -> Result<Vec<(String, String, i64, i64)>, sqlx::Error> {
    let sql = "SELECT g.id, g.client_id, g.created_at, g.expires_at FROM oidc_grants g JOIN applications a ON a.id = g.client_id \
               WHERE g.account_id = $1 AND g.expires_at > $2 AND ($3 = 0 OR a.is_third_party = $4) ORDER BY g.created_at, g.id";
    sqlx::query_as(sql).bind(account_id).bind(now).bind(i64::from(third_party.is_some())).bind(third_party.unwrap_or(false)).fetch_all(store.pool()).await
}

/// Revokes one of the user's grants (and so its tokens); whether it was theirs.
/// Revoking an application also withdraws the consent given to it: it asks again next time.
pub(crate) async fn revoke_grant_of(store: &Store, account_id: &str, grant_id: &str) -> Result<bool, sqlx::Error> {
    let mut tx = store.begin_write().await?;
    sqlx::query("DELETE FROM oidc_consents WHERE account_id = $1 AND client_id IN (SELECT client_id FROM oidc_grants WHERE id = $2 AND account_id = $1)")
        .bind(account_id)
        .bind(grant_id)
        .execute(&mut *tx)
        .await?;
    let revoked = sqlx::query("DELETE FROM oidc_grants WHERE id = $1 AND account_id = $2").bind(grant_id).bind(account_id).execute(&mut *tx).await?.rows_affected() > 0;
    tx.commit().await?;
    Ok(revoked)
}

/// The session a grant belongs to.
pub(crate) async fn grant_session(store: &Store, grant_id: &str) -> Result<Option<String>, sqlx::Error> {
    Ok(sqlx::query_scalar::<_, Option<String>>("SELECT session_uid FROM oidc_grants WHERE id = $1").bind(grant_id).fetch_optional(store.pool()).await?.flatten())
}

pub(crate) async fn revoke_grant(store: &Store, grant_id: &str) -> Result<(), sqlx::Error> {
    sqlx::query("DELETE FROM oidc_grants WHERE id = $1").bind(grant_id).execute(store.pool()).await?;
    Ok(())
}

#[derive(Debug, Clone)]
pub(crate) struct TokenRow {
    pub hash: String,
    pub kind: String,
    pub grant_id: Option<String>,
    pub client_id: String,
    pub account_id: Option<String>,
    pub scope: String,
    pub resource: Option<String>,
    pub payload: Value,
    pub created_at: i64,
    pub expires_at: i64,
    pub consumed_at: Option<i64>,
}

pub(crate) async fn insert_token(conn: &mut AnyConnection, t: &TokenRow) -> Result<(), sqlx::Error> {
    insert_tokens(conn, std::slice::from_ref(t)).await
}

/// Stores several tokens in one statement (one round trip while the write lock is held).
pub(crate) async fn insert_tokens(conn: &mut AnyConnection, rows: &[TokenRow]) -> Result<(), sqlx::Error> {
    if rows.is_empty() {
        return Ok(());
    }
    bind_tokens(sqlx::query(&insert_sql(rows.len(), 1)), rows).execute(&mut *conn).await?;
    Ok(())
}

const TOKEN_COLUMNS: usize = 10;
const INSERT_TOKENS: &str = "INSERT INTO oidc_tokens (hash, kind, grant_id, client_id, account_id, scope, resource, payload, created_at, expires_at)";

/// `INSERT` of `rows` tokens, its placeholders numbered from `first`.
fn insert_sql(rows: usize, first: usize) -> String {
    format!("{INSERT_TOKENS} VALUES {}", values_sql(rows, first))
}

/// The `VALUES` rows of `rows` tokens, placeholders from `first`.
fn values_sql(rows: usize, first: usize) -> String {
    let values: Vec<String> = (0..rows)
        .map(|r| format!("({})", (0..TOKEN_COLUMNS).map(|c| format!("${}", first + r * TOKEN_COLUMNS + c)).collect::<Vec<_>>().join(", ")))
        .collect();
    values.join(", ")
}

/// A code exchange: spends the single-use token and, only if this spent it, stores what it
/// yields, atomically; `false` when it was spent already (a replay), storing nothing. On
/// PostgreSQL one statement, as [`rotate_tokens`].
pub(crate) async fn spend_for(store: &Store, hash: &str, now: i64, minted: &[TokenRow]) -> Result<bool, sqlx::Error> {
    if store.backend() == Backend::Postgres && !minted.is_empty() {
        let sql = format!(
            "WITH spent AS (UPDATE oidc_tokens SET consumed_at = $1 WHERE hash = $2 AND consumed_at IS NULL RETURNING hash) \
             {INSERT_TOKENS} SELECT * FROM (VALUES {}) AS minted WHERE EXISTS (SELECT 1 FROM spent)",
            values_sql(minted.len(), 3)
        );
        let stored = bind_tokens(sqlx::query(&sql).bind(now).bind(hash), minted).execute(store.pool()).await?;
        return Ok(stored.rows_affected() > 0);
    }
    let mut tx = store.begin_write().await?;
    if !consume_token(&mut tx, hash, now).await? {
        tx.rollback().await?;
        return Ok(false);
    }
    insert_tokens(&mut tx, minted).await?;
    tx.commit().await?;
    Ok(true)
}

fn bind_tokens<'q>(mut query: sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments<'q>>, rows: &'q [TokenRow]) -> sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments<'q>> {
    for t in rows {
        query = query
            .bind(&t.hash)
            .bind(&t.kind)
            .bind(&t.grant_id)
            .bind(&t.client_id)
            .bind(&t.account_id)
            .bind(&t.scope)
            .bind(&t.resource)
            .bind(t.payload.to_string())
            .bind(t.created_at)
            .bind(t.expires_at);
    }
    query
}

pub(crate) async fn find_token(store: &Store, hash: &str) -> Result<Option<TokenRow>, sqlx::Error> {
    let row = sqlx::query(
        "SELECT hash, kind, grant_id, client_id, account_id, scope, resource, payload, created_at, expires_at, consumed_at \
         FROM oidc_tokens WHERE hash = $1",
    )
    .bind(hash)
    .fetch_optional(store.pool())
    .await?;
    row.map(|r| {
        let payload: String = r.try_get("payload")?;
        Ok(TokenRow {
            hash: r.try_get("hash")?,
            kind: r.try_get("kind")?,
            grant_id: r.try_get("grant_id")?,
            client_id: r.try_get("client_id")?,
            account_id: r.try_get("account_id")?,
            scope: r.try_get("scope")?,
            resource: r.try_get("resource")?,
            payload: serde_json::from_str(&payload).unwrap_or(Value::Null),
            created_at: r.try_get("created_at")?,
            expires_at: r.try_get("expires_at")?,
            consumed_at: r.try_get("consumed_at")?,
        })
    })
    .transpose()
}

/// A refresh: spends the presented token (when given and not yet spent) and stores the new
/// ones, atomically. On PostgreSQL that is one statement (a data-modifying `WITH`), one round
/// trip where a transaction takes four; SQLite has no such statement, so it is a transaction.
pub(crate) async fn rotate_tokens(store: &Store, spent: Option<&str>, now: i64, minted: &[TokenRow]) -> Result<(), sqlx::Error> {
    match (store.backend(), spent) {
        (Backend::Postgres, Some(hash)) if !minted.is_empty() => {
            let sql = format!("WITH spent AS (UPDATE oidc_tokens SET consumed_at = $1 WHERE hash = $2 AND consumed_at IS NULL) {}", insert_sql(minted.len(), 3));
            bind_tokens(sqlx::query(&sql).bind(now).bind(hash), minted).execute(store.pool()).await?;
        }
        _ => {
            let mut tx = store.begin_write().await?;
            if let Some(hash) = spent {
                consume_token(&mut tx, hash, now).await?;
            }
            insert_tokens(&mut tx, minted).await?;
            tx.commit().await?;
        }
    }
    Ok(())
}

/// Marks a single-use token consumed; `false` when it already was (a replay).
pub(crate) async fn consume_token(conn: &mut AnyConnection, hash: &str, now: i64) -> Result<bool, sqlx::Error> {
    let result = sqlx::query("UPDATE oidc_tokens SET consumed_at = $2 WHERE hash = $1 AND consumed_at IS NULL")
        .bind(hash)
        .bind(now)
        .execute(&mut *conn)
        .await?;
    Ok(result.rows_affected() == 1)
}
