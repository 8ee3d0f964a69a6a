//! What the targets that need the engine share: a provider over a fresh SQLite database
//! with its signing key, and a runtime to drive it, made once per fuzzing process.

use std::sync::Arc;

use identity::clock::SystemClock;
use identity::oidc::Provider;

pub struct Engine {
    pub runtime: tokio::runtime::Runtime,
    pub provider: Provider,
    _db: identity::testing::TestDatabase,
}

impl Engine {
    pub fn start() -> Self {
        let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        let db = runtime.block_on(identity::testing::TestDatabase::sqlite());
        let store = db.store.clone();
        let at_rest = Arc::new(identity::crypto::AtRest::new(&identity::secret::Secret::new("fuzzing")));
        let provider = Provider {
            keys: Arc::new(identity::oidc::keys::KeyRing::new(store.clone(), at_rest.clone())),
            store,
            clock: Arc::new(SystemClock),
            passwords: identity::passwords::PasswordHasher::cheap_for_tests(),
            endpoint: "https://id.example.com".into(),
            caches: Arc::default(),
            breached: identity::passwords::breached::BreachedPasswords::embedded(),
            at_rest,
            dev_outbox: true,
            backchannel_due: Arc::default(),
        };
        runtime.block_on(provider.keys.ensure_default_key(&SystemClock)).unwrap();
        Engine { runtime, provider, _db: db }
    }
}
