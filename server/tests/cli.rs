//! The `vestibule` binary as an operator runs it.

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use identity::testing::{create_postgres_database, drop_postgres_database};

fn vestibule(data: &std::path::Path, database_url: &str) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_vestibule"));
    cmd.current_dir(data)
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("DATABASE_URL", database_url)
        .env("VESTIBULE_DATA_DIR", data);
    cmd
}

fn check_then_migrate(data: &std::path::Path, url: &str) {
    let check = vestibule(data, url).args(["migrate", "--check"]).output().unwrap();
    assert_eq!(check.status.code(), Some(1), "pending migrations exit 1");
    let listed = String::from_utf8_lossy(&check.stdout);
    assert!(listed.contains("pending 0001 users"), "{listed}");

    let again = vestibule(data, url).args(["migrate", "--check"]).output().unwrap();
    assert_eq!(again.status.code(), Some(1), "--check applied nothing");

    let migrate = vestibule(data, url).arg("migrate").output().unwrap();
    assert!(migrate.status.success(), "{}", String::from_utf8_lossy(&migrate.stderr));
    assert!(String::from_utf8_lossy(&migrate.stdout).contains("applied 0001 users"));

    let clean = vestibule(data, url).args(["migrate", "--check"]).output().unwrap();
    assert_eq!(clean.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&clean.stdout).contains("up to date"));
}

#[test]
fn migrate_check_reports_pending_then_clean_on_sqlite() {
    let data = tempfile::tempdir().unwrap();
    let url = format!("sqlite:{}", data.path().join("v.db").display());
    check_then_migrate(data.path(), &url);
}

#[tokio::test]
async fn migrate_check_reports_pending_then_clean_on_postgres() {
    let Some((admin, url)) = create_postgres_database().await else { return };
    let data = tempfile::tempdir().unwrap();
    let (dir, url2) = (data.path().to_owned(), url.clone());
    tokio::task::spawn_blocking(move || check_then_migrate(&dir, &url2)).await.unwrap();
    drop_postgres_database(&admin, url.rsplit('/').next().unwrap());
}

#[test]
fn a_bad_config_file_is_refused_with_a_clear_message() {
    let data = tempfile::tempdir().unwrap();
    std::fs::write(data.path().join("vestibule.toml"), "listen = \"not an address\"").unwrap();
    let out = vestibule(data.path(), "sqlite:v.db").arg("migrate").output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("invalid configuration"));
}

#[test]
fn serve_creates_its_sqlite_database_and_stops_cleanly_on_sigterm() {
    let data = tempfile::tempdir().unwrap();
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let mut child = vestibule(data.path(), "sqlite:data/vestibule.db")
        .env_remove("DATABASE_URL")
        .env("VESTIBULE_DATA_DIR", data.path().join("data"))
        .env("VESTIBULE_LISTEN", format!("127.0.0.1:{port}"))
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();

    let deadline = Instant::now() + Duration::from_secs(30);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(Instant::now() < deadline, "server never listened");
        std::thread::sleep(Duration::from_millis(20));
    }
    assert!(data.path().join("data/vestibule.db").is_file(), "the default SQLite file exists");
    assert!(data.path().join("data/secret.key").is_file(), "a secret was generated");

    Command::new("kill").args(["-TERM", &child.id().to_string()]).status().unwrap();
    let status = child.wait().unwrap();
    assert!(status.success(), "SIGTERM is a clean exit, got {status}");
}

/// Starts `serve` on a free port; returns the child, its port and its stderr lines so far
/// (collected by a thread).
fn start_serving(data: &std::path::Path) -> (std::process::Child, u16, Lines) {
    let (child, port, lines) = spawn_serving(data, None, &[]);
    wait_ready(&lines);
    (child, port, lines)
}

type Lines = std::sync::Arc<std::sync::Mutex<Vec<String>>>;

/// Starts `serve` on `database_url` (else the default SQLite file in the data directory),
/// with `env` besides, without waiting for it.
fn spawn_serving(data: &std::path::Path, database_url: Option<&str>, env: &[(&str, &str)]) -> (std::process::Child, u16, Lines) {
    use std::io::BufRead;
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let mut command = vestibule(data, database_url.unwrap_or_default());
    if database_url.is_none() {
        command.env_remove("DATABASE_URL");
    }
    let mut child = command
        .env("VESTIBULE_DATA_DIR", data.join("data"))
        .env("VESTIBULE_LISTEN", format!("127.0.0.1:{port}"))
        .env("VESTIBULE_ENDPOINT", format!("http://127.0.0.1:{port}"))
        .env("VESTIBULE_PASSWORD_HASHING", "test-only-cheap")
        .envs(env.iter().copied())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let lines: Lines = Default::default();
    let (sink, stderr) = (lines.clone(), child.stderr.take().unwrap());
    std::thread::spawn(move || {
        for line in std::io::BufReader::new(stderr).lines().map_while(Result::ok) {
            sink.lock().unwrap().push(line);
        }
    });
    (child, port, lines)
}

