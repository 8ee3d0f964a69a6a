#![recursion_limit = "512"]
//! The `vestibule` server: configuration, the HTTP surfaces and their wiring to the engine.

pub mod cli;
pub mod commands;
pub mod config;
pub mod http;
pub mod serving;
pub mod telemetry;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Instant;

use axum::extract::FromRef;
use identity::secret::Secret;
use identity::crypto::AtRest;
use identity::oidc::{KeyRing, Provider};
use identity::{Store, SystemClock};
use leptos::config::LeptosOptions;
use tokio::net::TcpListener;

use crate::config::Config;

/// What every request handler can reach. Cheap to clone.
#[derive(Clone)]
pub struct AppState {
    pub store: Store,
    pub provider: Provider,
    pub config: Arc<Config>,
    pub secret: Arc<Secret>,
    pub leptos: LeptosOptions,
    pub bundle: http::assets::Bundle,
}

impl FromRef<AppState> for http::assets::Bundle {
    fn from_ref(state: &AppState) -> Self {
        state.bundle.clone()
    }
}

impl FromRef<AppState> for LeptosOptions {
    fn from_ref(state: &AppState) -> Self {
        state.leptos.clone()
    }
}

#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error(transparent)]
    Config(#[from] config::ConfigError),
    #[error("database: {0}")]
    Store(#[from] identity::StoreError),
    #[error("signing keys: {0}")]
    Keys(#[from] identity::oidc::keys::KeyError),
    #[error("cannot listen on {addr}: {source}")]
    Bind { addr: SocketAddr, source: std::io::Error },
    #[error("server failed: {0}")]
    Serve(std::io::Error),
    #[error("cannot create the Management API client: {0}")]
    Bootstrap(String),
}

/// A bound, migrated server that has not started serving yet.
pub struct Server {
    listener: TcpListener,
    router: axum::Router,
    pub local_addr: SocketAddr,
    pub state: AppState,
}

impl Server {
    /// Opens (and migrates) the database and binds the listener.
    pub async fn bind(config: Config) -> Result<Self, StartError> {
        Self::bind_with_clock(config, Arc::new(SystemClock)).await
    }

    /// As [`Server::bind`], with time from `clock` (tests move it to expire tokens).
    pub async fn bind_with_clock(config: Config, clock: Arc<dyn identity::Clock>) -> Result<Self, StartError> {
        let secret = config.resolve_secret()?;
        let store = Store::connect_and_migrate(&config.database_url()).await?;
        let provider = Provider { clock, ..build_provider(&config, &store, &secret) };
        provider.keys.ensure_default_key(provider.clock.as_ref()).await?;
        let listener = TcpListener::bind(config.listen)
            .await
            .map_err(|source| StartError::Bind { addr: config.listen, source })?;
        let local_addr = listener.local_addr().map_err(|source| StartError::Bind { addr: config.listen, source })?;
        let bundle = http::assets::Bundle::load(&config.site_root());
        bundle.compress_in_background();
        let leptos = LeptosOptions::builder()
            .output_name("vestibule")
            .site_root(config.site_root().display().to_string())
            .site_pkg_dir(bundle.pkg_dir())
            .site_addr(local_addr)
            .build();
        let state = AppState { store, provider, config: Arc::new(config), secret: Arc::new(secret), leptos, bundle };
        let router = http::router(state.clone());
        Ok(Self { listener, router, local_addr, state })
    }

    /// Rebuilds the router after `state` was adjusted (tests set the endpoint to the bound
    /// address).
    pub fn rebuild_router(mut self) -> Self {
        self.router = http::router(self.state.clone());
        self
    }

    /// Serves until `shutdown` resolves, then finishes in-flight requests.
    pub async fn serve(self, shutdown: impl std::future::Future<Output = ()> + Send + 'static) -> std::io::Result<()> {
        let store = self.state.store.clone();
        let limits = serving::ConnectionLimits {
            header_read_timeout: std::time::Duration::from_secs(self.state.config.read_timeout_seconds.max(1)),
            max_connections: self.state.config.max_connections,
        };
        // Back-channel logout notifications go out while this node serves.
        let (stop_sender, stopped) = tokio::sync::oneshot::channel::<()>();
        let sender = tokio::spawn(identity::oidc::backchannel::run(self.state.provider.clone(), async move {
            let _ = stopped.await;
        }));
        let served = serving::serve(self.listener, self.router, limits, shutdown).await;
        let _ = stop_sender.send(());
        let _ = sender.await;
        served?;
        store.close().await;
        Ok(())
    }
}

/// The OpenID provider over this configuration and database.
pub fn build_provider(config: &Config, store: &Store, secret: &Secret) -> Provider {
    let passwords = match config.password_hashing {
        config::PasswordHashing::Owasp => identity::passwords::PasswordHasher::owasp(),
        config::PasswordHashing::TestOnlyCheap => identity::passwords::PasswordHasher::cheap_for_tests(),
    };
    let at_rest = Arc::new(AtRest::new(secret));
    Provider {
        store: store.clone(),
        clock: Arc::new(SystemClock),
        keys: Arc::new(KeyRing::new(store.clone(), at_rest.clone())),
        at_rest,
        passwords,
        endpoint: config.endpoint.trim_end_matches('/').to_owned(),
        dev_outbox: config.dev_outbox,
        backchannel_due: Arc::new(tokio::sync::Notify::new()),
        caches: Arc::new(identity::oidc::Caches::with_ttl(std::time::Duration::from_secs(config.cache_ttl_seconds))),
        breached: match &config.breached_password_api {
            Some(base) => identity::passwords::breached::BreachedPasswords::with_range_api(base),
            None => identity::passwords::breached::BreachedPasswords::embedded(),
        },
    }
}

/// First run: create the Management API client and print its credentials, once (they are
/// stored hashed and cannot be shown again).
async fn announce_management_client(state: &AppState, endpoint: &str) -> Result<(), StartError> {
    let indicator = &state.config.management_api_indicator;
    let created = identity::management::bootstrap_on_first_run(&state.store, state.provider.clock.as_ref(), indicator)
        .await
        .map_err(|e| StartError::Bootstrap(e.to_string()))?;
    if let Some(client) = created {
        eprintln!(
            "\n  Management API client created (shown only this once; store the secret now):\n    id:     {id}\n    secret: {secret}\n  Get a token:\n    curl -s -u '{id}:{secret}' -d grant_type=client_credentials -d resource={indicator} -d scope=all {endpoint}/oidc/token\n  then call e.g. {endpoint}/api/users with 'Authorization: Bearer <access_token>'.\n",
            id = client.id,
            secret = client.secret,
        );
    }
    Ok(())
}

/// `vestibule serve`: bind, announce readiness, serve until SIGTERM or Ctrl-C.
pub async fn run(config: Config, started: Instant) -> Result<(), StartError> {
    // Listen for SIGTERM from the start: a stop requested while the database is migrated or
    // the first-run client is created still ends cleanly, once serving begins.
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    tokio::spawn(async move {
        telemetry::shutdown_signal().await;
        let _ = stop.send(());
    });
    let server = Server::bind(config).await?;
    let endpoint = server.state.config.endpoint.trim_end_matches('/').to_owned();
    announce_management_client(&server.state, &endpoint).await?;
    if server.state.config.demo_app {
        // Not fatal: a node that loses a race to register it finds it registered.
        if let Err(err) = identity::demo_app::DEMO_APP.ensure_registered(&server.state.provider).await {
            tracing::warn!(error = %err, "cannot register the demo app");
        }
    }
    tracing::info!(
        listen = %server.local_addr,
        backend = ?server.state.store.backend(),
        ready_ms = started.elapsed().as_millis() as u64,
        "Vestibule is ready: try a sign-in at {endpoint}/demo-app"
    );
    server
        .serve(async move {
            let _ = stopped.await;
        })
        .await
        .map_err(StartError::Serve)?;
    tracing::info!("stopped");
    Ok(())
}
