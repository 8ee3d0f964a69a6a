//! The identifiers people sign in with, checked and normalised once (spec §0): usernames
//! (`^[A-Za-z_]\w*$`, 1–128 characters, case-sensitive), emails (matched case-insensitively)
//! and phone numbers (digits only; `+61 0412…` and `+61 412…` are the same number).

use crate::sign_in_experience::IdentifierKind;

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum IdentifierError {
    #[error("a username starts with a letter or underscore and has only letters, digits and underscores (at most 128)")]
    Username,
    #[error("this is not an email address")]
    Email,
    #[error("this is not a phone number")]
    Phone,
}

/// A username as given, if it is one.
pub fn username(value: &str) -> Result<String, IdentifierError> {
    let mut chars = value.chars();
    let first_ok = chars.next().is_some_and(|c| c.is_ascii_alphabetic() || c == '_');
    let rest_ok = value.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
    if first_ok && rest_ok && value.len() <= 128 {
        Ok(value.to_owned())
    } else {
        Err(IdentifierError::Username)
    }
}

/// An email address, trimmed (its case is kept; lookups ignore it).
pub fn email(value: &str) -> Result<String, IdentifierError> {
    let value = value.trim();
    let ok = value.len() <= 254
        && !value.chars().any(|c| c.is_whitespace() || c.is_control())
        && value.split_once('@').is_some_and(|(local, domain)| {
            !local.is_empty() && domain.contains('.') && !domain.starts_with('.') && !domain.ends_with('.')
        });
    if ok { Ok(value.to_owned()) } else { Err(IdentifierError::Email) }
}

/// A phone number in international form, digits only: spaces, dashes, dots, brackets and a
/// leading `+` are dropped.
pub fn phone(value: &str) -> Result<String, IdentifierError> {
    let value = value.trim();
    let value = value.strip_prefix('+').unwrap_or(value);
    let digits: String = value.chars().filter(|c| !matches!(c, ' ' | '-' | '.' | '(' | ')')).collect();
    if (5..=15).contains(&digits.len()) && digits.chars().all(|c| c.is_ascii_digit()) {
        Ok(digits)
    } else {
        Err(IdentifierError::Phone)
    }
}

/// A phone number as the Management API stores it (Logto's normalisation): a valid number
/// for its country, as country code and national number with no trunk `0`
/// (`610412345678` → `61412345678`). `None` when it is no valid number.
pub fn valid_phone(value: &str) -> Option<String> {
    let digits = phone(value).ok()?;
    let number = phonenumber::parse(None, format!("+{digits}")).ok()?;
    phonenumber::is_valid(&number).then(|| format!("{}{}", number.code().value(), number.national().value()))
}

/// The stored forms that denote the same phone number: with and without the trunk `0`
/// after the country code (`61412345678` ≡ `610412345678`).
pub fn phone_variants(digits: &str) -> Vec<String> {
    let mut variants = vec![digits.to_owned()];
    if let Ok(number) = phonenumber::parse(None, format!("+{digits}")) {
        let country = number.code().value();
        let national = number.national().value();
        for form in [format!("{country}{national}"), format!("{country}0{national}")] {
            if !variants.contains(&form) {
                variants.push(form);
            }
        }
    }
    variants
}

/// Checks and normalises `value` as an identifier of `kind`.
pub fn normalize(kind: IdentifierKind, value: &str) -> Result<String, IdentifierError> {
    match kind {
        IdentifierKind::Username => username(value),
        IdentifierKind::Email => email(value),
        IdentifierKind::Phone => phone(value),
    }
}

/// What a free-text "email, phone or username" field holds.
pub fn guess_kind(value: &str) -> IdentifierKind {
    let value = value.trim();
    if value.contains('@') {
        IdentifierKind::Email
    } else if phone(value).is_ok() {
        IdentifierKind::Phone
    } else {
        IdentifierKind::Username
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn usernames() {
        assert!(username("ada_99").is_ok());
        assert!(username("_x").is_ok());
        assert_eq!(username("9lives"), Err(IdentifierError::Username));
        assert_eq!(username("ada lovelace"), Err(IdentifierError::Username));
        assert_eq!(username(""), Err(IdentifierError::Username));
        assert_eq!(username(&"a".repeat(129)), Err(IdentifierError::Username));
    }

    #[test]
    fn emails() {
        assert_eq!(email("  Ada@Example.com ").unwrap(), "Ada@Example.com");
        assert!(email("ada@localhost").is_err());
        assert!(email("a da@example.com").is_err());
        assert!(email("@example.com").is_err());
    }

    #[test]
    fn phones_are_digits_and_match_with_or_without_the_trunk_zero() {
        assert_eq!(phone("+61 (0)412-345-678").unwrap(), "610412345678");
        assert!(phone("12ab45").is_err());
        let variants = phone_variants("61412345678");
        assert!(variants.contains(&"610412345678".to_owned()), "{variants:?}");
        let variants = phone_variants("610412345678");
        assert!(variants.contains(&"61412345678".to_owned()), "{variants:?}");
    }

    /// Hostile or odd numbers reach the metadata parser: it must answer, never panic.
    #[test]
    fn any_accepted_phone_number_can_be_matched() {
        use rand::Rng;
        let mut rng = rand::thread_rng();
        for _ in 0..20_000 {
            let len = rng.gen_range(5..=15);
            let digits: String = (0..len).map(|_| char::from(b'0' + rng.gen_range(0..10))).collect();
            let variants = phone_variants(&phone(&digits).unwrap());
            assert!(variants.contains(&digits));
        }
        for edge in ["00000", "000000000000000", "999999999999999", "10000", "800000000000000"] {
            assert!(!phone_variants(edge).is_empty());
        }
    }

    #[test]
    fn free_text_identifiers() {
        assert_eq!(guess_kind("ada@example.com"), IdentifierKind::Email);
        assert_eq!(guess_kind("+1 415 555 0100"), IdentifierKind::Phone);
        assert_eq!(guess_kind("ada"), IdentifierKind::Username);
    }
}
