//! Configuration: defaults, then a TOML file (`--config`, or `vestibule.toml` when present),
//! then environment variables (`VESTIBULE_*`, and `DATABASE_URL`). Loaded once at start.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use figment::providers::{Env, Format, Serialized, Toml};
use figment::Figment;
use identity::secret::Secret;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    /// Address the HTTP server binds (`VESTIBULE_LISTEN`).
    pub listen: SocketAddr,
    /// Public base URL; the OIDC issuer is `<endpoint>/oidc` (`VESTIBULE_ENDPOINT`).
    pub endpoint: String,
    /// `sqlite:…` or `postgres://…` (`DATABASE_URL` or `VESTIBULE_DATABASE_URL`);
    /// defaults to `<data_dir>/vestibule.db`.
    pub database_url: Option<String>,
    /// Where the SQLite database and a generated secret live (`VESTIBULE_DATA_DIR`).
    pub data_dir: PathBuf,
    /// Encrypts signing keys at rest (`VESTIBULE_SECRET`). Generated into
    /// `<data_dir>/secret.key` on first start when absent; every node of a cluster needs the
    /// same value.
    pub secret: Option<String>,
    /// The built site (`pkg/` bundle and public assets) (`VESTIBULE_SITE_ROOT`); defaults to
    /// `site/` beside the binary's directory, as `cargo leptos build` lays it out.
    pub site_root: Option<PathBuf>,
    /// `text` (default) or `json` log lines (`VESTIBULE_LOG_FORMAT`).
    pub log_format: LogFormat,
    /// `owasp` (default: Argon2id 19 MiB, t=2) or `test-only-cheap`, which only test suites
    /// may use (`VESTIBULE_PASSWORD_HASHING`).
    pub password_hashing: PasswordHashing,
    /// A Have I Been Pwned-style range API (`https://api.pwnedpasswords.com`) consulted after
    /// the embedded breached-password list (`VESTIBULE_BREACHED_PASSWORD_API`); off by default.
    pub breached_password_api: Option<String>,
    /// How long each node keeps applications, resources and the sign-in experience in memory
    /// before reading them again (`VESTIBULE_CACHE_TTL_SECONDS`, default 10); a change made on
    /// another node or through the CLI is seen within this time.
    pub cache_ttl_seconds: u64,
    /// The Management API's resource indicator (`VESTIBULE_MANAGEMENT_API_INDICATOR`); tokens
    /// for it with the `all` scope manage Vestibule. Logto's default tenant uses this value.
    pub management_api_indicator: String,
    /// A request head must arrive, and a request body be read, within this many seconds
    /// (`VESTIBULE_READ_TIMEOUT_SECONDS`, default 10); slower clients are disconnected.
    pub read_timeout_seconds: u64,
    /// A request answered in no more than this many seconds, or 503
    /// (`VESTIBULE_REQUEST_TIMEOUT_SECONDS`, default 30).
    pub request_timeout_seconds: u64,
    /// Connections served at once per node (`VESTIBULE_MAX_CONNECTIONS`, default 1024).
    pub max_connections: usize,
    /// Reverse proxies in front of the node that append the client's address to
    /// `X-Forwarded-For` (`VESTIBULE_TRUSTED_PROXIES`, default 0: the peer is the client).
    pub trusted_proxies: usize,
    /// Requests per second per client IP at `/oidc/token`, and the burst above it
    /// (`VESTIBULE_RATE_LIMIT_TOKEN_PER_SECOND`, `…_BURST`; 0 turns the limit off).
    pub rate_limit_token_per_second: u32,
    pub rate_limit_token_burst: u32,
    /// The same for the interactive sign-in surface: `/oidc/auth`, the Experience API,
    /// `/api/verifications` and the hosted pages' form posts
    /// (`VESTIBULE_RATE_LIMIT_INTERACTIVE_PER_SECOND`, `…_BURST`).
    pub rate_limit_interactive_per_second: u32,
    pub rate_limit_interactive_burst: u32,
    /// Without an email or SMS connector, codes are written to the log (the dev outbox, for
    /// trying Vestibule) instead of being refused with 501 `connector.not_found` as Logto does
    /// (`VESTIBULE_DEV_OUTBOX`, default true; set false in production).
    pub dev_outbox: bool,
    /// The demo application (`/demo-app`, client `demo-app`): lets a newcomer try a whole
    /// sign-in before registering an application (`VESTIBULE_DEMO_APP`, default true).
    pub demo_app: bool,
    /// `VESTIBULE_*` environment variables that name no setting (reported at start, not
    /// fatal: orchestrators add their own, such as Kubernetes' `VESTIBULE_SERVICE_HOST` for a
    /// Service named `vestibule`).
    #[serde(skip)]
    pub ignored_environment: Vec<String>,
    /// Operator commands may create a database that does not exist yet (`--create-database`).
    #[serde(skip)]
    pub create_database: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "kebab-case")]
