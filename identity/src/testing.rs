//! Fresh databases for tests: a temporary SQLite file, or a PostgreSQL database created for
//! the test and dropped after it. PostgreSQL tests are skipped — loudly — when no server
//! answers on a developer's machine, and fail under `CI=true`, where they must run.

use sqlx::Connection;

use crate::store::Store;

/// Where the PostgreSQL used by tests lives; the database named here is only used to create
/// and drop the per-test databases.
pub fn postgres_admin_url() -> String {
    std::env::var("VESTIBULE_TEST_POSTGRES_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".to_owned())
}

pub struct TestDatabase {
    pub store: Store,
    pub url: String,
    cleanup: Cleanup,
}

enum Cleanup {
    Sqlite(#[allow(dead_code)] tempfile::TempDir),
    Postgres { admin_url: String, name: String },
}

impl TestDatabase {
    /// A migrated SQLite database in a temporary directory.
    pub async fn sqlite() -> Self {
        let db = Self::sqlite_unmigrated().await;
        db.store.migrate().await.expect("migrate sqlite");
        db
    }

    pub async fn sqlite_unmigrated() -> Self {
        let dir = tempfile::tempdir().expect("temp dir");
        let url = format!("sqlite:{}", dir.path().join("vestibule.db").display());
        let store = Store::connect(&url).await.expect("open sqlite");
        Self { store, url, cleanup: Cleanup::Sqlite(dir) }
    }

    /// A migrated, brand-new PostgreSQL database, or `None` (after a warning) when PostgreSQL
    /// is unreachable outside CI.
    pub async fn postgres() -> Option<Self> {
        let db = Self::postgres_unmigrated().await?;
        db.store.migrate().await.expect("migrate postgres");
        Some(db)
    }

    pub async fn postgres_unmigrated() -> Option<Self> {
        let (admin_url, url) = create_postgres_database().await?;
        let name = url.rsplit('/').next().unwrap_or_default().to_owned();
        let store = Store::connect(&url).await.expect("connect to the fresh test database");
        Some(Self { store, url, cleanup: Cleanup::Postgres { admin_url, name } })
    }
}

/// Creates an empty PostgreSQL database and returns (admin URL, its URL), for tests that
/// need a URL rather than a store (a server under test, the CLI).
pub async fn create_postgres_database() -> Option<(String, String)> {
    sqlx::any::install_default_drivers();
    let admin_url = postgres_admin_url();
    let mut admin = match sqlx::AnyConnection::connect(&admin_url).await {
        Ok(conn) => conn,
        Err(err) => {
            if std::env::var("CI").is_ok_and(|v| v == "true") {
                panic!("PostgreSQL is required under CI=true but {admin_url} refused: {err}");
            }
            eprintln!(
                "\n!!!!!!!! SKIPPING PostgreSQL test: cannot connect to {admin_url} ({err}).\n\
                 !!!!!!!! Start PostgreSQL or set VESTIBULE_TEST_POSTGRES_URL; CI runs these.\n"
            );
            return None;
        }
    };
    let name = format!("vestibule_test_{}", crate::ids::user_id());
    sqlx::Executor::execute(&mut admin, format!("CREATE DATABASE {name}").as_str())
        .await
        .expect("create test database");
    let base = admin_url.rsplit_once('/').map(|(b, _)| b).unwrap_or(&admin_url);
    Some((admin_url.clone(), format!("{base}/{name}")))
}

/// Drops a database made by [`create_postgres_database`], closing whatever still uses it.
pub fn drop_postgres_database(admin_url: &str, name: &str) {
    let (admin_url, name) = (admin_url.to_owned(), name.to_owned());
    // Drop runs outside any async context we could await in: use a private runtime.
    let _ = std::thread::spawn(move || {
        let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build();
        if let Ok(runtime) = runtime {
            runtime.block_on(async {
                // Bounded: a drop that cannot finish leaves a database behind (named in the
                // warning) rather than hanging the test that owned it.
                let dropped = tokio::time::timeout(std::time::Duration::from_secs(30), async {
                    let mut admin = sqlx::AnyConnection::connect(&admin_url).await?;
                    let sql = format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)");
                    sqlx::Executor::execute(&mut admin, sql.as_str()).await.map(|_| ())
                })
                .await;
                match dropped {
                    Ok(Ok(())) => {}
                    Ok(Err(err)) => eprintln!("warning: could not drop test database {name}: {err}"),
                    Err(_) => eprintln!("warning: dropping test database {name} took over 30 s; left behind"),
                }
            });
        }
    })
    .join();
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        if let Cleanup::Postgres { admin_url, name } = &self.cleanup {
            drop_postgres_database(admin_url, name);
        }
    }
}

/// Declares each scenario twice, as `<name>::sqlite` and `<name>::postgres`, each on a fresh
/// migrated database:
///
/// ```ignore
/// identity::on_both_backends! {
///     async fn creates_a_user(store) { /* uses `store: Store` */ }
/// }
/// ```
#[macro_export]
macro_rules! on_both_backends {
    ($(async fn $name:ident($store:ident) $body:block)*) => {
        $(
            mod $name {
                #[allow(unused_imports)]
                use super::*;

                #[tokio::test]
                async fn sqlite() {
                    let db = $crate::testing::TestDatabase::sqlite().await;
                    let $store: $crate::Store = db.store.clone();
                    $body
                }

                #[tokio::test]
                async fn postgres() {
                    let Some(db) = $crate::testing::TestDatabase::postgres().await else { return };
                    let $store: $crate::Store = db.store.clone();
                    $body
                }
            }
        )*
    };
}
