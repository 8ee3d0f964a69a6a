//! What people type as an identifier (email, phone, username): any text is refused or
//! normalised to a value that normalises to itself.
#![no_main]

use identity::identifiers;
use identity::sign_in_experience::IdentifierKind;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|text: &str| {
    let guessed = identifiers::guess_kind(text);
    for kind in [IdentifierKind::Email, IdentifierKind::Phone, IdentifierKind::Username, guessed] {
        if let Ok(normal) = identifiers::normalize(kind, text) {
            assert_eq!(identifiers::normalize(kind, &normal).ok(), Some(normal.clone()), "{kind:?} {text:?}");
        }
    }
    identifiers::phone_variants(text);
});