pub enum PasswordHashing {
    #[default]
    Owasp,
    TestOnlyCheap,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    #[default]
    Text,
    Json,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            listen: SocketAddr::from(([0, 0, 0, 0], 3001)),
            endpoint: "http://localhost:3001".to_owned(),
            database_url: None,
            data_dir: PathBuf::from("data"),
            secret: None,
            site_root: None,
            log_format: LogFormat::Text,
            password_hashing: PasswordHashing::Owasp,
            breached_password_api: None,
            cache_ttl_seconds: 10,
            management_api_indicator: identity::management::DEFAULT_INDICATOR.to_owned(),
            read_timeout_seconds: 10,
            request_timeout_seconds: 30,
            max_connections: 1024,
            trusted_proxies: 0,
            rate_limit_token_per_second: 20,
            rate_limit_token_burst: 100,
            rate_limit_interactive_per_second: 10,
            rate_limit_interactive_burst: 60,
            demo_app: true,
            dev_outbox: true,
            ignored_environment: Vec::new(),
            create_database: false,
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("configuration file {0} does not exist")]
    MissingFile(PathBuf),
    #[error("invalid configuration: {0}")]
    Invalid(#[from] Box<figment::Error>),
    #[error("cannot read or write the secret file {path}: {source}")]
    SecretFile { path: PathBuf, source: std::io::Error },
}

impl Config {
    /// `explicit_file` is `--config`: it must exist. Without it, `vestibule.toml` is read
    /// when present.
    pub fn load(explicit_file: Option<&Path>) -> Result<Self, ConfigError> {
        let mut figment = Figment::from(Serialized::defaults(Config::default()));
        match explicit_file {
            Some(path) if !path.is_file() => return Err(ConfigError::MissingFile(path.to_owned())),
            Some(path) => figment = figment.merge(Toml::file(path)),
            None => figment = figment.merge(Toml::file("vestibule.toml")),
        }
        let settings = setting_names();
        let mut config: Config = figment
            .merge(Env::prefixed("VESTIBULE_").filter(move |key| settings.iter().any(|name| key == name.as_str())))
            .merge(Env::raw().only(&["database_url"]))
            .extract()
            .map_err(|e| ConfigError::Invalid(Box::new(e)))?;
        config.ignored_environment = unknown_environment(std::env::vars_os().filter_map(|(key, _)| key.into_string().ok()));
        Ok(config)
    }

    pub fn database_url(&self) -> String {
        self.database_url
            .clone()
            .unwrap_or_else(|| format!("sqlite:{}", self.data_dir.join("vestibule.db").display()))
    }

    /// The SQLite file the database URL names, if it names a file (not PostgreSQL, not an
    /// in-memory database).
    pub fn sqlite_file(&self) -> Option<PathBuf> {
        let url = self.database_url();
        let rest = url.strip_prefix("sqlite:")?;
        let (path, query) = rest.split_once('?').unwrap_or((rest, ""));
        let path = path.strip_prefix("//").unwrap_or(path);
        if path.is_empty() || path == ":memory:" || query.split('&').any(|pair| pair == "mode=memory") {
            return None;
        }
        Some(PathBuf::from(path))
    }

    pub fn site_root(&self) -> PathBuf {
        if let Some(root) = &self.site_root {
            return root.clone();
        }
        std::env::current_exe()
            .ok()
            .and_then(|exe| Some(exe.parent()?.parent()?.join("site")))
            .filter(|site| site.is_dir())
            .unwrap_or_else(|| PathBuf::from("target/site"))
    }

    /// The configured secret, or the one persisted in `<data_dir>/secret.key`, created
    /// (readable by the owner only) on first start.
    pub fn resolve_secret(&self) -> Result<Secret, ConfigError> {
        if let Some(secret) = &self.secret {
            return Ok(Secret::new(secret.clone()));
        }
        let path = self.data_dir.join("secret.key");
        let io_err = |source| ConfigError::SecretFile { path: path.clone(), source };
        match std::fs::read_to_string(&path) {
            Ok(text) if !text.trim().is_empty() => return Ok(Secret::new(text.trim())),
            Ok(_) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(io_err(e)),
        }
        std::fs::create_dir_all(&self.data_dir).map_err(io_err)?;
        let secret = Secret::generate();
        write_private(&path, secret.expose()).map_err(io_err)?;
        tracing::info!(path = %path.display(), "generated a new encryption secret; set VESTIBULE_SECRET to the same value on every node when running several");
        Ok(secret)
    }
}

