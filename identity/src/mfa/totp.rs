//! Authenticator-app codes (RFC 6238: SHA-1, 6 digits, 30 s, ±1 step) with totp-rs, and the
//! enrolment QR code (an SVG, so it scales and needs no image library).

use base64::Engine;
use totp_rs::{Algorithm, Secret, TOTP};

const STEP_SECONDS: u64 = 30;

/// A new random 20-byte secret, base32.
pub fn new_secret() -> String {
    match Secret::generate_secret().to_encoded() {
        Secret::Encoded(s) => s,
        Secret::Raw(bytes) => base32_of(&bytes),
    }
}

fn base32_of(bytes: &[u8]) -> String {
    // Only reached if totp-rs changes its encoding; RFC 4648 base32 without padding.
    const ALPHABET: &[u8; 32] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
    let mut out = String::new();
    let (mut buffer, mut bits) = (0u32, 0);
    for &b in bytes {
        buffer = (buffer << 8) | u32::from(b);
        bits += 8;
        while bits >= 5 {
            out.push(ALPHABET[((buffer >> (bits - 5)) & 31) as usize] as char);
            bits -= 5;
        }
    }
    if bits > 0 {
        out.push(ALPHABET[((buffer << (5 - bits)) & 31) as usize] as char);
    }
    out
}

fn totp(secret: &str, issuer: &str, account: &str) -> Option<TOTP> {
    let bytes = Secret::Encoded(secret.to_owned()).to_bytes().ok()?;
    TOTP::new(Algorithm::SHA1, 6, 1, STEP_SECONDS, bytes, Some(issuer.replace(':', "")), account.replace(':', "")).ok()
}

/// What an authenticator app is shown for `user`: the `otpauth://` URI (issuer = the host of
/// `endpoint`, account = the user's email, username or phone) and that URI as a QR code.
pub fn enrolment(endpoint: &str, user: &crate::users::User, secret: &str) -> (String, String) {
    let issuer = url::Url::parse(endpoint).ok().and_then(|u| u.host_str().map(str::to_owned)).unwrap_or_else(|| "Vestibule".into());
    let account = user.primary_email.clone().or(user.username.clone()).or(user.primary_phone.clone()).unwrap_or(user.id.clone());
    let uri = otpauth_uri(secret, &issuer, &account);
    let qr = qr_code_data_url(&uri);
    (uri, qr)
}

/// The `otpauth://totp/...` URI authenticator apps scan.
pub fn otpauth_uri(secret: &str, issuer: &str, account: &str) -> String {
    totp(secret, issuer, account).map(|t| t.get_url()).unwrap_or_default()
}

/// The URI as an SVG QR code, in a `data:` URL for an `<img>`.
pub fn qr_code_data_url(uri: &str) -> String {
    let svg = qrcode::QrCode::new(uri.as_bytes())
        .map(|code| code.render::<qrcode::render::svg::Color>().min_dimensions(200, 200).quiet_zone(true).build())
        .unwrap_or_default();
    format!("data:image/svg+xml;base64,{}", base64::engine::general_purpose::STANDARD.encode(svg))
}

/// The time step (`unix seconds / 30`) whose code `code` is, within ±1 step of `now_ms`.
pub fn matching_step(secret: &str, code: &str, now_ms: i64) -> Option<u64> {
    let code = code.trim();
    if code.len() != 6 || !code.chars().all(|c| c.is_ascii_digit()) {
        return None;
    }
    let totp = totp(secret, "x", "x")?;
    let now = u64::try_from(now_ms / 1000).ok()?;
    let current = now / STEP_SECONDS;
    [current.saturating_sub(1), current, current + 1]
        .into_iter()
        .find(|step| crate::crypto::constant_time_eq(&totp.generate(step * STEP_SECONDS), code))
}

/// The code for `now_ms` (tests and the Management API's checks).
pub fn code_at(secret: &str, now_ms: i64) -> Option<String> {
    Some(totp(secret, "x", "x")?.generate(u64::try_from(now_ms / 1000).ok()?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc6238_test_vector() {
        // RFC 6238 appendix B, SHA-1 secret "12345678901234567890", T = 59 s → 94287082 (8 digits); the
        // last six digits are the 6-digit code.
        let secret = base32_of(b"12345678901234567890");
        assert_eq!(code_at(&secret, 59_000).unwrap(), "287082");
        assert_eq!(matching_step(&secret, "287082", 59_000), Some(1));
        assert_eq!(matching_step(&secret, "287082", 59_000 + 30_000), Some(1), "one step late is accepted");
        assert_eq!(matching_step(&secret, "287082", 59_000 + 90_000), None, "three steps late is not");
    }

    #[test]
    fn enrolment_uri_and_qr() {
        let secret = new_secret();
        assert_eq!(secret.len(), 32, "20 bytes in base32");
        let uri = otpauth_uri(&secret, "id.example.com", "ada@example.com");
        assert!(uri.starts_with("otpauth://totp/id.example.com:ada%40example.com?secret=") || uri.starts_with("otpauth://totp/id.example.com:ada@example.com?secret="), "{uri}");
        assert!(qr_code_data_url(&uri).starts_with("data:image/svg+xml;base64,"));
    }
}
