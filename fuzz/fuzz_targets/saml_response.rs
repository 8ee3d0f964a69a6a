//! `POST /api/authn/saml/:connectorId` (the assertion consumer service): whatever arrives as
//! `SAMLResponse` — base64 or not, XML or not, signed or not — is refused unless the
//! identity provider signed it, and never crashes the XML and signature checks.
#![no_main]

use std::sync::{Arc, OnceLock};

use base64::Engine;
use identity::clock::SystemClock;
use identity::oidc::Provider;
use identity::sso::{self, SsoConnector};
use libfuzzer_sys::fuzz_target;
use serde_json::{json, Map, Value};

struct World {
    runtime: tokio::runtime::Runtime,
    provider: Provider,
    connector: SsoConnector,
    _db: identity::testing::TestDatabase,
}

fn world() -> &'static World {
    static WORLD: OnceLock<World> = OnceLock::new();
    WORLD.get_or_init(|| {
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
        let config: Map<String, Value> = serde_json::from_value(json!({
            "entityId": "https://fuzz-idp.example/metadata",
            "signInEndpoint": "https://fuzz-idp.example/sso",
            "x509Certificate": include_str!("../fixtures/idp-certificate.pem"),
        }))
        .unwrap();
        let connector = SsoConnector {
            id: "fuzz-saml".into(),
            provider: sso::provider("SAML").unwrap(),
            connector_name: "Fuzz IdP".into(),
            config,
            domains: vec!["example.com".into()],
            branding: Map::new(),
            sync_profile: false,
            enable_token_storage: false,
            created_at: 0,
        };
        World { runtime, provider, connector, _db: db }
    })
}

fuzz_target!(|input: &[u8]| {
    let world = world();
    let encoded = base64::engine::general_purpose::STANDARD.encode(input);
    let raw = String::from_utf8_lossy(input);
    world.runtime.block_on(async {
        for response in [encoded.as_str(), raw.as_ref()] {
            for request_id in [None, Some("_fuzz-request")] {
                let read = sso::saml::read_response(&world.provider, &world.connector, response, request_id).await;
                assert!(read.is_err(), "an unsigned answer was taken: {response}");
            }
        }
    });
});
