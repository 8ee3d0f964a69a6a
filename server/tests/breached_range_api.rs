//! The optional online breached-password check: a k-anonymity range API (the shape of Have I
//! Been Pwned's) on loopback. Only the first five hex digits of the SHA-1 are sent.

use std::sync::{Arc, Mutex};

use axum::extract::Path;
use axum::routing::get;
use identity::passwords::breached::BreachedPasswords;

#[tokio::test]
async fn passwords_the_range_api_knows_are_breached() {
    // The API answers the suffixes of every breached password sharing the prefix.
    use sha1::{Digest, Sha1};
    let digest: String = Sha1::digest(b"Unlisted-But-Leaked-7").iter().map(|b| format!("{b:02X}")).collect();
    let (prefix, suffix) = digest.split_at(5);
    let asked: Arc<Mutex<Vec<String>>> = Arc::default();
    let (log, suffix) = (asked.clone(), suffix.to_owned());
    let app = axum::Router::new().route(
        "/range/{prefix}",
        get(move |Path(prefix): Path<String>| {
            log.lock().unwrap().push(prefix);
            let suffix = suffix.clone();
            async move { format!("0018A45C4D1DEF81644B54AB7F969B88D65:1\r\n{suffix}:42\r\n00D4F6E8FA6EECAD2A3AA415EEC418D38EC:0") }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });

    let check = BreachedPasswords::with_range_api(&base);
    assert!(!check.contains("Unlisted-But-Leaked-7"), "not in the offline list");
    assert!(check.contains_anywhere("Unlisted-But-Leaked-7").await);
    assert!(!check.contains_anywhere("Another-Fine-Password-8").await);
    let asked = asked.lock().unwrap().clone();
    assert_eq!(asked[0], prefix, "only the prefix leaves the machine");
    assert!(asked.iter().all(|p| p.len() == 5));

    // An unreachable API does not block anyone.
    let offline = BreachedPasswords::with_range_api("http://127.0.0.1:9");
    assert!(!offline.contains_anywhere("Unlisted-But-Leaked-7").await);
}
