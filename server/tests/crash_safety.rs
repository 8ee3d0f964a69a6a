//! Crash safety: the `vestibule` binary killed with SIGKILL in the middle of concurrent
//! account creations and refresh-token rotations loses no acknowledged write and leaves
//! nothing half-written, and a restarted node serves on from where it stopped.

mod common;

use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use common::TestServer;
use identity::applications::AppType;
use identity::testing::TestDatabase;
use serde_json::{json, Value};
use sqlx::Row;

const WRITERS: usize = 4;
const CHAINS: usize = 4;
/// How long the load runs before the kill.
const LOAD: Duration = Duration::from_millis(1500);

/// A `vestibule serve` process on the test server's database and secret.
struct Node {
    child: Child,
    base: String,
    _data: tempfile::TempDir,
}

impl Node {
    fn start(server: &TestServer) -> Self {
        let data = tempfile::tempdir().unwrap();
        let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let child = Command::new(env!("CARGO_BIN_EXE_vestibule"))
            .current_dir(data.path())
            .env_clear()
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .env("DATABASE_URL", server.state.config.database_url())
            .env("VESTIBULE_SECRET", server.state.config.secret.clone().unwrap())
            .env("VESTIBULE_DATA_DIR", data.path())
            .env("VESTIBULE_LISTEN", format!("127.0.0.1:{port}"))
            .env("VESTIBULE_ENDPOINT", format!("http://127.0.0.1:{port}"))
            .env("VESTIBULE_PASSWORD_HASHING", "test-only-cheap")
            .env("VESTIBULE_RATE_LIMIT_TOKEN_PER_SECOND", "0")
            .env("VESTIBULE_RATE_LIMIT_INTERACTIVE_PER_SECOND", "0")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let deadline = Instant::now() + Duration::from_secs(60);
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(Instant::now() < deadline, "the node never listened");
            std::thread::sleep(Duration::from_millis(20));
        }
        Self { child, base: format!("http://127.0.0.1:{port}"), _data: data }
    }

    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    fn kill(mut self) {
        Command::new("kill").args(["-KILL", &self.child.id().to_string()]).status().unwrap();
        self.child.wait().unwrap();
    }
}

impl Drop for Node {
    fn drop(&mut self) {
        let _ = self.child.kill();
    }
}

async fn refresh(http: &reqwest::Client, node: &Node, refresh_token: &str) -> Option<String> {
    let response = http
        .post(node.url("/oidc/token"))
        .form(&[("grant_type", "refresh_token"), ("client_id", "spa"), ("refresh_token", refresh_token)])
        .send()
        .await
        .ok()?;
    if response.status() != 200 {
        return None;
    }
    let body: Value = response.json().await.ok()?;
    body["refresh_token"].as_str().map(str::to_owned)
}

