//! The database handle. One code path serves SQLite (the embedded default) and PostgreSQL
//! (production, scale-out): queries are written once in portable SQL with `$n` placeholders,
//! which both backends accept, and run through sqlx's `Any` driver. Only migrations differ per
//! backend (column types), and they share one numbering.

use std::path::Path;
use std::str::FromStr;
use std::time::Duration;

use sqlx::any::{AnyConnectOptions, AnyPoolOptions};
use sqlx::migrate::{Migrate, Migrator};
use sqlx::{AnyPool, ConnectOptions, Executor};

static SQLITE_MIGRATIONS: Migrator = sqlx::migrate!("../migrations/sqlite");
static POSTGRES_MIGRATIONS: Migrator = sqlx::migrate!("../migrations/postgres");

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

impl Backend {
    pub fn of_url(url: &str) -> Result<Self, StoreError> {
        if url.starts_with("sqlite:") {
            Ok(Backend::Sqlite)
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Ok(Backend::Postgres)
        } else {
            Err(StoreError::UnsupportedUrl)
        }
    }

    fn migrator(self) -> &'static Migrator {
        match self {
            Backend::Sqlite => &SQLITE_MIGRATIONS,
            Backend::Postgres => &POSTGRES_MIGRATIONS,
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("database URL must start with sqlite: or postgres://")]
    UnsupportedUrl,
    #[error("cannot create the database directory {path}: {source}")]
    CreateDirectory { path: String, source: std::io::Error },
    #[error(transparent)]
    Database(#[from] sqlx::Error),
    #[error(transparent)]
    Migration(#[from] sqlx::migrate::MigrateError),
}

/// A migration that the database has not applied yet.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PendingMigration {
    pub version: i64,
    pub description: String,
}

#[derive(Clone, Debug)]
pub struct Store {
    pool: AnyPool,
    backend: Backend,
    audit: crate::audit::Writer,
}

impl Store {
    /// Connects without touching the schema. SQLite files (and their directory) are created
    /// on first use; every SQLite connection runs in WAL mode with foreign keys enforced.
    pub async fn connect(url: &str) -> Result<Self, StoreError> {
        sqlx::any::install_default_drivers();
        let backend = Backend::of_url(url)?;
        let url = match backend {
            Backend::Sqlite => prepare_sqlite_url(url)?,
            Backend::Postgres => url.to_owned(),
        };
        let options = AnyConnectOptions::from_str(&url)?
            .log_statements(tracing::log::LevelFilter::Trace)
            .log_slow_statements(tracing::log::LevelFilter::Warn, Duration::from_millis(500));
        let pool = AnyPoolOptions::new()
            .max_connections(match backend {
                // SQLite has one writer at a time; a few connections serve concurrent readers.
                Backend::Sqlite => 8,
                Backend::Postgres => 16,
            })
            .after_connect(move |conn, _meta| {
                Box::pin(async move {
                    if backend == Backend::Sqlite {
                        conn.execute(
                            "PRAGMA journal_mode = WAL; PRAGMA foreign_keys = ON; \
                             PRAGMA busy_timeout = 5000; PRAGMA synchronous = NORMAL;",
                        )
                        .await?;
                    }
                    Ok(())
                })
            })
            .connect_with(options)
            .await?;
        let audit = crate::audit::Writer::start(pool.clone());
        Ok(Self { pool, backend, audit })
    }

    /// Connects and brings the schema up to date: what `serve` does at start.
    pub async fn connect_and_migrate(url: &str) -> Result<Self, StoreError> {
        let store = Self::connect(url).await?;
        store.migrate().await?;
        Ok(store)
    }

    pub fn backend(&self) -> Backend {
        self.backend
    }

    pub fn pool(&self) -> &AnyPool {
        &self.pool
    }

    /// Opens a transaction that will write. On SQLite it takes the write lock up front
    /// (`BEGIN IMMEDIATE`): a deferred transaction that reads first and writes later cannot
    /// upgrade its snapshot once another writer has committed, and under concurrent load
    /// fails with "database is locked" instead of waiting its turn.
    pub async fn begin_write(&self) -> Result<sqlx::Transaction<'static, sqlx::Any>, sqlx::Error> {
        match self.backend {
            Backend::Sqlite => self.pool.begin_with("BEGIN IMMEDIATE").await,
            Backend::Postgres => self.pool.begin().await,
        }
    }

