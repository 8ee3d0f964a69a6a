//! The audit log: what happened, to whom, through which application, when, and whether it
//! worked. Management API writes and sign-in events are recorded; `GET /api/logs` lists them.
//! Recording never fails the action it records (a storage error is logged instead).

use serde::Serialize;
use serde_json::Value;
use sqlx::{AnyPool, Row};
use tokio::sync::{mpsc, oneshot};

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

/// Records an entry. It is queued for this store's writer, which inserts queued entries in
/// batches: the token endpoint answers thousands of grants a second, and one insert each
/// would queue every grant behind SQLite's single writer. Waits only when the queue is full.
pub async fn record(store: &Store, clock: &dyn Clock, entry: Entry<'_>) {
    let mut payload = entry.payload;
    let result = match entry.outcome {
        Outcome::Success => "Success",
        Outcome::Error => "Error",
    };
    if let Value::Object(map) = &mut payload {
        map.insert("key".into(), entry.key.into());
        map.insert("result".into(), result.into());
        map.insert("userId".into(), entry.user_id.into());
        map.insert("applicationId".into(), entry.application_id.into());
    }
    let row = QueuedEntry {
        id: crate::ids::entity_id(),
        key: entry.key.to_owned(),
        result,
        user_id: entry.user_id.map(str::to_owned),
        application_id: entry.application_id.map(str::to_owned),
        payload: payload.to_string(),
        created_at: clock.now_ms(),
    };
    store.audit_writer().send(row).await;
}

struct QueuedEntry {
    id: String,
    key: String,
    result: &'static str,
    user_id: Option<String>,
    application_id: Option<String>,
    payload: String,
    created_at: i64,
}

enum Message {
    Entry(QueuedEntry),
    /// Answered once every entry queued before it is written.
    Flush(oneshot::Sender<()>),
}

/// The queue in front of one store's log writer task. The task ends when the last store
/// handle is dropped, after writing what is queued.
#[derive(Clone, Debug)]
pub(crate) struct Writer {
    queue: mpsc::Sender<Message>,
}

/// Entries written per statement (7 parameters each, well under both backends' limits).
const BATCH: usize = 256;

impl Writer {
    pub(crate) fn start(pool: AnyPool) -> Self {
        let (queue, receiver) = mpsc::channel(8 * BATCH);
        tokio::spawn(write_batches(pool, receiver));
        Self { queue }
    }

    async fn send(&self, entry: QueuedEntry) {
        if self.queue.send(Message::Entry(entry)).await.is_err() {
            tracing::warn!("the audit log writer has stopped; an entry was not recorded");
        }
    }

    /// Waits until everything recorded so far is in the database: before reading the log
    /// (so a caller sees its own entries) and before the process exits.
    pub(crate) async fn flush(&self) {
        let (done, written) = oneshot::channel();
        if self.queue.send(Message::Flush(done)).await.is_ok() {
            let _ = written.await;
        }
    }
}

async fn write_batches(pool: AnyPool, mut receiver: mpsc::Receiver<Message>) {
    let mut batch = Vec::with_capacity(BATCH);
    let mut waiting = Vec::new();
    while let Some(first) = receiver.recv().await {
        let mut next = Some(first);
        while let Some(message) = next.take() {
            match message {
                Message::Entry(entry) => batch.push(entry),
                Message::Flush(done) => waiting.push(done),
            }
            if batch.len() < BATCH {
                next = receiver.try_recv().ok();
            }
        }
        if !batch.is_empty() {
            if let Err(err) = insert_batch(&pool, &batch).await {
                tracing::warn!(error = %err, entries = batch.len(), "could not write audit log entries");
            }
            batch.clear();
        }
        for done in waiting.drain(..) {
            let _ = done.send(());
        }
    }
}

async fn insert_batch(pool: &AnyPool, batch: &[QueuedEntry]) -> Result<(), sqlx::Error> {
    let rows: Vec<String> = (0..batch.len())
        .map(|i| {
            let n = i * 7;
            format!("(${}, ${}, ${}, ${}, ${}, ${}, ${})", n + 1, n + 2, n + 3, n + 4, n + 5, n + 6, n + 7)
        })
        .collect();
    let sql = format!("INSERT INTO logs (id, key, result, user_id, application_id, payload, created_at) VALUES {}", rows.join(", "));
    let mut query = sqlx::query(&sql);
    for entry in batch {
        query = query
            .bind(&entry.id)
            .bind(&entry.key)
            .bind(entry.result)
            .bind(&entry.user_id)
            .bind(&entry.application_id)
            .bind(&entry.payload)
            .bind(entry.created_at);
    }
    query.execute(pool).await?;
    Ok(())
}

/// Filters of `GET /api/logs`; all optional.
#[derive(Debug, Clone, Default)]
pub struct LogQuery {
    pub key: Option<String>,
    pub user_id: Option<String>,
    pub application_id: Option<String>,
    /// Inclusive bounds on `createdAt`, in epoch milliseconds.
    pub start_time: Option<i64>,
    pub end_time: Option<i64>,
    pub page: i64,
    pub page_size: i64,
}

/// Newest first, with the number of matching entries.
pub async fn list(store: &Store, query: &LogQuery) -> Result<(Vec<Log>, i64), sqlx::Error> {
    store.audit_writer().flush().await;
    const FILTER: &str = "($1 = '' OR key = $1) AND ($2 = '' OR user_id = $2) AND ($3 = '' OR application_id = $3) \
                          AND created_at >= $4 AND created_at <= $5";
    let (key, user, app) = (query.key.clone().unwrap_or_default(), query.user_id.clone().unwrap_or_default(), query.application_id.clone().unwrap_or_default());
    let (start, end) = (query.start_time.unwrap_or(i64::MIN), query.end_time.unwrap_or(i64::MAX));
    let total: i64 = sqlx::query_scalar(&format!("SELECT COUNT(*) FROM logs WHERE {FILTER}"))
        .bind(&key)
        .bind(&user)
        .bind(&app)
        .bind(start)
        .bind(end)
        .fetch_one(store.pool())
        .await?;
    let rows = sqlx::query(&format!("SELECT id, key, payload, created_at FROM logs WHERE {FILTER} ORDER BY created_at DESC, id LIMIT $6 OFFSET $7"))
        .bind(&key)
        .bind(&user)
        .bind(&app)
        .bind(start)
        .bind(end)
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
