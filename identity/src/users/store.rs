//! SQL for the `users` table, one statement per operation, portable across both backends.

use serde_json::{Map, Value};
use sqlx::any::AnyRow;
use sqlx::Row;

use super::{PasswordHash, Profile, User, UserError};
use crate::store::{get_flag, unique_violation, Backend, Store};

const COLUMNS: &str = "id, username, primary_email, primary_phone, password_encrypted, \
    password_encryption_method, name, avatar, profile, custom_data, is_suspended, \
    last_sign_in_at, password_updated_at, created_at, updated_at";

pub(super) async fn insert_in(conn: &mut sqlx::AnyConnection, user: &User) -> Result<(), UserError> {
    let (hash, method) = match &user.password {
        Some(p) => (Some(p.hash.clone()), Some(p.method.clone())),
        None => (None, None),
    };
    sqlx::query(
        "INSERT INTO users (id, username, primary_email, primary_phone, password_encrypted, \
         password_encryption_method, name, avatar, profile, custom_data, is_suspended, \
         last_sign_in_at, password_updated_at, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)",
    )
    .bind(&user.id)
    .bind(&user.username)
    .bind(&user.primary_email)
    .bind(&user.primary_phone)
    .bind(hash)
    .bind(method)
    .bind(&user.name)
    .bind(&user.avatar)
    .bind(to_json(&user.profile))
    .bind(to_json(&user.custom_data))
    .bind(user.is_suspended)
    .bind(user.last_sign_in_at)
    .bind(user.password_updated_at)
    .bind(user.created_at)
    .bind(user.updated_at)
    .execute(&mut *conn)
    .await
    .map_err(identifier_conflict)?;
    Ok(())
}

/// Gives a new user the roles marked as defaults for users.
pub(super) async fn assign_default_roles(conn: &mut sqlx::AnyConnection, user_id: &str) -> Result<(), UserError> {
    sqlx::query("INSERT INTO users_roles (user_id, role_id) SELECT $1, id FROM roles WHERE is_default = $2 AND type = $3")
        .bind(user_id)
        .bind(true)
        .bind("User")
        .execute(&mut *conn)
        .await?;
    Ok(())
}

/// Any of the stored forms of one phone number (see `identifiers::phone_variants`).
pub(super) async fn find_by_phone(store: &Store, variants: &[String]) -> Result<Option<User>, UserError> {
    let sql = format!("SELECT {COLUMNS} FROM users WHERE primary_phone IN ($1, $2, $3) ORDER BY created_at LIMIT 1");
    let pick = |i: usize| variants.get(i).or(variants.first()).cloned().unwrap_or_default();
    let row = sqlx::query(&sql).bind(pick(0)).bind(pick(1)).bind(pick(2)).fetch_optional(store.pool()).await?;
    row.map(|row| from_row(&row)).transpose()
}

/// Writes the identifiers and password an interaction staged (each `None` is left as it
/// is) and stamps the sign-in, in the caller's transaction.
pub(super) async fn apply_staged(conn: &mut sqlx::AnyConnection, id: &str, staged: &super::StagedChanges, now: i64) -> Result<(), UserError> {
    let (hash, method) = match &staged.password {
        Some(p) => (Some(p.hash.clone()), Some(p.method.clone())),
        None => (None, None),
    };
    let result = sqlx::query(
        "UPDATE users SET username = COALESCE($2, username), primary_email = COALESCE($3, primary_email), \
         primary_phone = COALESCE($4, primary_phone), password_encrypted = COALESCE($5, password_encrypted), \
         password_encryption_method = COALESCE($6, password_encryption_method), \
         password_updated_at = CASE WHEN $7 THEN $8 ELSE password_updated_at END, \
         last_sign_in_at = CASE WHEN $9 THEN $8 ELSE last_sign_in_at END, name = COALESCE($10, name), avatar = COALESCE($11, avatar), \
         updated_at = $8 WHERE id = $1",
    )
    .bind(id)
    .bind(&staged.username)
    .bind(&staged.primary_email)
    .bind(&staged.primary_phone)
    .bind(hash)
    .bind(method)
    .bind(staged.password.is_some())
    .bind(now)
    .bind(staged.sign_in)
    .bind(&staged.name)
    .bind(&staged.avatar)
    .execute(&mut *conn)
    .await
    .map_err(identifier_conflict)?;
    if result.rows_affected() == 0 {
        return Err(UserError::NotFound);
    }
    Ok(())
}

