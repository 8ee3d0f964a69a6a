//! Every domain error has a stable, Logto-compatible code (`user.username_already_in_use`).
//! The HTTP layer decides the status and body from the code, once.

pub trait ErrorCode {
    /// The wire-level code, e.g. `user.email_already_in_use`.
    fn code(&self) -> &'static str;
}
