//! The texts of messages — verification codes and organization invitations — per usage and
//! language (English and French).

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

/// Logto's `OrganizationInvitation` email: who invites whom into what, and the magic link that
/// accepts. `inviter` is a display name, when the invitation has an inviter.
pub fn organization_invitation(locale: &str, organization: &str, inviter: Option<&str>, link: &str) -> Template {
    if locale.to_ascii_lowercase().starts_with("fr") {
        let who = inviter.map(|name| format!("{name} vous invite")).unwrap_or_else(|| "Vous êtes invité".to_owned());
        Template {
            subject: format!("Rejoignez {organization}"),
            text: format!("{who} à rejoindre {organization}.\n\nPour accepter, ouvrez ce lien :\n{link}\n\nSi vous ne vous attendiez pas à cette invitation, ignorez ce message."),
        }
    } else {
        let who = inviter.map(|name| format!("{name} invited you")).unwrap_or_else(|| "You are invited".to_owned());
        Template {
            subject: format!("Join {organization}"),
            text: format!("{who} to join {organization}.\n\nTo accept, open this link:\n{link}\n\nIf you weren't expecting this invitation, you can ignore this message."),
        }
    }
}

/// "Email me a sign-in link": the link, valid `minutes`, to open in the same browser.
pub fn sign_in_link(locale: &str, link: &str, minutes: u32) -> Template {
    if locale.to_ascii_lowercase().starts_with("fr") {
        Template {
            subject: "Votre lien de connexion".to_owned(),
            text: format!("Pour vous connecter, ouvrez ce lien dans le navigateur où vous l'avez demandé :\n{link}\n\nIl expire dans {minutes} minutes et ne sert qu'une fois. Si vous n'êtes pas à l'origine de cette demande, ignorez ce message."),
        }
    } else {
        Template {
            subject: "Your sign-in link".to_owned(),
            text: format!("To sign in, open this link in the browser where you asked for it:\n{link}\n\nIt expires in {minutes} minutes and works once. If you didn't ask for this, you can ignore this message."),
        }
    }
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

    #[test]
    fn invitations_name_the_organization_the_inviter_and_the_link() {
        let en = organization_invitation("en", "Acme", Some("Ada"), "https://id.example/accept");
        assert_eq!(en.subject, "Join Acme");
        assert!(en.text.starts_with("Ada invited you to join Acme.") && en.text.contains("https://id.example/accept"));
        let fr = organization_invitation("fr-FR", "Acme", None, "https://id.example/accept");
        assert!(fr.subject == "Rejoignez Acme" && fr.text.starts_with("Vous êtes invité à rejoindre Acme."));
    }
}
