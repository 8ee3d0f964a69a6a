//! OpenID Connect Back-Channel Logout 1.0: when a session ends — end-session, a device
//! signed out in the account center, an operator ending a session, suspension, account
//! deletion — each application with a `backchannelLogoutUri` that was authorised in it gets
//! a signed `logout_token` by POST.
//!
//! Notifications are queued in `backchannel_logouts` in the transaction that ends the session
//! ([`enqueue`]) and sent by whichever node's [`deliver_due`] claims them first: a node that
//! dies between the two loses nothing, and a receiver that is down gets bounded retries.

use std::time::Duration;

use serde_json::{json, Map};
use sqlx::{AnyConnection, Row};

use super::{tokens, OidcError, Provider};

/// Attempts before a notification is given up (logged).
pub const MAX_ATTEMPTS: i64 = 5;
/// How long a receiver may take to answer.
pub const TIMEOUT: Duration = Duration::from_secs(5);
/// A claimed notification is another node's to retry after this long (its sender died).
const LEASE_MS: i64 = 30_000;
/// How many are sent at once by one node.
const BATCH: i64 = 32;
pub const EVENT: &str = "http://schemas.openid.net/event/backchannel-logout";

/// The wait before attempt `attempts + 1`: 1 s, 2 s, 4 s, 8 s.
fn backoff_ms(attempts: i64) -> i64 {
    1000 << (attempts - 1).clamp(0, 10)
}