pub(super) async fn find_by_id(store: &Store, id: &str) -> Result<Option<User>, UserError> {
    let sql = format!("SELECT {COLUMNS} FROM users WHERE id = $1");
    fetch_optional(store, &sql, id).await
}

pub(super) async fn find_many(store: &Store, ids: &[String]) -> Result<Vec<User>, UserError> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let placeholders: Vec<String> = (1..=ids.len()).map(|n| format!("${n}")).collect();
    let sql = format!("SELECT {COLUMNS} FROM users WHERE id IN ({})", placeholders.join(", "));
    let mut query = sqlx::query(&sql);
    for id in ids {
        query = query.bind(id);
    }
    query.fetch_all(store.pool()).await?.iter().map(from_row).collect()
}

pub(super) async fn find_by_username(
    store: &Store,
    username: &str,
) -> Result<Option<User>, UserError> {
    let sql = format!("SELECT {COLUMNS} FROM users WHERE username = $1");
    fetch_optional(store, &sql, username).await
}

/// The oldest account whose username equals `username` ignoring case (under a
/// case-insensitive username policy; accounts made before the policy may differ only by case).
pub(super) async fn find_by_username_ignoring_case(store: &Store, username: &str) -> Result<Option<User>, UserError> {
    let sql = format!("SELECT {COLUMNS} FROM users WHERE lower(username) = lower($1) ORDER BY created_at, id LIMIT 1");
    fetch_optional(store, &sql, username).await
}

pub(super) async fn find_by_email(store: &Store, email: &str) -> Result<Option<User>, UserError> {
    // lower(primary_email) is what the unique index covers, so this is an index lookup.
    let sql = format!("SELECT {COLUMNS} FROM users WHERE lower(primary_email) = lower($1)");
    fetch_optional(store, &sql, email).await
}

pub(super) async fn update_details(store: &Store, user: &User) -> Result<(), UserError> {
    let result = sqlx::query(
        "UPDATE users SET name = $2, avatar = $3, profile = $4, custom_data = $5, updated_at = $6 \
         WHERE id = $1",
    )
    .bind(&user.id)
    .bind(&user.name)
    .bind(&user.avatar)
    .bind(to_json(&user.profile))
    .bind(to_json(&user.custom_data))
    .bind(user.updated_at)
    .execute(store.pool())
    .await?;
    if result.rows_affected() == 0 {
        return Err(UserError::NotFound);
    }
    Ok(())
}

pub(super) async fn list(store: &Store, query: &super::UserQuery, after: Option<&super::UserCursor>) -> Result<(Vec<User>, i64), UserError> {
    let limit = super::EXACT_COUNT_LIMIT;
    let backend = store.backend();
    if query.search.is_empty() {
        return Ok((walk(store, query, after, true).await?, everyone(store).await?));
    }
    // SQLite: when one pattern matches more than the limit, its FTS5 candidates would all be
    // read before the first row; counting its matches as they come stops at the limit.
    let many = match query.search.sole_pattern_matches(backend) {
        Some((matches, binds)) => count_matches(store, &format!("SELECT COUNT(*) FROM ({matches} LIMIT {}) AS matches", limit + 1), &binds).await? > limit,
        None => false,
    };
    if !many {
        if let Some(found) = from_the_matches(store, query, after).await? {
            return Ok(found);
        }
    }
    // Most users match: walking the list in order and testing each finds a page sooner than
    // reading every match.
    Ok((walk(store, query, after, false).await?, limit + 1))
}

