//! `POST /api/authn/saml/:connectorId` (the assertion consumer service): whatever arrives as
//! `SAMLResponse` — base64 or not, XML or not, signed or not — is refused unless the
//! identity provider signed it, and never crashes the XML and signature checks.
#![no_main]

#[path = "world.rs"]
mod world;

use std::sync::OnceLock;

use base64::Engine as _;
use identity::sso::{self, SsoConnector};
use libfuzzer_sys::fuzz_target;
use serde_json::{json, Map, Value};

struct World {
    engine: world::Engine,
    connector: SsoConnector,
}

fn world() -> &'static World {
    static WORLD: OnceLock<World> = OnceLock::new();
    WORLD.get_or_init(|| {
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
        World { engine: world::Engine::start(), connector }
    })
}

fuzz_target!(|input: &[u8]| {
    let world = world();
    let encoded = base64::engine::general_purpose::STANDARD.encode(input);
    let raw = String::from_utf8_lossy(input);
    world.engine.runtime.block_on(async {
        for response in [encoded.as_str(), raw.as_ref()] {
            for request_id in [None, Some("_fuzz-request")] {
                let read = sso::saml::read_response(&world.engine.provider, &world.connector, response, request_id).await;
                assert!(read.is_err(), "an unsigned answer was taken: {response}");
            }
        }
    });
});
