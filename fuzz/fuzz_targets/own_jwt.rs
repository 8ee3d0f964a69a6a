//! Tokens presented to us — `id_token_hint` at end-session, Management API and Account API
//! bearers: any text is refused or is a token we signed; and whatever claims we sign read
//! back unchanged.
#![no_main]

use std::sync::{Arc, OnceLock};

use identity::clock::SystemClock;
use identity::oidc::{tokens, Provider};
use libfuzzer_sys::fuzz_target;
use serde_json::{Map, Value};

struct World {
    runtime: tokio::runtime::Runtime,
    provider: Provider,
    _db: identity::testing::TestDatabase,
}

fn world() -> &'static World {
    static WORLD: OnceLock<World> = OnceLock::new();
    WORLD.get_or_init(|| {
        let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        let (db, provider) = runtime.block_on(async {
            let db = identity::testing::TestDatabase::sqlite().await;
            let provider = vestibule_fuzz_provider(db.store.clone());
            provider.keys.ensure_default_key(&SystemClock).await.unwrap();
            (db, provider)
        });
        World { runtime, provider, _db: db }
    })
}

fn vestibule_fuzz_provider(store: identity::Store) -> Provider {
    let at_rest = Arc::new(identity::crypto::AtRest::new(&identity::secret::Secret::new("fuzzing")));
    Provider {
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
    }
}

fuzz_target!(|input: &[u8]| {
    let world = world();
    let provider = &world.provider;
    world.runtime.block_on(async {
        if let Ok(text) = std::str::from_utf8(input) {
            let _ = tokens::verify_own(provider, text, true).await;
            let _ = identity::management::authenticate(provider, Some(&format!("Bearer {text}")), identity::management::DEFAULT_INDICATOR).await;
        }
        if let Ok(Value::Object(mut claims)) = serde_json::from_slice::<Value>(input) {
            claims.insert("iss".into(), Value::String(provider.issuer()));
            let signed = tokens::sign(provider, tokens::algorithm("ES256"), "JWT", &claims).await.unwrap();
            let read: Map<String, Value> = tokens::verify_own(provider, &signed, false).await.expect("our own token verifies");
            assert_eq!(read, claims);
        }
    });
});