/// A search with few matches, answered from one read of them (through the indexes): they are
/// counted, ordered and paged together. `None` when there are more than the limit.
async fn from_the_matches(store: &Store, query: &super::UserQuery, after: Option<&super::UserCursor>) -> Result<Option<(Vec<User>, i64)>, UserError> {
    let limit = super::EXACT_COUNT_LIMIT;
    let (filter, binds) = query.search.to_sql(store.backend(), 1, true)?;
    // Planned for its patterns each time (not a prepared statement): PostgreSQL's generic
    // plan cannot tell a selective `user12%` from `%a%`.
    let rows = read_page(store, query, after, &binds, false, |keyset| {
        format!(
            "SELECT {COLUMNS}, matches FROM (SELECT {COLUMNS}, COUNT(*) OVER () AS matches FROM \
             (SELECT {COLUMNS} FROM users WHERE ({filter}) LIMIT {}) AS found) AS counted WHERE TRUE{keyset}",
            limit + 1
        )
    })
    .await?;
    let matches = match rows.first() {
        Some(row) => row.try_get::<i64, _>("matches")?,
        // Past the last page: count them (the only case that reads the matches twice).
        None => count_matches(store, &format!("SELECT COUNT(*) FROM (SELECT 1 FROM users WHERE ({filter}) LIMIT {}) AS matches", limit + 1), &binds).await?,
    };
    if matches > limit {
        return Ok(None);
    }
    Ok(Some((rows.iter().map(from_row).collect::<Result<Vec<_>, _>>()?, matches)))
}

/// A page in the list's order, testing each user against the search on the way.
async fn walk(store: &Store, query: &super::UserQuery, after: Option<&super::UserCursor>, everyone: bool) -> Result<Vec<User>, UserError> {
    let (filter, binds) = query.search.to_sql(store.backend(), 1, false)?;
    let rows = read_page(store, query, after, &binds, everyone, |keyset| format!("SELECT {COLUMNS} FROM users WHERE ({filter}){keyset}")).await?;
    Ok(rows.iter().map(from_row).collect::<Result<Vec<_>, _>>()?)
}

/// Reads one page: `select` writes the statement up to the end of its conditions, given the
/// cursor's condition (empty without one); the list's order and the page's size and offset
/// follow. The search's values are bound first, then the cursor's, then the page's.
async fn read_page(
    store: &Store,
    query: &super::UserQuery,
    after: Option<&super::UserCursor>,
    binds: &[String],
    prepared: bool,
    select: impl FnOnce(&str) -> String,
) -> Result<Vec<AnyRow>, UserError> {
    let first = binds.len() + 1;
    // Keyset: the rows after the cursor in the list's order (newest first, ties by id, both
    // descending), as one row comparison both databases answer with a range of
    // `users_listing`.
    let (keyset, next) = match after {
        Some(_) => (format!(" AND (created_at, id) < (${first}, ${})", first + 1), first + 2),
        None => (String::new(), first),
    };
    let sql = format!("{} ORDER BY created_at DESC, id DESC LIMIT ${next} OFFSET ${}", select(&keyset), next + 1);
    let mut rows = sqlx::query(&sql).persistent(prepared);
    for value in binds {
        rows = rows.bind(value);
    }
    if let Some(cursor) = after {
        rows = rows.bind(cursor.created_at).bind(&cursor.id);
    }
    let skipped = if after.is_some() { 0 } else { (query.page - 1) * query.page_size };
    Ok(rows.bind(query.page_size).bind(skipped).fetch_all(store.pool()).await.map_err(bad_pattern)?)
}

