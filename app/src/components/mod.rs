//! Small building blocks named for what the user sees.

mod auth_card;
mod error_banner;
mod password_field;

pub use auth_card::AuthCard;
pub use error_banner::ErrorBanner;
pub use password_field::PasswordField;
