//! Starts the real router on `127.0.0.1:0` over a fresh database.

#![allow(dead_code)]

use identity::testing::TestDatabase;
use server::config::Config;
use server::Server;

pub struct TestServer {
    pub base: String,
    pub http: reqwest::Client,
    _shutdown: tokio::sync::oneshot::Sender<()>,
    _db: TestDatabase,
    _data: tempfile::TempDir,
}

impl TestServer {
    pub async fn on_sqlite() -> Self {
        Self::start(TestDatabase::sqlite().await).await
    }

    pub async fn on_postgres() -> Option<Self> {
        Some(Self::start(TestDatabase::postgres().await?).await)
    }

    async fn start(db: TestDatabase) -> Self {
        let data = tempfile::tempdir().unwrap();
        let config = Config {
            listen: "127.0.0.1:0".parse().unwrap(),
            database_url: Some(db.url.clone()),
            data_dir: data.path().to_owned(),
            site_root: Some(data.path().join("site")),
            ..Config::default()
        };
        let server = Server::bind(config).await.expect("server starts");
        let base = format!("http://{}", server.local_addr);
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        tokio::spawn(server.serve(async {
            let _ = rx.await;
        }));
        let http = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap();
        Self { base, http, _shutdown: tx, _db: db, _data: data }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.base, path)
    }
}
