//! `PATCH /api/sign-in-exp` and `vestibule sign-in-experience set`: any JSON document is
//! refused with a reason or merged into a configuration that is valid and reads back as
//! itself.
#![no_main]

use identity::sign_in_experience::SignInExperience;
use libfuzzer_sys::fuzz_target;
use serde_json::Value;

fuzz_target!(|body: &[u8]| {
    let Ok(Value::Object(patch)) = serde_json::from_slice::<Value>(body) else { return };
    if let Ok(next) = SignInExperience::default().patched(&patch) {
        assert!(next.validate().is_ok());
        let stored = serde_json::to_string(&next).unwrap();
        let read: SignInExperience = serde_json::from_str(&stored).expect("what is stored reads back");
        assert_eq!(serde_json::to_value(&read).unwrap(), serde_json::to_value(&next).unwrap());
    }
});
