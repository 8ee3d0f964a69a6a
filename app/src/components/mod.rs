//! Small building blocks named for what the user sees.

mod auth_card;
mod error_banner;
pub mod form;
mod password_field;
pub mod passkey;

pub use auth_card::{AuthCard, HostedCard};
pub use error_banner::{ErrorBanner, PageError};
pub use form::{FormLink, Notice, PostForm, SubmitButton, TermsCheckbox, TextField};
pub use passkey::{Ceremony, PasskeyForm};
pub use password_field::PasswordField;