async fn count_matches(store: &Store, sql: &str, binds: &[String]) -> Result<i64, UserError> {
    let mut count = sqlx::query_scalar(sql).persistent(false);
    for value in binds {
        count = count.bind(value);
    }
    count.fetch_one(store.pool()).await.map_err(bad_pattern)
}

/// How many users there are: on SQLite the count kept by triggers (migration 0028); on
/// PostgreSQL exact up to [`super::EXACT_COUNT_LIMIT`], then its estimate (kept by
/// autovacuum and ANALYZE; counting would read them all).
async fn everyone(store: &Store) -> Result<i64, UserError> {
    let limit = super::EXACT_COUNT_LIMIT;
    if store.backend() == Backend::Sqlite {
        return Ok(sqlx::query_scalar("SELECT users FROM user_count WHERE singleton = 1").fetch_one(store.pool()).await?);
    }
    let listed: i64 = sqlx::query_scalar(&format!("SELECT COUNT(*) FROM (SELECT 1 FROM users LIMIT {}) AS everyone", limit + 1)).fetch_one(store.pool()).await?;
    if listed <= limit {
        return Ok(listed);
    }
    let estimate: i64 = sqlx::query_scalar("SELECT CAST(reltuples AS BIGINT) FROM pg_class WHERE oid = 'users'::regclass").fetch_one(store.pool()).await?;
    Ok(estimate.max(listed))
}

/// A search pattern PostgreSQL refuses (an invalid regular expression for `posix` or
/// `similar_to`, a LIKE pattern ending in its escape character) is the caller's mistake: 400.
fn bad_pattern(err: sqlx::Error) -> UserError {
    let code = err.as_database_error().and_then(|e| e.code()).map(|c| c.into_owned());
    match code.as_deref() {
        Some("2201B") | Some("22025") => UserError::Search(super::search::SearchError(format!("the search pattern is not valid: {err}"))),
        _ => UserError::Storage(err),
    }
}

pub(super) async fn update_all(store: &Store, user: &User) -> Result<(), UserError> {
    let result = sqlx::query(
        "UPDATE users SET username = $2, primary_email = $3, primary_phone = $4, name = $5, avatar = $6, profile = $7, \
         custom_data = $8, updated_at = $9 WHERE id = $1",
    )
    .bind(&user.id)
    .bind(&user.username)
    .bind(&user.primary_email)
    .bind(&user.primary_phone)
    .bind(&user.name)
    .bind(&user.avatar)
    .bind(to_json(&user.profile))
    .bind(to_json(&user.custom_data))
    .bind(user.updated_at)
    .execute(store.pool())
    .await
    .map_err(identifier_conflict)?;
    if result.rows_affected() == 0 {
        return Err(UserError::NotFound);
    }
    Ok(())
}

/// Suspending ends everything the account had been given — its sessions, grants and the
/// tokens issued under them — in the same transaction, so that reinstating it later brings
/// none of them back: the person signs in again.
pub(super) async fn set_suspended(store: &Store, id: &str, suspended: bool, now: i64) -> Result<(), UserError> {
    let mut tx = store.begin_write().await?;
    let result = sqlx::query("UPDATE users SET is_suspended = $2, updated_at = $3 WHERE id = $1")
        .bind(id)
        .bind(suspended)
        .bind(now)
        .execute(&mut *tx)
        .await?;
    if result.rows_affected() == 0 {
        return Err(UserError::NotFound);
    }
    if suspended {
        crate::oidc::backchannel::enqueue(&mut tx, crate::oidc::backchannel::Ending::AllOf(id), now).await?;
        for sql in ["DELETE FROM oidc_tokens WHERE account_id = $1", "DELETE FROM oidc_grants WHERE account_id = $1", "DELETE FROM oidc_sessions WHERE account_id = $1"] {
            sqlx::query(sql).bind(id).execute(&mut *tx).await?;
        }
    }
    tx.commit().await?;
    Ok(())
}

