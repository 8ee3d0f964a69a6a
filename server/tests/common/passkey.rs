//! A software WebAuthn authenticator, written here from the W3C WebAuthn and CTAP2 formats
//! (ES256 keys from ring, attestation "none", a hand-rolled CBOR encoder), so the server's
//! WebAuthn is checked against an implementation that shares no code with webauthn-rs. It
//! can be cloned (to act as a cloned authenticator), skip user verification, or answer for
//! another origin.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use ring::rand::SystemRandom;
use ring::signature::{EcdsaKeyPair, KeyPair, ECDSA_P256_SHA256_ASN1_SIGNING};
use serde_json::{json, Value};

#[derive(Clone)]
struct Credential {
    id: Vec<u8>,
    pkcs8: Vec<u8>,
    rp_id: String,
    user_handle: Vec<u8>,
    counter: u32,
}

#[derive(Clone)]
pub struct SoftAuthenticator {
    credentials: Vec<Credential>,
    /// The origin the "browser" reports in clientDataJSON.
    pub origin: String,
    /// Whether the user-verified flag is set (a real authenticator asks for a PIN or biometric).
    pub verifies_user: bool,
    /// A forged authenticator: registration answers with its first credential again (same id
    /// and key), ignoring the server's exclusion list.
    pub reuses_credential: bool,
}