async fn crash_in_the_middle_of_writes(server: TestServer) {
    // Everyone created gets the default role in the same transaction as their row.
    let management = server.management_client().await;
    let (status, role) = server.call(&management, "POST", "/api/roles", Some(json!({"name": "member", "description": "everyone", "isDefault": true}))).await;
    assert_eq!(status, 200, "{role}");
    server.app(AppType::Spa, "spa").await;
    server.user("alice", "correct horse").await;
    let mut chains = Vec::new();
    for _ in 0..CHAINS {
        let extra = [("scope", "openid offline_access"), ("prompt", "consent")];
        let code = server.authorize(&server.browser(), "spa", "alice", "correct horse", &extra).await;
        chains.push(server.exchange_code("spa", &code).await["refresh_token"].as_str().unwrap().to_owned());
    }
    identity::management::ensure_client(&server.state.store, &server.clock, identity::management::DEFAULT_INDICATOR, Some("crash-ops".into()), OPS_SECRET)
        .await
        .unwrap();

    let node = Node::start(&server);
    let bearer = management_bearer(&node).await;
    let acknowledged_users = Arc::new(Mutex::new(Vec::<String>::new()));
    let acknowledged_tokens = Arc::new(Mutex::new(chains.clone()));
    let http = reqwest::Client::builder().timeout(Duration::from_secs(5)).build().unwrap();
    let deadline = Instant::now() + LOAD;
    let mut load = tokio::task::JoinSet::new();
    for writer in 0..WRITERS {
        let (http, url, bearer, acknowledged) = (http.clone(), node.url("/api/users"), bearer.clone(), acknowledged_users.clone());
        load.spawn(async move {
            for n in 0.. {
                let body = json!({"username": format!("crash_{writer}_{n}"), "primaryEmail": format!("crash.{writer}.{n}@example.com")});
                let Ok(response) = http.post(&url).bearer_auth(&bearer).json(&body).send().await else { return };
                if response.status() != 200 {
                    return;
                }
                let Ok(user) = response.json::<Value>().await else { return };
                acknowledged.lock().unwrap().push(user["id"].as_str().unwrap().to_owned());
            }
        });
    }
    let node = Arc::new(node);
    for chain in 0..CHAINS {
        let (http, node, acknowledged) = (http.clone(), node.clone(), acknowledged_tokens.clone());
        load.spawn(async move {
            loop {
                let current = acknowledged.lock().unwrap()[chain].clone();
                let Some(next) = refresh(&http, &node, &current).await else { return };
                acknowledged.lock().unwrap()[chain] = next;
            }
        });
    }
    tokio::time::sleep_until(deadline.into()).await;
    // Kill while requests are in flight; the load tasks end on their first failure.
    let pid = node.child.id();
    Command::new("kill").args(["-KILL", &pid.to_string()]).status().unwrap();
    while load.join_next().await.is_some() {}
    Arc::try_unwrap(node).ok().expect("the load let go of the node").kill();

    let users = acknowledged_users.lock().unwrap().clone();
    assert!(users.len() > 10, "the load created accounts before the kill: {}", users.len());
    let pool = server.state.store.pool();
    for id in &users {
        let row = sqlx::query("SELECT (SELECT COUNT(*) FROM users WHERE id = $1) AS users, (SELECT COUNT(*) FROM users_roles WHERE user_id = $1) AS roles")
            .bind(id)
            .fetch_one(pool)
            .await
            .unwrap();
        let (found, roles): (i64, i64) = (row.get("users"), row.get("roles"));
        assert_eq!((found, roles), (1, 1), "acknowledged account {id} is there, with its default role");
    }
    let without_role: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM users u WHERE u.username LIKE 'crash_%' AND NOT EXISTS (SELECT 1 FROM users_roles r WHERE r.user_id = u.id)")
        .fetch_one(pool)
        .await
        .unwrap();
    assert_eq!(without_role, 0, "no account was left half-created");
    // A rotation spends one refresh token and issues the next in one transaction: each chain
    // has exactly one live refresh token, whatever the kill interrupted.
    let live_per_grant: Vec<i64> = sqlx::query_scalar(
        "SELECT COUNT(*) FROM oidc_tokens WHERE kind = 'refresh_token' AND consumed_at IS NULL AND client_id = 'spa' GROUP BY grant_id",
    )
    .fetch_all(pool)
    .await
    .unwrap();
    assert_eq!(live_per_grant, vec![1; CHAINS], "one live refresh token per chain");

    // A restarted node serves on: every chain rotates from its live token. A token whose
    // rotation was acknowledged is that live token unless the node rotated it again after
    // its answer was lost in the kill.
    let restarted = Node::start(&server);
    let tokens = acknowledged_tokens.lock().unwrap().clone();
    let mut rotated = 0;
    for token in &tokens {
        let stored: Option<Option<i64>> = sqlx::query_scalar("SELECT consumed_at FROM oidc_tokens WHERE hash = $1")
            .bind(identity::crypto::token_hash(token))
            .fetch_optional(pool)
            .await
            .unwrap();
        let consumed = stored.expect("every acknowledged refresh token was stored");
        if consumed.is_none() {
            assert!(refresh(&http, &restarted, token).await.is_some(), "the restarted node rotates an acknowledged live token");
            rotated += 1;
        }
    }
    assert!(rotated > 0, "at least one chain's last acknowledged token was live");
    let bearer = management_bearer(&restarted).await;
    let status = http.post(restarted.url("/api/users")).bearer_auth(&bearer).json(&json!({"username": "after_restart"})).send().await.unwrap().status();
    assert_eq!(status, 200, "and takes new accounts");
    restarted.kill();
}

const OPS_SECRET: &str = "crash-ops-secret-0123456789";

/// A Management API access token from `node` (its issuer is the node's own address).
async fn management_bearer(node: &Node) -> String {
    common::management_token_at(&node.base, "crash-ops", OPS_SECRET).await.unwrap_or_else(|answer| panic!("no token: {answer}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_node_killed_during_writes_loses_nothing_acknowledged_on_sqlite() {
    crash_in_the_middle_of_writes(TestServer::start(TestDatabase::sqlite().await).await).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_node_killed_during_writes_loses_nothing_acknowledged_on_postgres() {
    let Some(db) = TestDatabase::postgres().await else { return };
    crash_in_the_middle_of_writes(TestServer::start(db).await).await;
}