pub(super) async fn delete(store: &Store, id: &str, now: i64) -> Result<bool, UserError> {
    // A write transaction from the start: it reads (the logout queue) before it writes.
    let mut tx = store.begin_write().await?;
    crate::oidc::backchannel::enqueue(&mut tx, crate::oidc::backchannel::Ending::AllOf(id), now).await?;
    sqlx::query("DELETE FROM webauthn_ceremonies WHERE user_id = $1").bind(id).execute(&mut *tx).await?;
    let result = sqlx::query("DELETE FROM users WHERE id = $1").bind(id).execute(&mut *tx).await?;
    tx.commit().await?;
    Ok(result.rows_affected() > 0)
}

pub(super) async fn record_sign_in(store: &Store, id: &str, at: i64) -> Result<(), UserError> {
    sqlx::query("UPDATE users SET last_sign_in_at = $2 WHERE id = $1").bind(id).bind(at).execute(store.pool()).await?;
    Ok(())
}

pub(super) async fn set_password(store: &Store, id: &str, password: &PasswordHash, now: i64) -> Result<(), UserError> {
    let result = sqlx::query(
        "UPDATE users SET password_encrypted = $2, password_encryption_method = $3, password_updated_at = $4, \
         is_password_expired = $5, updated_at = $4 WHERE id = $1",
    )
    .bind(id)
    .bind(&password.hash)
    .bind(&password.method)
    .bind(now)
    .bind(false)
    .execute(store.pool())
    .await?;
    if result.rows_affected() == 0 {
        return Err(UserError::NotFound);
    }
    Ok(())
}

pub(super) async fn count(store: &Store) -> Result<i64, UserError> {
    Ok(sqlx::query_scalar("SELECT COUNT(*) FROM users")
        .fetch_one(store.pool())
        .await?)
}

async fn fetch_optional(store: &Store, sql: &str, key: &str) -> Result<Option<User>, UserError> {
    let row = sqlx::query(sql).bind(key).fetch_optional(store.pool()).await?;
    row.map(|row| from_row(&row)).transpose()
}

fn from_row(row: &AnyRow) -> Result<User, UserError> {
    let hash: Option<String> = row.try_get("password_encrypted")?;
    let method: Option<String> = row.try_get("password_encryption_method")?;
    let profile: String = row.try_get("profile")?;
    let custom_data: String = row.try_get("custom_data")?;
    Ok(User {
        id: row.try_get("id")?,
        username: row.try_get("username")?,
        primary_email: row.try_get("primary_email")?,
        primary_phone: row.try_get("primary_phone")?,
        password: hash.zip(method).map(|(hash, method)| PasswordHash { hash, method }),
        name: row.try_get("name")?,
        avatar: row.try_get("avatar")?,
        // Rows are only written by this module, so unreadable JSON means a corrupted row;
        // an empty profile is the least surprising reading of it.
        profile: serde_json::from_str::<Profile>(&profile).unwrap_or_default(),
        custom_data: serde_json::from_str::<Map<String, Value>>(&custom_data).unwrap_or_default(),
        is_suspended: get_flag(row, "is_suspended")?,
        last_sign_in_at: row.try_get("last_sign_in_at")?,
        password_updated_at: row.try_get("password_updated_at")?,
        created_at: row.try_get("created_at")?,
        updated_at: row.try_get("updated_at")?,
    })
}

fn to_json(value: &impl serde::Serialize) -> String {
    serde_json::to_string(value).expect("profile and custom data always serialize")
}

/// Turns a unique-index collision into the identifier conflict a user would be told about.
fn identifier_conflict(err: sqlx::Error) -> UserError {
    match unique_violation(&err) {
        Some(index) if index.contains("username") => UserError::UsernameAlreadyInUse,
        Some(index) if index.contains("email") => UserError::EmailAlreadyInUse,
        Some(index) if index.contains("phone") => UserError::PhoneAlreadyInUse,
        _ => UserError::Storage(err),
    }
}
