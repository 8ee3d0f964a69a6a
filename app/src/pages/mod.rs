pub mod complete_profile;
pub mod consent;
pub mod mfa;
pub mod not_found;
pub mod one_time_token;
pub mod register;
pub mod reset_password;
pub mod sign_in;
pub mod signed_out;
pub mod single_sign_on;
pub mod social_link;
pub mod verify_code;

use crate::tr;

/// "Email or phone number", "Username or email", … for a field accepting these identifiers.
pub fn identifier_label(kinds: &[String]) -> String {
    let names: Vec<String> = kinds
        .iter()
        .map(|k| {
            let key = format!("identifiers.{k}");
            tr!(&key)
        })
        .collect();
    match names.as_slice() {
        [] => tr!("identifiers.username"),
        [one] => one.clone(),
        [init @ .., last] => {
            let mut label = init.join(", ");
            label.push_str(&format!(" {} ", tr!("identifiers.or")));
            label.push_str(&last.to_lowercase());
            label
        }
    }
}

/// The input type that suits these identifiers.
pub fn input_kind(kinds: &[String]) -> &'static str {
    match kinds {
        [only] if only == "email" => "email",
        [only] if only == "phone" => "tel",
        _ => "text",
    }
}

/// Identifiers that can receive a code.
pub fn reachable(kinds: &[String]) -> Vec<String> {
    kinds.iter().filter(|k| *k == "email" || *k == "phone").cloned().collect()
}