/// Waits for "ready", which is logged after the first-run announcement, so what start-up
/// prints is all there.
fn wait_ready(lines: &Lines) {
    let deadline = Instant::now() + Duration::from_secs(60);
    while !lines.lock().unwrap().iter().any(|l| l.contains("Vestibule is ready")) {
        assert!(Instant::now() < deadline, "server never got ready: {:?}", lines.lock().unwrap());
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// The `id:` and `secret:` a first start printed, if it printed them.
fn printed_credentials(lines: &Lines) -> Option<(String, String)> {
    let printed = lines.lock().unwrap().clone();
    let value = |label: &str| printed.iter().find_map(|l| l.trim().strip_prefix(label).map(|v| v.trim().to_owned()));
    Some((value("id:")?, value("secret:")?))
}

fn stop(mut child: std::process::Child) {
    Command::new("kill").args(["-TERM", &child.id().to_string()]).status().unwrap();
    child.wait().unwrap();
}

async fn management_users_status(port: u16, id: &str, secret: &str) -> u16 {
    let http = reqwest::Client::new();
    let token: serde_json::Value = http
        .post(format!("http://127.0.0.1:{port}/oidc/token"))
        .basic_auth(id, Some(secret))
        .form(&[("grant_type", "client_credentials"), ("resource", "https://default.logto.app/api"), ("scope", "all")])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let token = token["access_token"].as_str().unwrap_or_else(|| panic!("no token: {token}"));
    http.get(format!("http://127.0.0.1:{port}/api/users")).bearer_auth(token).send().await.unwrap().status().as_u16()
}

#[tokio::test]
async fn the_first_start_prints_working_management_credentials_once() {
    let data = tempfile::tempdir().unwrap();
    let (child, port, lines) = start_serving(data.path());
    let (id, secret) = printed_credentials(&lines).unwrap_or_else(|| panic!("no credentials in {:?}", lines.lock().unwrap()));
    assert_eq!(management_users_status(port, &id, &secret).await, 200);
    stop(child);

    let (child, _, lines) = start_serving(data.path());
    assert!(!lines.lock().unwrap().iter().any(|l| l.contains("secret:")), "printed only once");
    stop(child);
}

#[tokio::test]
async fn bootstrap_provisions_management_credentials_idempotently() {
    let data = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(data.path().join("data")).unwrap();
    let secret = "a-provisioned-secret-of-some-length";
    for _ in 0..2 {
        let out = vestibule(data.path(), "sqlite:data/vestibule.db")
            .env("VESTIBULE_DATA_DIR", data.path().join("data"))
            .args(["--create-database", "bootstrap", "--m2m-id", "ops", "--m2m-secret", secret])
            .output()
            .unwrap();
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        let printed: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        assert_eq!(printed["id"], "ops");
    }
    let (child, port, lines) = start_serving(data.path());
    assert!(!lines.lock().unwrap().iter().any(|l| l.contains("secret:")), "a client exists: nothing new is created");
    assert_eq!(management_users_status(port, "ops", secret).await, 200);
    stop(child);
}

/// An operator who runs a command from another directory, or without the server's settings,
/// is told where the command looked instead of getting a second, empty database.
#[test]
fn commands_refuse_a_database_that_does_not_exist_yet() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let run = |extra: &[&str]| {
        Command::new(env!("CARGO_BIN_EXE_vestibule"))
            .current_dir(dir.path())
            .env_clear()
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .env("VESTIBULE_DATA_DIR", &data)
            .env("VESTIBULE_PASSWORD_HASHING", "test-only-cheap")
            .args(extra)
            .args(["user", "create", "--username", "ada", "--password", "a long password"])
            .output()
            .unwrap()
    };
    let refused = run(&[]);
    let stderr = String::from_utf8_lossy(&refused.stderr);
    assert!(!refused.status.success());
    assert!(stderr.contains("there is no Vestibule database at") && stderr.contains(&data.join("vestibule.db").display().to_string()), "{stderr}");
    assert!(stderr.contains("--create-database"), "says how to create one: {stderr}");
    assert!(!data.exists(), "nothing was created: no database, no secret");

    let created = run(&["--create-database"]);
    assert!(created.status.success(), "{}", String::from_utf8_lossy(&created.stderr));
    assert!(data.join("vestibule.db").exists());
    // Now that it exists, the plain command uses it.
    let again = run(&[]);
    assert!(String::from_utf8_lossy(&again.stderr).contains("user.username_already_in_use"), "{}", String::from_utf8_lossy(&again.stderr));
}

#[test]
fn the_console_setting_is_shown_and_set() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite:{}", dir.path().join("vestibule.db").display());
    let run = |args: &[&str]| {
        let out = vestibule(dir.path(), &url).arg("--create-database").args(args).output().unwrap();
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        serde_json::from_slice::<serde_json::Value>(&out.stdout).unwrap()
    };
    assert_eq!(run(&["console", "show"]), serde_json::json!({"allowOrganizationCreation": false}));
    assert_eq!(run(&["console", "set", "--allow-organization-creation", "true"]), serde_json::json!({"allowOrganizationCreation": true}));
    assert_eq!(run(&["console", "show"]), serde_json::json!({"allowOrganizationCreation": true}));
    assert_eq!(run(&["console", "set", "--allow-organization-creation", "false"])["allowOrganizationCreation"], false);
}

/// Several nodes started at the same moment on an empty PostgreSQL database: one migrates
/// while the others wait, one creates the Management API client and prints it, and every
/// node serves with it.
#[tokio::test]
async fn nodes_started_together_on_an_empty_database_all_serve_with_one_management_client() {
    let Some((admin, url)) = create_postgres_database().await else { return };
    let data = tempfile::tempdir().unwrap();
    let shared = [("VESTIBULE_SECRET", "one secret for every node of this cluster")];
    let nodes: Vec<_> = (0..3).map(|_| spawn_serving(data.path(), Some(&url), &shared)).collect();
    for (_, _, lines) in &nodes {
        wait_ready(lines);
    }
    let printed: Vec<_> = nodes.iter().filter_map(|(_, _, lines)| printed_credentials(lines)).collect();
    assert_eq!(printed.len(), 1, "exactly one node created and printed a client");
    let (id, secret) = &printed[0];
    for (_, port, _) in &nodes {
        assert_eq!(management_users_status(*port, id, secret).await, 200);
    }
    for (child, _, _) in nodes {
        stop(child);
    }
    drop_postgres_database(&admin, url.rsplit('/').next().unwrap());
}
