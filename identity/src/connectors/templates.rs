//! The texts of verification-code messages, per usage and language (English and French).

use serde::{Deserialize, Serialize};

/// Why a code is sent (Logto's template types).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Usage {
    SignIn,
    Register,
    ForgotPassword,
    Generic,
}

/// A rendered message: subject (email only) and text.
pub struct Template {
    pub subject: String,
    pub text: String,
}

/// The message carrying `code`, valid `minutes`, in `locale` (`fr…` → French, else English).
pub fn verification_code(usage: Usage, locale: &str, code: &str, minutes: u32) -> Template {
    let french = locale.to_ascii_lowercase().starts_with("fr");
    let (subject, purpose) = match (usage, french) {
        (Usage::SignIn, false) => ("Your sign-in code", "to sign in"),
        (Usage::Register, false) => ("Your verification code", "to create your account"),
        (Usage::ForgotPassword, false) => ("Reset your password", "to reset your password"),
        (Usage::Generic, false) => ("Your verification code", "to verify it's you"),
        (Usage::SignIn, true) => ("Votre code de connexion", "pour vous connecter"),
        (Usage::Register, true) => ("Votre code de vérification", "pour créer votre compte"),
        (Usage::ForgotPassword, true) => ("Réinitialisez votre mot de passe", "pour réinitialiser votre mot de passe"),
        (Usage::Generic, true) => ("Votre code de vérification", "pour confirmer votre identité"),
    };
    let text = if french {
        format!("Votre code est {code}. Saisissez-le {purpose}. Il expire dans {minutes} minutes.\n\nSi vous n'êtes pas à l'origine de cette demande, ignorez ce message.")
    } else {
        format!("Your code is {code}. Enter it {purpose}. It expires in {minutes} minutes.\n\nIf you didn't ask for this, you can ignore this message.")
    };
    Template { subject: subject.to_owned(), text }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_in_both_languages() {
        let en = verification_code(Usage::Register, "en-GB", "123456", 10);
        assert!(en.text.contains("123456") && en.text.contains("10 minutes"));
        let fr = verification_code(Usage::ForgotPassword, "fr-CA", "654321", 10);
        assert!(fr.text.contains("654321") && fr.subject.contains("Réinitialisez"));
    }
}
