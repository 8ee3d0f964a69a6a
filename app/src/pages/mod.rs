pub mod not_found;
pub mod sign_in;
pub mod signed_out;