/// The settings' names as environment keys take them (lower case, after `VESTIBULE_`).
fn setting_names() -> Vec<String> {
    match serde_json::to_value(Config::default()) {
        Ok(serde_json::Value::Object(fields)) => fields.keys().cloned().collect(),
        _ => Vec::new(),
    }
}

/// `VESTIBULE_*` variables that name no setting. `VESTIBULE_TEST_POSTGRES_URL` belongs to the
/// test suite.
fn unknown_environment(keys: impl Iterator<Item = String>) -> Vec<String> {
    let settings = setting_names();
    let mut unknown: Vec<String> = keys
        .filter(|key| {
            let Some(name) = key.strip_prefix("VESTIBULE_") else { return false };
            let name = name.to_ascii_lowercase();
            name != "test_postgres_url" && !settings.contains(&name)
        })
        .collect();
    unknown.sort();
    unknown
}

#[cfg(unix)]
fn write_private(path: &Path, contents: &str) -> std::io::Result<()> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let mut file = std::fs::OpenOptions::new().write(true).create_new(true).mode(0o600).open(path)?;
    file.write_all(contents.as_bytes())
}

#[cfg(not(unix))]
fn write_private(path: &Path, contents: &str) -> std::io::Result<()> {
    std::fs::write(path, contents)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_then_environment_override_defaults() {
        figment::Jail::expect_with(|jail| {
            jail.create_file("vestibule.toml", "endpoint = \"https://id.example.com\"\nlisten = \"127.0.0.1:4000\"")?;
            jail.set_env("VESTIBULE_LISTEN", "127.0.0.1:5000");
            jail.set_env("DATABASE_URL", "postgres://db/vestibule");
            let config = Config::load(None).map_err(|e| e.to_string())?;
            assert_eq!(config.endpoint, "https://id.example.com");
            assert_eq!(config.listen.port(), 5000, "environment beats the file");
            assert_eq!(config.database_url(), "postgres://db/vestibule");
            Ok(())
        });
    }

    #[test]
    fn defaults_use_sqlite_in_the_data_directory() {
        figment::Jail::expect_with(|_| {
            let config = Config::load(None).map_err(|e| e.to_string())?;
            assert_eq!(config.listen.port(), 3001);
            assert_eq!(config.endpoint, "http://localhost:3001");
            assert_eq!(config.database_url(), "sqlite:data/vestibule.db");
            Ok(())
        });
    }

    #[test]
    fn unknown_keys_and_missing_files_are_errors() {
        figment::Jail::expect_with(|jail| {
            jail.create_file("vestibule.toml", "listn = \"127.0.0.1:1\"")?;
            assert!(Config::load(None).is_err(), "a typo must not be ignored");
            assert!(matches!(Config::load(Some(Path::new("nope.toml"))), Err(ConfigError::MissingFile(_))));
            Ok(())
        });
    }

    #[test]
    fn unknown_environment_variables_are_reported_not_fatal() {
        figment::Jail::expect_with(|jail| {
            // What Kubernetes injects into every pod for a Service named `vestibule`.
            jail.set_env("VESTIBULE_PORT", "tcp://10.0.0.1:3001");
            jail.set_env("VESTIBULE_SERVICE_HOST", "10.0.0.1");
            jail.set_env("VESTIBULE_TRUSTED_PROXIES", "1");
            let config = Config::load(None).map_err(|e| e.to_string())?;
            assert_eq!(config.trusted_proxies, 1, "known settings still apply");
            assert!(config.ignored_environment.contains(&"VESTIBULE_PORT".to_owned()));
            assert!(config.ignored_environment.contains(&"VESTIBULE_SERVICE_HOST".to_owned()));
            assert!(!config.ignored_environment.iter().any(|k| k == "VESTIBULE_TRUSTED_PROXIES"));
            Ok(())
        });
    }

    #[test]
    fn a_generated_secret_is_persisted_and_reused() {
        let dir = tempfile::tempdir().unwrap();
        let config = Config { data_dir: dir.path().join("data"), ..Config::default() };
        let first = config.resolve_secret().unwrap();
        let second = config.resolve_secret().unwrap();
        assert_eq!(first, second);
        assert!(first.expose().len() >= 64);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(dir.path().join("data/secret.key")).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
    }
}