fn b64(bytes: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

fn unb64(text: &str) -> Vec<u8> {
    URL_SAFE_NO_PAD.decode(text.trim_end_matches('=')).expect("base64url")
}

fn sha256(bytes: &[u8]) -> Vec<u8> {
    ring::digest::digest(&ring::digest::SHA256, bytes).as_ref().to_vec()
}

/// Minimal CBOR (RFC 8949) for attestation objects and COSE keys.
enum Cbor {
    Int(i64),
    Bytes(Vec<u8>),
    Text(&'static str),
    Map(Vec<(Cbor, Cbor)>),
}

impl Cbor {
    fn encode(&self, out: &mut Vec<u8>) {
        fn head(out: &mut Vec<u8>, major: u8, value: u64) {
            match value {
                0..=23 => out.push(major << 5 | value as u8),
                24..=0xff => out.extend([major << 5 | 24, value as u8]),
                0x100..=0xffff => {
                    out.push(major << 5 | 25);
                    out.extend((value as u16).to_be_bytes());
                }
                _ => {
                    out.push(major << 5 | 26);
                    out.extend((value as u32).to_be_bytes());
                }
            }
        }
        match self {
            Cbor::Int(n) if *n >= 0 => head(out, 0, *n as u64),
            Cbor::Int(n) => head(out, 1, (-1 - *n) as u64),
            Cbor::Bytes(b) => {
                head(out, 2, b.len() as u64);
                out.extend(b);
            }
            Cbor::Text(t) => {
                head(out, 3, t.len() as u64);
                out.extend(t.as_bytes());
            }
            Cbor::Map(entries) => {
                head(out, 5, entries.len() as u64);
                for (k, v) in entries {
                    k.encode(out);
                    v.encode(out);
                }
            }
        }
    }
}

const UP: u8 = 0x01;
const UV: u8 = 0x04;
const AT: u8 = 0x40;

impl SoftAuthenticator {
    pub fn new(origin: &str) -> Self {
        Self { credentials: Vec::new(), origin: origin.to_owned(), verifies_user: true, reuses_credential: false }
    }

    fn client_data(&self, kind: &str, challenge: &str) -> Vec<u8> {
        json!({ "type": kind, "challenge": challenge, "origin": self.origin, "crossOrigin": false }).to_string().into_bytes()
    }

    fn flags(&self) -> u8 {
        if self.verifies_user { UP | UV } else { UP }
    }

    /// `navigator.credentials.create` with the server's `registrationOptions`; the answer in
    /// the browser's `toJSON()` shape.
    pub fn register(&mut self, options: &Value) -> Value {
        let rp_id = options["rp"]["id"].as_str().expect("rp.id").to_owned();
        assert!(options["pubKeyCredParams"].as_array().unwrap().iter().any(|p| p["alg"] == -7), "ES256 offered");
        let rng = SystemRandom::new();
        let (id, pkcs8) = match self.credentials.first() {
            Some(first) if self.reuses_credential => (first.id.clone(), first.pkcs8.clone()),
            _ => {
                let excluded: Vec<Vec<u8>> = options["excludeCredentials"].as_array().map(|l| l.iter().map(|c| unb64(c["id"].as_str().unwrap())).collect()).unwrap_or_default();
                assert!(!self.credentials.iter().any(|c| excluded.contains(&c.id)), "InvalidStateError: this authenticator is already registered");
                let pkcs8 = EcdsaKeyPair::generate_pkcs8(&ECDSA_P256_SHA256_ASN1_SIGNING, &rng).unwrap().as_ref().to_vec();
                ((0..32).map(|_| rand_byte(&rng)).collect::<Vec<u8>>(), pkcs8)
            }
        };
        let key = EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_ASN1_SIGNING, &pkcs8, &rng).unwrap();
        let point = key.public_key().as_ref(); // 0x04 | x | y
        let cose = Cbor::Map(vec![
            (Cbor::Int(1), Cbor::Int(2)),   // kty: EC2
            (Cbor::Int(3), Cbor::Int(-7)),  // alg: ES256
            (Cbor::Int(-1), Cbor::Int(1)),  // crv: P-256
            (Cbor::Int(-2), Cbor::Bytes(point[1..33].to_vec())),
            (Cbor::Int(-3), Cbor::Bytes(point[33..65].to_vec())),
        ]);
        let mut auth_data = sha256(rp_id.as_bytes());
        auth_data.push(self.flags() | AT);
        auth_data.extend(0u32.to_be_bytes());
        auth_data.extend([0u8; 16]); // AAGUID
        auth_data.extend((id.len() as u16).to_be_bytes());
        auth_data.extend(&id);
        cose.encode(&mut auth_data);
        let mut attestation = Vec::new();
        Cbor::Map(vec![(Cbor::Text("fmt"), Cbor::Text("none")), (Cbor::Text("attStmt"), Cbor::Map(vec![])), (Cbor::Text("authData"), Cbor::Bytes(auth_data))])
            .encode(&mut attestation);
        let client_data = self.client_data("webauthn.create", options["challenge"].as_str().expect("challenge"));
        let user_handle = unb64(options["user"]["id"].as_str().expect("user.id"));
        self.credentials.push(Credential { id: id.clone(), pkcs8, rp_id, user_handle, counter: 0 });
        json!({
            "id": b64(&id),
            "rawId": b64(&id),
            "type": "public-key",
            "authenticatorAttachment": "platform",
            "response": { "clientDataJSON": b64(&client_data), "attestationObject": b64(&attestation), "transports": ["internal"] },
            "clientExtensionResults": { "credProps": { "rk": true } },
        })
    }

    /// `navigator.credentials.get` with the server's `authenticationOptions`: one of the
    /// allowed credentials, or (discoverable) any credential for the RP ID.
    pub fn authenticate(&mut self, options: &Value) -> Value {
        let rp_id = options["rpId"].as_str().expect("rpId").to_owned();
        let allowed: Vec<Vec<u8>> = options["allowCredentials"].as_array().map(|l| l.iter().map(|c| unb64(c["id"].as_str().unwrap())).collect()).unwrap_or_default();
        let flags = self.flags();
        let client_data = self.client_data("webauthn.get", options["challenge"].as_str().expect("challenge"));
        let credential = self
            .credentials
            .iter_mut()
            .find(|c| c.rp_id == rp_id && (allowed.is_empty() || allowed.contains(&c.id)))
            .expect("NotAllowedError: no credential for this request");
        credential.counter += 1;
        let mut auth_data = sha256(rp_id.as_bytes());
        auth_data.push(flags);
        auth_data.extend(credential.counter.to_be_bytes());
        let mut signed = auth_data.clone();
        signed.extend(sha256(&client_data));
        let rng = SystemRandom::new();
        let key = EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_ASN1_SIGNING, &credential.pkcs8, &rng).unwrap();
        let signature = key.sign(&rng, &signed).unwrap();
        json!({
            "id": b64(&credential.id),
            "rawId": b64(&credential.id),
            "type": "public-key",
            "authenticatorAttachment": "platform",
            "response": {
                "clientDataJSON": b64(&client_data),
                "authenticatorData": b64(&auth_data),
                "signature": b64(signature.as_ref()),
                "userHandle": b64(&credential.user_handle),
            },
            "clientExtensionResults": {},
        })
    }
}

fn rand_byte(rng: &SystemRandom) -> u8 {
    let mut byte = [0u8; 1];
    ring::rand::SecureRandom::fill(rng, &mut byte).unwrap();
    byte[0]
}
