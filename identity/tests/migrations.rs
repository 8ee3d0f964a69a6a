//! `migrate --check` relies on this: an empty database lists every migration as pending and
//! gets no tables from being asked; after migrating, nothing is pending.

use identity::testing::TestDatabase;
use identity::Store;

async fn pending_then_clean(store: Store) {
    let pending = store.pending_migrations().await.unwrap();
    assert!(!pending.is_empty(), "a new database has pending migrations");
    assert_eq!(pending[0].version, 1);
    assert_eq!(pending[0].description, "users");
    // Asking applied nothing: still pending.
    assert_eq!(store.pending_migrations().await.unwrap(), pending);

    store.migrate().await.unwrap();
    assert!(store.pending_migrations().await.unwrap().is_empty());
    store.migrate().await.expect("migrating twice is harmless");
}

#[tokio::test]
async fn sqlite_migrations_are_reported_then_applied() {
    let db = TestDatabase::sqlite_unmigrated().await;
    pending_then_clean(db.store.clone()).await;
}

#[tokio::test]
async fn postgres_migrations_are_reported_then_applied() {
    let Some(db) = TestDatabase::postgres_unmigrated().await else { return };
    pending_then_clean(db.store.clone()).await;
}
