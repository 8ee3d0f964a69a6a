//! The identity engine. It knows nothing of HTTP or HTML: flows are functions over a
//! [`Store`] and a [`Clock`] that return typed errors carrying stable, Logto-compatible codes.
//! The HTTP layer (`server`) maps those codes to statuses in one place.

pub mod account;
pub mod applications;
pub mod audit;
pub mod cache;
pub mod clock;
pub mod configs;
pub mod console;
pub mod connectors;
pub mod crypto;
pub mod demo_app;
pub mod error;
pub mod experience;
pub mod first_party;
pub mod identifiers;
pub mod ids;
pub mod management;
pub mod mfa;
pub mod oidc;
pub mod one_time_tokens;
pub mod organizations;
pub mod passwords;
pub mod personal_access_tokens;
pub mod rbac;
pub mod search_pattern;
pub mod secret;
pub mod sentinel;
pub mod sign_in_experience;
pub mod social;
pub mod sso;
pub mod store;
pub mod token_vault;
pub mod users;
pub mod verification_codes;

#[cfg(feature = "test-support")]
pub mod testing;

pub use clock::{Clock, SystemClock};
pub use error::ErrorCode;
pub use store::{Backend, Store, StoreError};
