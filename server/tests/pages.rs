//! The real router, over HTTP: health check, the hosted sign-in page and its languages.

mod common;

use common::TestServer;
use reqwest::header::{ACCEPT_LANGUAGE, CONTENT_TYPE, LOCATION};

#[tokio::test]
async fn status_answers_no_content() {
    let server = TestServer::on_sqlite().await;
    let response = server.http.get(server.url("/api/status")).send().await.unwrap();
    assert_eq!(response.status(), 204);
}

#[tokio::test]
async fn status_answers_on_postgres_too() {
    let Some(server) = TestServer::on_postgres().await else { return };
    let response = server.http.get(server.url("/api/status")).send().await.unwrap();
    assert_eq!(response.status(), 204);
}

#[tokio::test]
async fn sign_in_page_renders_in_english_by_default() {
    let server = TestServer::on_sqlite().await;
    let browser = server.browser_in_interaction().await;
    let response = browser.get(server.url("/sign-in")).send().await.unwrap();
    assert_eq!(response.status(), 200);
    assert!(response.headers()[CONTENT_TYPE].to_str().unwrap().starts_with("text/html"));
    let html = response.text().await.unwrap();
    assert!(html.contains(r#"<html lang="en""#), "{html}");
    assert!(html.contains("Sign in to your account"));
    assert!(html.contains(r#"name="password""#));
    let build = server.state.bundle.build.to_string();
    assert!(html.contains(&format!("/pkg/{build}/vestibule.js")), "the hydration script is linked");
}

#[tokio::test]
async fn sign_in_page_speaks_french_when_ui_locales_asks() {
    let server = TestServer::on_sqlite().await;
    let browser = server.browser_in_interaction().await;
    let html = browser.get(server.url("/sign-in?ui_locales=fr-CA%20en")).send().await.unwrap().text().await.unwrap();
    assert!(html.contains(r#"<html lang="fr""#));
    assert!(html.contains("Connectez-vous à votre compte"), "{html}");
}

#[tokio::test]
async fn sign_in_page_follows_accept_language_unless_ui_locales_says_otherwise() {
    let server = TestServer::on_sqlite().await;
    let browser = server.browser_in_interaction().await;
    let french = browser.get(server.url("/sign-in")).header(ACCEPT_LANGUAGE, "de;q=1, fr;q=0.8, en;q=0.5").send().await.unwrap().text().await.unwrap();
    assert!(french.contains("Mot de passe"));
    let english = browser.get(server.url("/sign-in?ui_locales=en")).header(ACCEPT_LANGUAGE, "fr").send().await.unwrap().text().await.unwrap();
    assert!(english.contains("Password") && !english.contains("Mot de passe"));
}

/// Someone who opens a hosted page directly (as `scripts/run.sh` invites) is told that
/// sign-in starts from an application, and can try one: the demo app's link runs a whole
/// authorization-code flow with PKCE and shows who signed in.
#[tokio::test]
async fn a_direct_visit_leads_to_the_demo_app_and_a_real_sign_in() {
    let server = TestServer::on_sqlite().await;
    identity::demo_app::DEMO_APP.ensure_registered(&server.state.provider).await.unwrap();
    server.user("ada", "a long enough password").await;
    let browser = server.browser();
    for page in ["/sign-in", "/register", "/reset-password"] {
        let html = browser.get(server.url(page)).send().await.unwrap().text().await.unwrap();
        assert!(html.contains("Sign-in starts from an application"), "{page}: {html}");
        assert!(html.contains(r#"href="/demo-app""#));
        assert!(html.contains(&format!("{}/oidc", server.base)), "the issuer to configure");
        assert!(!html.contains(r#"name="password""#), "no form that can only fail");
    }
    let french = browser.get(server.url("/sign-in?ui_locales=fr")).send().await.unwrap().text().await.unwrap();
    assert!(french.contains("La connexion commence dans une application"));

    let started = browser.get(server.url("/demo-app")).send().await.unwrap();
    assert_eq!(started.status(), 303);
    let authorize = started.headers()[LOCATION].to_str().unwrap().to_owned();
    assert!(authorize.starts_with(&format!("{}/oidc/auth?client_id=demo-app&", server.base)), "{authorize}");
    assert!(authorize.contains("code_challenge_method=S256"));
    let sign_in_page = server.begin(&browser, &authorize).await;
    assert!(sign_in_page.contains("/sign-in"), "{sign_in_page}");
    let html = browser.get(server.url("/sign-in")).send().await.unwrap().text().await.unwrap();
    assert!(html.contains(r#"name="password""#), "inside the demo app's sign-in, the form is there");
    let signed_in = browser.post(server.url("/sign-in")).form(&[("identifier", "ada"), ("password", "a long enough password")]).send().await.unwrap();
    let mut next = signed_in.headers()[LOCATION].to_str().unwrap().to_owned();
    // Follow the provider's redirects back to the demo app's callback.
    while !next.contains("/demo-app/callback") {
        let url = if next.starts_with("http") { next.clone() } else { server.url(&next) };
        let response = browser.get(url).send().await.unwrap();
        next = response.headers()[LOCATION].to_str().expect("a redirect").to_owned();
    }
    let landing = browser.get(&next).send().await.unwrap();
    assert_eq!(landing.status(), 200);
    assert!(landing.headers()["content-security-policy"].to_str().unwrap().contains("default-src 'none'"));
    let html = landing.text().await.unwrap();
    assert!(html.contains("You are signed in"), "{html}");
    assert!(html.contains(r#"data-claim="username">ada<"#), "{html}");
    // The callback is single-use: the same URL again proves nothing.
    let replay = browser.get(&next).send().await.unwrap().text().await.unwrap();
    assert!(replay.contains("did not finish"), "{replay}");
}

#[tokio::test]
async fn posting_the_form_without_an_interaction_explains_the_session_is_missing() {
    let server = TestServer::on_sqlite().await;
    let response = server
        .http
        .post(server.url("/sign-in"))
        .form(&[("username", "alice"), ("password", "secret-password"), ("locale", "fr")])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 303);
    let location = response.headers()[LOCATION].to_str().unwrap().to_owned();
    assert!(!location.contains("secret-password"));
    let html = server.http.get(server.url(&location)).send().await.unwrap().text().await.unwrap();
    assert!(html.contains(r#"data-error-code="session.not_found""#));
    assert!(html.contains("Cette session de connexion est introuvable"), "{html}");
}

#[tokio::test]
async fn unknown_pages_are_a_friendly_404() {
    let server = TestServer::on_sqlite().await;
    let response = server.http.get(server.url("/no-such-page")).send().await.unwrap();
    assert_eq!(response.status(), 404);
    assert!(response.text().await.unwrap().contains("This page does not exist"));
}

#[tokio::test]
async fn pages_are_compressed_when_the_client_accepts_it() {
    let server = TestServer::on_sqlite().await;
    let raw = reqwest::Client::builder().no_gzip().no_brotli().build().unwrap();
    let response = raw.get(server.url("/sign-in")).header("accept-encoding", "br, gzip").send().await.unwrap();
    assert_eq!(response.headers()["content-encoding"], "br");
}

#[tokio::test]
async fn the_bundle_is_cached_for_good_under_its_build_and_served_precompressed() {
    let site = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(site.path().join("pkg")).unwrap();
    let script = "export function hydrate() {}\n".repeat(200);
    std::fs::write(site.path().join("pkg/vestibule.js"), &script).unwrap();
    std::fs::write(site.path().join("pkg/vestibule.css"), "body{}").unwrap();
    std::fs::write(site.path().join("favicon.svg"), "<svg/>").unwrap();
    let root = site.path().to_owned();
    let server = TestServer::with_config(identity::testing::TestDatabase::sqlite().await, move |config| config.site_root = Some(root)).await;

    // Pages name the bundle by build; the build names the content.
    let html = server.http.get(server.url("/sign-in")).send().await.unwrap().text().await.unwrap();
    let build = html.split("/pkg/").nth(1).and_then(|rest| rest.split('/').next()).expect("a bundle link").to_owned();
    assert_eq!(build.len(), 16);
    assert!(html.contains(&format!(r#"href="/pkg/{build}/vestibule.css""#)), "{html}");
    let css = server.http.get(server.url(&format!("/pkg/{build}/vestibule.css"))).send().await.unwrap();
    assert_eq!(css.status(), 200);
    assert_eq!(css.headers()["cache-control"], "public, max-age=31536000, immutable");
    assert_eq!(css.headers()["content-type"], "text/css");

    // Compressed once in the background, then served from memory as brotli or gzip.
    let raw = reqwest::Client::builder().no_gzip().no_brotli().build().unwrap();
    let url = server.url(&format!("/pkg/{build}/vestibule.js"));
    let mut brotli = None;
    for _ in 0..300 {
        let response = raw.get(&url).header("accept-encoding", "gzip, br").send().await.unwrap();
        if response.headers().get("content-length").is_some() && response.headers()["content-encoding"] == "br" {
            brotli = Some(response);
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    let brotli = brotli.expect("the bundle was precompressed");
    assert_eq!(brotli.headers()["cache-control"], "public, max-age=31536000, immutable");
    assert_eq!(brotli.headers()["vary"], "accept-encoding");
    let compressed = brotli.bytes().await.unwrap();
    assert!(compressed.len() < script.len() / 10, "{} bytes for {}", compressed.len(), script.len());
    let gzip = raw.get(&url).header("accept-encoding", "gzip").send().await.unwrap();
    assert_eq!(gzip.headers()["content-encoding"], "gzip");
    let decoded = server.http.get(&url).send().await.unwrap().text().await.unwrap();
    assert_eq!(decoded, script, "what arrives is the file");

    // Without a build (or with another build's, from a page of the previous release) the file
    // is still served, but revalidated every use.
    let unversioned = server.http.get(server.url("/pkg/vestibule.css")).send().await.unwrap();
    assert_eq!(unversioned.status(), 200);
    assert_eq!(unversioned.headers()["cache-control"], "no-cache");
    let modified = unversioned.headers()["last-modified"].to_str().unwrap().to_owned();
    let again = server.http.get(server.url("/pkg/vestibule.css")).header("if-modified-since", modified).send().await.unwrap();
    assert_eq!(again.status(), 304, "unchanged files are revalidated cheaply");
    let other_build = server.http.get(server.url("/pkg/0123456789abcdef/vestibule.css")).send().await.unwrap();
    assert_eq!(other_build.headers()["cache-control"], "no-cache");

    let icon = server.http.get(server.url("/favicon.svg")).send().await.unwrap();
    assert_eq!(icon.status(), 200);
    assert_eq!(icon.headers()["cache-control"], "public, max-age=86400");
    assert_eq!(server.http.get(server.url(&format!("/pkg/{build}/missing.js"))).send().await.unwrap().status(), 404);
    assert_eq!(server.http.get(server.url("/pkg/../secret.key")).send().await.unwrap().status(), 404);
}

/// `organization_id` on the authorization request (spec §13): the sign-in pages show that
/// organization's logo instead of the sign-in experience's.
#[tokio::test]
async fn the_sign_in_page_wears_the_organizations_branding() {
    let server = TestServer::on_sqlite().await;
    server.app(identity::applications::AppType::Spa, "spa").await;
    let m = server.management_client().await;
    let branding = serde_json::json!({"name": "Acme", "branding": {"logoUrl": "https://acme.example/logo.svg", "darkLogoUrl": "https://acme.example/dark.svg"}});
    let (_, acme) = server.call(&m, "POST", "/api/organizations", Some(branding)).await;
    let browser = server.browser();
    let landing = server.begin(&browser, &server.auth_url("spa", &[("organization_id", acme["id"].as_str().unwrap())])).await;
    assert!(landing.contains("organization_id="), "{landing}");
    let html = browser.get(server.url(&landing)).send().await.unwrap().text().await.unwrap();
    assert!(html.contains("https://acme.example/logo.svg") && html.contains("https://acme.example/dark.svg"), "{html}");

    let plain = server.browser_in_interaction().await;
    let html = plain.get(server.url("/sign-in")).send().await.unwrap().text().await.unwrap();
    assert!(!html.contains("acme.example"), "without it, the sign-in experience's own branding");
}
