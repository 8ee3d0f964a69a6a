//! Compiled to WASM by cargo-leptos; the server's hydration script calls `hydrate()`.
//! Pages are rendered on the server and stay static; only their islands (`#[island]` in
//! `app`: password toggles, the resend countdown, passkey buttons, form markers) hydrate.

use wasm_bindgen::prelude::wasm_bindgen;

// The islands are exported from `app`; linking it is all they need.
use app as _;

#[wasm_bindgen]
pub fn hydrate() {
    console_error_panic_hook::set_once();
    leptos::mount::hydrate_islands();
}
