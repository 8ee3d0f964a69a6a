//! The audit log: what happened, to whom, through which application, when, and whether it
//! worked. Management API writes and sign-in events are recorded; `GET /api/logs` lists them.
//! Recording never fails the action it records (a storage error is logged instead).

use serde::Serialize;
use serde_json::Value;
use sqlx::Row;

use crate::clock::Clock;
use crate::store::Store;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum Outcome {
    Success,
    Error,
}

/// One entry to record.
#[derive(Debug, Clone)]
pub struct Entry<'a> {
    /// e.g. `Interaction.SignIn.Submit`, `ManagementApi.PATCH`.
    pub key: &'a str,
    pub outcome: Outcome,
    pub user_id: Option<&'a str>,
    pub application_id: Option<&'a str>,
    pub payload: Value,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Log {
    pub id: String,
    pub key: String,
    pub payload: Value,
    pub created_at: i64,
}

pub async fn record(store: &Store, clock: &dyn Clock, entry: Entry<'_>) {
    let mut payload = entry.payload;
    if let Value::Object(map) = &mut payload {
        map.insert("result".into(), serde_json::to_value(entry.outcome).expect("outcome serializes"));
        map.insert("userId".into(), entry.user_id.into());
        map.insert("applicationId".into(), entry.application_id.into());
    }
    let result = sqlx::query("INSERT INTO logs (id, key, result, user_id, application_id, payload, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7)")
        .bind(crate::ids::entity_id())
        .bind(entry.key)
        .bind(format!("{:?}", entry.outcome))
        .bind(entry.user_id)
        .bind(entry.application_id)
        .bind(payload.to_string())
        .bind(clock.now_ms())
        .execute(store.pool())
        .await;
    if let Err(err) = result {
        tracing::warn!(error = %err, key = entry.key, "could not write an audit log entry");
    }
}

/// Filters of `GET /api/logs`; all optional.
#[derive(Debug, Clone, Default)]
pub struct LogQuery {
    pub key: Option<String>,
    pub user_id: Option<String>,
    pub application_id: Option<String>,
    pub page: i64,
    pub page_size: i64,
}

/// Newest first, with the number of matching entries.
pub async fn list(store: &Store, query: &LogQuery) -> Result<(Vec<Log>, i64), sqlx::Error> {
    const FILTER: &str = "($1 = '' OR key = $1) AND ($2 = '' OR user_id = $2) AND ($3 = '' OR application_id = $3)";
    let (key, user, app) = (query.key.clone().unwrap_or_default(), query.user_id.clone().unwrap_or_default(), query.application_id.clone().unwrap_or_default());
    let total: i64 = sqlx::query_scalar(&format!("SELECT COUNT(*) FROM logs WHERE {FILTER}")).bind(&key).bind(&user).bind(&app).fetch_one(store.pool()).await?;
    let rows = sqlx::query(&format!("SELECT id, key, payload, created_at FROM logs WHERE {FILTER} ORDER BY created_at DESC, id LIMIT $4 OFFSET $5"))
        .bind(&key)
        .bind(&user)
        .bind(&app)
        .bind(query.page_size)
        .bind((query.page - 1) * query.page_size)
        .fetch_all(store.pool())
        .await?;
    let logs = rows
        .iter()
        .map(|row| {
            let payload: String = row.try_get("payload")?;
            Ok(Log { id: row.try_get("id")?, key: row.try_get("key")?, payload: serde_json::from_str(&payload).unwrap_or(Value::Null), created_at: row.try_get("created_at")? })
        })
        .collect::<Result<Vec<_>, sqlx::Error>>()?;
    Ok((logs, total))
}