/// Which sessions are ending.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Ending<'a> {
    Session(&'a str),
    /// Every session of this account.
    AllOf(&'a str),
}

/// Queues, in the caller's transaction and before its sessions and grants are deleted, one
/// notification per application (with a back-channel URI) authorised in each ending session.
pub(crate) async fn enqueue(conn: &mut AnyConnection, ending: Ending<'_>, now: i64) -> Result<(), sqlx::Error> {
    let (filter, value) = match ending {
        Ending::Session(uid) => ("s.uid = $1", uid),
        Ending::AllOf(account_id) => ("s.account_id = $1", account_id),
    };
    let rows = sqlx::query(&format!(
        "SELECT DISTINCT g.client_id, s.uid, s.account_id, a.backchannel_logout_uri, a.backchannel_logout_session_required \
         FROM oidc_sessions s JOIN oidc_grants g ON g.session_uid = s.uid JOIN applications a ON a.id = g.client_id \
         WHERE {filter} AND a.backchannel_logout_uri IS NOT NULL"
    ))
    .bind(value)
    .fetch_all(&mut *conn)
    .await?;
    for row in rows {
        let sid: String = row.try_get("uid")?;
        let with_sid = crate::store::get_flag(&row, "backchannel_logout_session_required")?;
        sqlx::query(
            "INSERT INTO backchannel_logouts (id, client_id, uri, subject, sid, attempts, next_attempt_at, created_at) VALUES ($1, $2, $3, $4, $5, 0, $6, $6)",
        )
        .bind(crate::ids::entity_id())
        .bind(row.try_get::<String, _>("client_id")?)
        .bind(row.try_get::<String, _>("backchannel_logout_uri")?)
        .bind(row.try_get::<String, _>("account_id")?)
        .bind(with_sid.then_some(sid))
        .bind(now)
        .execute(&mut *conn)
        .await?;
    }
    Ok(())
}

#[derive(Debug, Clone)]
struct Notification {
    id: String,
    client_id: String,
    uri: String,
    subject: String,
    sid: Option<String>,
    /// Including the one being made.
    attempt: i64,
}

/// Sends what is due (claimed first, so two nodes never send the same one at once) and
/// settles each: delivered and deleted, rescheduled, or given up after [`MAX_ATTEMPTS`].
/// Returns how many were attempted.
pub async fn deliver_due(provider: &Provider, http: &reqwest::Client) -> Result<usize, OidcError> {
    let now = provider.now_ms();
    let due = sqlx::query("SELECT id, client_id, uri, subject, sid, attempts, next_attempt_at FROM backchannel_logouts WHERE next_attempt_at <= $1 ORDER BY next_attempt_at LIMIT $2")
        .bind(now)
        .bind(BATCH)
        .fetch_all(provider.store.pool())
        .await?;
    let mut claimed = Vec::new();
    for row in due {
        let id: String = row.try_get("id")?;
        let seen_at: i64 = row.try_get("next_attempt_at")?;
        let won = sqlx::query("UPDATE backchannel_logouts SET next_attempt_at = $3, attempts = attempts + 1 WHERE id = $1 AND next_attempt_at = $2")
            .bind(&id)
            .bind(seen_at)
            .bind(now + LEASE_MS)
            .execute(provider.store.pool())
            .await?
            .rows_affected()
            == 1;
        if won {
            let attempts: i64 = row.try_get("attempts")?;
            claimed.push(Notification { id, client_id: row.try_get("client_id")?, uri: row.try_get("uri")?, subject: row.try_get("subject")?, sid: row.try_get("sid")?, attempt: attempts + 1 });
        }
    }
    let count = claimed.len();
    let mut sending = tokio::task::JoinSet::new();
    for notification in claimed {
        let (provider, http) = (provider.clone(), http.clone());
        sending.spawn(async move {
            let outcome = send(&provider, &http, &notification).await;
            settle(&provider, &notification, outcome).await
        });
    }
    while let Some(settled) = sending.join_next().await {
        if let Ok(Err(err)) = settled {
            tracing::warn!(error = %err, "cannot record a back-channel logout attempt");
        }
    }
    Ok(count)
}

async fn send(provider: &Provider, http: &reqwest::Client, notification: &Notification) -> Result<(), String> {
    let app = provider.application(&notification.client_id).await.map_err(|e| e.to_string())?.ok_or("the application is gone")?;
    let now_s = provider.now_ms() / 1000;
    let mut claims = Map::new();
    claims.insert("iss".into(), json!(provider.issuer()));
    claims.insert("aud".into(), json!(app.id));
    claims.insert("iat".into(), json!(now_s));
    claims.insert("exp".into(), json!(now_s + 120));
    claims.insert("jti".into(), json!(notification.id));
    claims.insert("sub".into(), json!(notification.subject));
    if let Some(sid) = &notification.sid {
        claims.insert("sid".into(), json!(sid));
    }
    claims.insert("events".into(), json!({ EVENT: {} }));
    provider.keys.signing_key(tokens::algorithm(&app.id_token_alg), provider.clock.as_ref()).await.map_err(|e| e.to_string())?;
    let token = tokens::sign(provider, tokens::algorithm(&app.id_token_alg), "logout+jwt", &claims).await.map_err(|e| e.to_string())?;
    let response = http.post(&notification.uri).timeout(TIMEOUT).form(&[("logout_token", token)]).send().await.map_err(|e| e.to_string())?;
    if response.status().is_success() { Ok(()) } else { Err(format!("answered {}", response.status().as_u16())) }
}

async fn settle(provider: &Provider, notification: &Notification, outcome: Result<(), String>) -> Result<(), sqlx::Error> {
    let pool = provider.store.pool();
    match outcome {
        Ok(()) => {
            sqlx::query("DELETE FROM backchannel_logouts WHERE id = $1").bind(&notification.id).execute(pool).await?;
        }
        Err(error) if notification.attempt >= MAX_ATTEMPTS => {
            tracing::warn!(client_id = %notification.client_id, uri = %notification.uri, %error, attempts = notification.attempt, "back-channel logout given up");
            sqlx::query("DELETE FROM backchannel_logouts WHERE id = $1").bind(&notification.id).execute(pool).await?;
        }
        Err(error) => {
            tracing::info!(client_id = %notification.client_id, %error, attempt = notification.attempt, "back-channel logout failed; will retry");
            sqlx::query("UPDATE backchannel_logouts SET next_attempt_at = $2, last_error = $3 WHERE id = $1")
                .bind(&notification.id)
                .bind(provider.now_ms() + backoff_ms(notification.attempt))
                .bind(error.chars().take(500).collect::<String>())
                .execute(pool)
                .await?;
        }
    }
    Ok(())
}

/// The HTTP client notifications go out with: no redirects followed (a logout token goes
/// only where the application registered).
pub fn http_client() -> reqwest::Client {
    reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).timeout(TIMEOUT).build().expect("the HTTP client builds")
}

/// Delivers until `stop`: at once when [`Provider::backchannel_due`] is notified (a session
/// ended on this node), and every second for what other nodes queued or retries.
pub async fn run(provider: Provider, stop: impl std::future::Future<Output = ()>) {
    let http = http_client();
    tokio::pin!(stop);
    loop {
        if let Err(err) = deliver_due(&provider, &http).await {
            tracing::warn!(error = %err, "back-channel logout delivery failed");
        }
        tokio::select! {
            _ = &mut stop => return,
            _ = provider.backchannel_due.notified() => {}
            _ = tokio::time::sleep(Duration::from_secs(1)) => {}
        }
    }
}
