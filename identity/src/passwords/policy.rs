//! The password policy (spec §4): length, character types, and the "restricted" rules that
//! reject passwords made of repetitions, keyboard or alphabet sequences, the user's own
//! details, configured words, or that appear in breach corpora.

use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use super::breached::BreachedPasswords;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LengthRule {
    pub min: usize,
    pub max: usize,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CharacterTypesRule {
    pub min: usize,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Rejects {
    pub pwned: bool,
    pub repetition_and_sequence: bool,
    pub user_info: bool,
    #[serde(default)]
    pub words: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PasswordPolicy {
    pub length: LengthRule,
    pub character_types: CharacterTypesRule,
    pub rejects: Rejects,
}

impl Default for PasswordPolicy {
    fn default() -> Self {
        Self {
            length: LengthRule { min: 8, max: 256 },
            character_types: CharacterTypesRule { min: 1 },
            rejects: Rejects { pwned: true, repetition_and_sequence: true, user_info: true, words: vec![] },
        }
    }
}

/// Details of the user that a password must not be made of.
#[derive(Debug, Clone, Default)]
pub struct UserInfo {
    pub name: Option<String>,
    pub username: Option<String>,
    pub email: Option<String>,
    pub phone: Option<String>,
}

impl UserInfo {
    pub fn of(user: &crate::users::User) -> Self {
        Self { name: user.name.clone(), username: user.username.clone(), email: user.primary_email.clone(), phone: user.primary_phone.clone() }
    }
}

/// One reason for rejection: `password_rejected.<code>` with its interpolation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Issue {
    pub code: &'static str,
    pub interpolation: Option<(&'static str, usize)>,
}

impl Issue {
    fn plain(code: &'static str) -> Self {
        Self { code, interpolation: None }
    }

    /// The wire form: `{code, interpolation?}`.
    pub fn to_json(&self) -> Value {
        match self.interpolation {
            Some((key, value)) => json!({ "code": self.code, "interpolation": { key: value } }),
            None => json!({ "code": self.code }),
        }
    }
}

const SYMBOLS: &str = "!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~ ";
const SEQUENCES: &[&str] = &[
    "0123456789", "abcdefghijklmnopqrstuvwxyz", "qwertyuiop", "asdfghjkl", "zxcvbnm", "1qaz", "2wsx", "3edc", "4rfv",
    "5tgb", "6yhn", "7ujm", "8ik", "9ol",
];
const MIN_RUN: usize = 3;

impl PasswordPolicy {
    /// Rejects a policy that no password could satisfy, or one without meaning.
    pub fn validate(&self) -> Result<(), &'static str> {
        if self.length.min == 0 || self.length.min > self.length.max || self.length.max > 256 {
            return Err("passwordPolicy.length needs 1 <= min <= max <= 256");
        }
        if !(1..=4).contains(&self.character_types.min) {
            return Err("passwordPolicy.characterTypes.min must be 1 to 4");
        }
        if self.rejects.words.iter().any(|w| w.is_empty() || w.len() > 256) || self.rejects.words.len() > 1000 {
            return Err("passwordPolicy.rejects.words must be non-empty words (at most 1000)");
        }
        Ok(())
    }

    /// Every issue with `password`; empty means accepted.
    pub fn check(&self, password: &str, user: &UserInfo, breached: &BreachedPasswords) -> Vec<Issue> {
        let mut issues = Vec::new();
        let length = password.chars().count();
        if length < self.length.min {
            issues.push(Issue { code: "password_rejected.too_short", interpolation: Some(("min", self.length.min)) });
        }
        if length > self.length.max {
            issues.push(Issue { code: "password_rejected.too_long", interpolation: Some(("max", self.length.max)) });
        }
        if password.chars().any(|c| !(c.is_ascii_alphanumeric() || SYMBOLS.contains(c))) {
            issues.push(Issue::plain("password_rejected.unsupported_characters"));
        } else if character_types(password) < self.character_types.min {
            issues.push(Issue { code: "password_rejected.character_types", interpolation: Some(("min", self.character_types.min)) });
        }
        if self.rejects.pwned && breached.contains(password) {
            issues.push(Issue::plain("password_rejected.pwned"));
        }
        issues.extend(self.restricted(password, user));
        issues
    }

    /// [`check`](Self::check), then the online breached-password source when one is
    /// configured and the offline list did not already reject the password.
    pub async fn check_everywhere(&self, password: &str, user: &UserInfo, breached: &BreachedPasswords) -> Vec<Issue> {
        let mut issues = self.check(password, user, breached);
        let offline = issues.iter().any(|i| i.code == "password_rejected.pwned");
        if self.rejects.pwned && !offline && breached.contains_anywhere(password).await {
            issues.push(Issue::plain("password_rejected.pwned"));
        }
        issues
    }

    /// The restricted rules mark the characters each pattern covers; they reject only when
    /// nearly the whole password is covered (more than `max(1, len - 3)` characters), so a
    /// long password that merely contains "123" passes.
    fn restricted(&self, password: &str, user: &UserInfo) -> Vec<Issue> {
        let lower: Vec<char> = password.to_lowercase().chars().collect();
        if lower.len() != password.chars().count() {
            return vec![]; // only ASCII passwords reach here in practice
        }
        let mut marked = vec![false; lower.len()];
        let mut found = Vec::new();
        if self.rejects.repetition_and_sequence {
            if mark_repetitions(&lower, &mut marked) {
                found.push("password_rejected.restricted.repetition");
            }
            let sequence_words: Vec<String> = SEQUENCES
                .iter()
                .flat_map(|s| slices(s).into_iter().chain(slices(&s.chars().rev().collect::<String>())))
                .collect();
            if mark_words(&lower, &sequence_words, &mut marked) {
                found.push("password_rejected.restricted.sequence");
            }
        }
        if self.rejects.user_info && mark_words(&lower, &user_info_words(user), &mut marked) {
            found.push("password_rejected.restricted.user_info");
        }
        let words: Vec<String> = self.rejects.words.iter().map(|w| w.to_lowercase()).collect();
        if mark_words(&lower, &words, &mut marked) {
            found.push("password_rejected.restricted.words");
        }
        let covered = marked.iter().filter(|m| **m).count();
        if covered > 1.max(lower.len().saturating_sub(3)) {
            found.into_iter().map(Issue::plain).collect()
        } else {
            vec![]
        }
    }
}

fn character_types(password: &str) -> usize {
    let classes = [
        password.chars().any(|c| c.is_ascii_lowercase()),
        password.chars().any(|c| c.is_ascii_uppercase()),
        password.chars().any(|c| c.is_ascii_digit()),
        password.chars().any(|c| SYMBOLS.contains(c)),
    ];
    classes.into_iter().filter(|c| *c).count()
}

/// Marks runs of three or more equal characters.
fn mark_repetitions(chars: &[char], marked: &mut [bool]) -> bool {
    let mut any = false;
    let mut start = 0;
    while start < chars.len() {
        let end = (start..chars.len()).find(|&i| chars[i] != chars[start]).unwrap_or(chars.len());
        if end - start >= MIN_RUN {
            marked[start..end].iter_mut().for_each(|m| *m = true);
            any = true;
        }
        start = end;
    }
    any
}

/// Every slice of three characters or more of a sequence.
fn slices(sequence: &str) -> Vec<String> {
    let chars: Vec<char> = sequence.chars().collect();
    let mut out = Vec::new();
    for start in 0..chars.len() {
        for end in start + MIN_RUN..=chars.len() {
            out.push(chars[start..end].iter().collect());
        }
    }
    out
}

/// Marks every occurrence of every word (already lower-cased) at every position.
fn mark_words(chars: &[char], words: &[String], marked: &mut [bool]) -> bool {
    let mut any = false;
    for word in words {
        let word: Vec<char> = word.chars().collect();
        if word.is_empty() || word.len() > chars.len() {
            continue;
        }
        for start in 0..=chars.len() - word.len() {
            if chars[start..start + word.len()] == word[..] {
                marked[start..start + word.len()].iter_mut().for_each(|m| *m = true);
                any = true;
            }
        }
    }
    any
}

/// The user's name (whole, without spaces, and each word), username, the local part of the
/// email and the phone number, lower-cased; fragments shorter than three characters would
/// mark half of any password, so they are left out.
fn user_info_words(user: &UserInfo) -> Vec<String> {
    let mut words = Vec::new();
    if let Some(name) = &user.name {
        let name = name.to_lowercase();
        words.push(name.replace(' ', ""));
        words.extend(name.split_whitespace().map(str::to_owned));
        words.push(name);
    }
    words.extend(user.username.iter().map(|u| u.to_lowercase()));
    words.extend(user.email.iter().filter_map(|e| e.split('@').next()).map(str::to_lowercase));
    words.extend(user.phone.clone());
    words.retain(|w| w.chars().count() >= MIN_RUN);
    words
}

#[cfg(test)]
mod tests {
    use super::*;

    fn codes(password: &str, user: &UserInfo) -> Vec<&'static str> {
        PasswordPolicy::default().check(password, user, &BreachedPasswords::embedded()).into_iter().map(|i| i.code).collect()
    }

    #[test]
    fn length_and_characters() {
        assert_eq!(codes("Ab1!x", &UserInfo::default()), vec!["password_rejected.too_short"]);
        assert_eq!(codes("correct horse battery staple é", &UserInfo::default()), vec!["password_rejected.unsupported_characters"]);
        let strict = PasswordPolicy { character_types: CharacterTypesRule { min: 3 }, ..PasswordPolicy::default() };
        let issues = strict.check("onlylowercaseletters", &UserInfo::default(), &BreachedPasswords::embedded());
        assert_eq!(issues, vec![Issue { code: "password_rejected.character_types", interpolation: Some(("min", 3)) }]);
    }

    #[test]
    fn repetitions_and_sequences_reject_only_when_they_cover_the_password() {
        assert!(codes("aaaaaaaaaa", &UserInfo::default()).contains(&"password_rejected.restricted.repetition"));
        assert!(codes("qwertyuiop", &UserInfo::default()).contains(&"password_rejected.restricted.sequence"));
        assert!(codes("ZYXWVUTSRQ", &UserInfo::default()).contains(&"password_rejected.restricted.sequence"));
        assert!(codes("Tr0ub4dor&3-123-horse", &UserInfo::default()).is_empty());
    }

    #[test]
    fn the_users_own_details_are_rejected() {
        let user = UserInfo { name: Some("Ada Lovelace".into()), username: Some("adal".into()), email: Some("ada@example.com".into()), phone: None };
        assert!(codes("AdaLovelace1", &user).contains(&"password_rejected.restricted.user_info"));
        assert!(codes("Lovelace!ada", &user).contains(&"password_rejected.restricted.user_info"));
        assert!(codes("Lovelace!ada", &UserInfo::default()).is_empty());
    }

    #[test]
    fn configured_words_are_rejected() {
        let policy = PasswordPolicy { rejects: Rejects { words: vec!["vestibule".into()], ..PasswordPolicy::default().rejects }, ..PasswordPolicy::default() };
        let issues = policy.check("Vestibule99", &UserInfo::default(), &BreachedPasswords::embedded());
        assert_eq!(issues, vec![Issue::plain("password_rejected.restricted.words")]);
    }

    #[test]
    fn issues_have_the_wire_shape() {
        let issue = Issue { code: "password_rejected.too_short", interpolation: Some(("min", 8)) };
        assert_eq!(issue.to_json(), json!({"code": "password_rejected.too_short", "interpolation": {"min": 8}}));
    }
}
