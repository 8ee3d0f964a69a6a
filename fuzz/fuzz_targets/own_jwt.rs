//! Tokens presented to us — `id_token_hint` at end-session, Management API bearers: any
//! text is refused or is a token we signed; and whatever claims we sign read back unchanged.
#![no_main]

#[path = "world.rs"]
mod world;

use std::sync::OnceLock;

use identity::oidc::tokens;
use libfuzzer_sys::fuzz_target;
use serde_json::{Map, Value};

fn engine() -> &'static world::Engine {
    static ENGINE: OnceLock<world::Engine> = OnceLock::new();
    ENGINE.get_or_init(world::Engine::start)
}

fuzz_target!(|input: &[u8]| {
    let engine = engine();
    let provider = &engine.provider;
    engine.runtime.block_on(async {
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