    pub async fn migrate(&self) -> Result<(), StoreError> {
        self.backend.migrator().run(&self.pool).await?;
        Ok(())
    }

    /// A database no migration was ever applied to: nobody has started Vestibule on it yet.
    pub async fn is_empty(&self) -> Result<bool, StoreError> {
        Ok(!self.has_migrations_table().await?)
    }

    /// Lists embedded migrations the database has not applied, applying nothing (not even
    /// sqlx's bookkeeping table).
    pub async fn pending_migrations(&self) -> Result<Vec<PendingMigration>, StoreError> {
        let migrator = self.backend.migrator();
        let applied: Vec<i64> = if self.has_migrations_table().await? {
            let mut conn = self.pool.acquire().await?;
            conn.list_applied_migrations()
                .await?
                .into_iter()
                .map(|m| m.version)
                .collect()
        } else {
            Vec::new()
        };
        Ok(migrator
            .iter()
            .filter(|m| m.migration_type.is_up_migration() && !applied.contains(&m.version))
            .map(|m| PendingMigration {
                version: m.version,
                description: m.description.to_string(),
            })
            .collect())
    }

    async fn has_migrations_table(&self) -> Result<bool, StoreError> {
        let sql = match self.backend {
            Backend::Sqlite => {
                "SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = '_sqlx_migrations'"
            }
            Backend::Postgres => {
                "SELECT COUNT(*) FROM information_schema.tables \
                 WHERE table_schema = current_schema() AND table_name = '_sqlx_migrations'"
            }
        };
        let count: i64 = sqlx::query_scalar(sql).fetch_one(&self.pool).await?;
        Ok(count > 0)
    }

    pub(crate) fn audit_writer(&self) -> &crate::audit::Writer {
        &self.audit
    }

    /// Writes what the audit log has queued, then closes every connection.
    pub async fn close(&self) {
        self.audit.flush().await;
        self.pool.close().await;
    }
}

/// `sqlite:./data/vestibule.db` → creates `./data` and asks SQLite to create the file.
fn prepare_sqlite_url(url: &str) -> Result<String, StoreError> {
    let rest = url.trim_start_matches("sqlite:").trim_start_matches("//");
    let (path, query) = rest.split_once('?').unwrap_or((rest, ""));
    if path != ":memory:" && !path.is_empty() {
        if let Some(dir) = Path::new(path).parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(|source| StoreError::CreateDirectory {
                path: dir.display().to_string(),
                source,
            })?;
        }
    }
    let query = if query.contains("mode=") {
        query.to_owned()
    } else if query.is_empty() {
        "mode=rwc".to_owned()
    } else {
        format!("{query}&mode=rwc")
    };
    Ok(format!("sqlite://{path}?{query}"))
}

/// The unique index a failed insert or update collided with, if that is why it failed.
/// PostgreSQL names the constraint; SQLite only says so in its message
/// (`UNIQUE constraint failed: users.username` or `… index 'users_primary_email_key'`).
pub(crate) fn unique_violation(err: &sqlx::Error) -> Option<String> {
    let db = err.as_database_error()?;
    if !db.is_unique_violation() {
        return None;
    }
    Some(db.constraint().map(str::to_owned).unwrap_or_else(|| db.message().to_owned()))
}

/// Reads a flag column: `BOOLEAN` on PostgreSQL, `INTEGER` 0/1 on SQLite.
pub(crate) fn get_flag(row: &sqlx::any::AnyRow, column: &str) -> Result<bool, sqlx::Error> {
    use sqlx::Row;
    row.try_get::<bool, _>(column)
        .or_else(|_| row.try_get::<i64, _>(column).map(|n| n != 0))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sqlite_urls_gain_create_mode() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("nested/v.db");
        let url = prepare_sqlite_url(&format!("sqlite:{}", file.display())).unwrap();
        assert_eq!(url, format!("sqlite://{}?mode=rwc", file.display()));
        assert!(file.parent().unwrap().is_dir(), "the directory is created");
    }

    #[test]
    fn other_urls_are_refused() {
        assert!(matches!(Backend::of_url("mysql://x"), Err(StoreError::UnsupportedUrl)));
        assert_eq!(Backend::of_url("postgresql://h/db").unwrap(), Backend::Postgres);
    }
}
