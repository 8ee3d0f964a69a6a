//! OpenID Connect Back-Channel Logout 1.0: every kind of session end posts a signed
//! `logout_token` to each application that was in the session, from a queue in the
//! database, with bounded retries. The receivers are real HTTP servers on loopback.

mod common;

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::post;
use axum::{Form, Router};
use common::TestServer;
use identity::applications::AppType;
use identity::clock::Clock;
use serde_json::{json, Value};

const PASSWORD: &str = "correct horse";
const EVENT: &str = "http://schemas.openid.net/event/backchannel-logout";

/// How a receiver answers: these statuses in turn, then 200; `hang` never answers.
#[derive(Default)]
struct Script {
    statuses: VecDeque<u16>,
    hang: bool,
}

#[derive(Clone, Default)]
struct Receiver {
    tokens: Arc<Mutex<Vec<String>>>,
    script: Arc<Mutex<Script>>,
}

impl Receiver {
    async fn start(script: Script) -> (Self, String) {
        let receiver = Receiver { script: Arc::new(Mutex::new(script)), ..Receiver::default() };
        let app = Router::new().route("/logout", post(receive)).with_state(receiver.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://127.0.0.1:{}/logout", listener.local_addr().unwrap().port());
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        (receiver, url)
    }

    fn received(&self) -> Vec<String> {
        self.tokens.lock().unwrap().clone()
    }

    /// Waits (real time) until `count` tokens arrived.
    async fn wait_for(&self, count: usize) -> Vec<String> {
        for _ in 0..200 {
            if self.received().len() >= count {
                return self.received();
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("expected {count} logout tokens, got {}", self.received().len());
    }
}

async fn receive(State(receiver): State<Receiver>, Form(form): Form<Vec<(String, String)>>) -> StatusCode {
    let token = form.into_iter().find(|(k, _)| k == "logout_token").map(|(_, v)| v).unwrap_or_default();
    receiver.tokens.lock().unwrap().push(token);
    let (hang, status) = {
        let mut script = receiver.script.lock().unwrap();
        (script.hang, script.statuses.pop_front().unwrap_or(200))
    };
    if hang {
        tokio::time::sleep(Duration::from_secs(3600)).await;
    }
    StatusCode::from_u16(status).unwrap()
}

/// An SPA whose back-channel logout URI is `uri`, through the Management API.
async fn app_with_receiver(server: &TestServer, m: &reqwest::Client, id: &str, uri: &str, session_required: bool) {
    server.app(AppType::Spa, id).await;
    let metadata = json!({"oidcClientMetadata": {"backchannelLogoutUri": uri, "backchannelLogoutSessionRequired": session_required}});
    let (status, body) = server.call(m, "PATCH", &format!("/api/applications/{id}"), Some(metadata)).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["oidcClientMetadata"]["backchannelLogoutUri"], json!(uri));
    server.state.provider.caches.applications.clear();
}

/// Signs `username` in to `client_id` in `browser`; the ID token's claims.
async fn signed_in(server: &TestServer, browser: &reqwest::Client, client_id: &str, username: &str) -> Value {
    let code = server.authorize(browser, client_id, username, PASSWORD, &[]).await;
    let tokens = server.exchange_code(client_id, &code).await;
    server.verify_jwt(tokens["id_token"].as_str().unwrap(), client_id).await
}

/// A logout token checked as the spec says (§2.4): signed by us for the application, the
/// event, no nonce, `typ` logout+jwt.
async fn verified(server: &TestServer, token: &str, client_id: &str) -> Value {
    let header = jsonwebtoken::decode_header(token).unwrap();
    assert_eq!(header.typ.as_deref(), Some("logout+jwt"));
    let claims = server.verify_jwt(token, client_id).await;
    assert_eq!(claims["iss"], json!(server.issuer()));
    assert_eq!(claims["events"], json!({ EVENT: {} }));
    assert!(claims.get("nonce").is_none() && claims["jti"].is_string() && claims["iat"].is_i64(), "{claims}");
    claims
}

async fn queued(server: &TestServer) -> i64 {
    sqlx::query_scalar("SELECT COUNT(*) FROM backchannel_logouts").fetch_one(server.state.store.pool()).await.unwrap()
}

on_both_databases! {
    async fn ending_the_session_notifies_each_application_that_was_in_it(server) {
        let m = server.management_client().await;
        let (with_sid, with_sid_uri) = Receiver::start(Script::default()).await;
        let (without_sid, without_sid_uri) = Receiver::start(Script::default()).await;
        app_with_receiver(&server, &m, "mail", &with_sid_uri, true).await;
        app_with_receiver(&server, &m, "calendar", &without_sid_uri, false).await;
        app_with_receiver(&server, &m, "unused", &without_sid_uri, false).await;
        let alice = server.user("alice", PASSWORD).await;
        let browser = server.browser();
        let id_token = signed_in(&server, &browser, "mail", "alice").await;
        // The second application joins the same session (single sign-on).
        let location = server.begin(&browser, &server.auth_url("calendar", &[])).await;
        assert!(location.starts_with(common::REDIRECT), "{location}");

        let discovery: Value = server.http.get(server.url("/oidc/.well-known/openid-configuration")).send().await.unwrap().json().await.unwrap();
        assert_eq!((&discovery["backchannel_logout_supported"], &discovery["backchannel_logout_session_supported"]), (&json!(true), &json!(true)));

        let page = browser.get(server.url("/oidc/session/end")).send().await.unwrap().text().await.unwrap();
        let xsrf = page.split(r#"name="xsrf" value=""#).nth(1).and_then(|rest| rest.split('"').next()).unwrap().to_owned();
        let confirmed = browser.post(server.url("/oidc/session/end/confirm")).form(&[("xsrf", xsrf.as_str()), ("logout", "yes")]).send().await.unwrap();
        assert_eq!(confirmed.status(), 303);

        let tokens = with_sid.wait_for(1).await;
        let claims = verified(&server, &tokens[0], "mail").await;
        assert_eq!((&claims["sub"], &claims["sid"], &claims["aud"]), (&json!(alice), &id_token["sid"], &json!("mail")));
        let tokens = without_sid.wait_for(1).await;
        let claims = verified(&server, &tokens[0], "calendar").await;
        assert!(claims.get("sid").is_none(), "sid only when the application requires it: {claims}");
        assert_eq!(claims["sub"], json!(alice));
        tokio::time::sleep(Duration::from_millis(300)).await;
        assert_eq!(without_sid.received().len(), 1, "the unused application was not in the session");
        assert_eq!(queued(&server).await, 0, "delivered notifications leave the queue");
    }

    async fn every_kind_of_session_end_notifies(server) {
        let m = server.management_client().await;
        let (receiver, uri) = Receiver::start(Script::default()).await;
        app_with_receiver(&server, &m, "mail", &uri, true).await;
        let mut expected = 0;
        let mut end = async |what: &str, user: &str, ended: &dyn Fn(String, String) -> (String, String, Option<Value>)| {
            let id = server.user(user, PASSWORD).await;
            let browser = server.browser();
            let claims = signed_in(&server, &browser, "mail", user).await;
            let sid = claims["sid"].as_str().unwrap().to_owned();
            let (method, path, body) = ended(id.clone(), sid.clone());
            let (status, answer) = server.call(&m, &method, &path, body).await;
            assert!(status < 300, "{what}: {status} {answer}");
            expected += 1;
            let tokens = receiver.wait_for(expected).await;
            let claims = verified(&server, &tokens[expected - 1], "mail").await;
            assert_eq!((&claims["sub"], &claims["sid"]), (&json!(id), &json!(sid)), "{what}");
        };
        end("an operator ends the session", "bob", &|id, sid| ("DELETE".into(), format!("/api/users/{id}/sessions/{sid}"), None)).await;
        end("suspension", "carol", &|id, _| ("PATCH".into(), format!("/api/users/{id}/is-suspended"), Some(json!({"isSuspended": true})))).await;
        end("account deletion", "dave", &|id, _| ("DELETE".into(), format!("/api/users/{id}"), None)).await;
    }

    async fn a_receiver_that_fails_gets_bounded_retries(server) {
        let m = server.management_client().await;
        // Fails twice, then accepts.
        let (flaky, flaky_uri) = Receiver::start(Script { statuses: VecDeque::from([500, 503]), hang: false }).await;
        // Never accepts.
        let (down, down_uri) = Receiver::start(Script { statuses: VecDeque::from([500; 20]), hang: false }).await;
        app_with_receiver(&server, &m, "flaky", &flaky_uri, false).await;
        app_with_receiver(&server, &m, "down", &down_uri, false).await;
        let erin = server.user("erin", PASSWORD).await;
        let browser = server.browser();
        let claims = signed_in(&server, &browser, "flaky", "erin").await;
        let location = server.begin(&browser, &server.auth_url("down", &[])).await;
        assert!(location.starts_with(common::REDIRECT));
        let uid = claims["sid"].as_str().unwrap();
        assert_eq!(server.call(&m, "DELETE", &format!("/api/users/{erin}/sessions/{uid}"), None).await.0, 204);

        down.wait_for(1).await;
        settled(&server, "down", 1).await;
        settled(&server, "flaky", 1).await;
        // Retries wait 1 s, 2 s, 4 s, 8 s (the server's clock): nothing is sent early.
        tokio::time::sleep(Duration::from_millis(1500)).await;
        assert_eq!((flaky.received().len(), down.received().len()), (1, 1), "no retry before its time");
        for (attempt, wait_ms) in [(2, 1_000), (3, 2_000), (4, 4_000), (5, 8_000)] {
            server.clock.advance_ms(wait_ms);
            down.wait_for(attempt).await;
            if attempt < 5 {
                settled(&server, "down", attempt as i64).await;
            }
            if attempt == 2 {
                settled(&server, "flaky", 2).await;
            }
        }
        let tokens = flaky.wait_for(3).await;
        assert_eq!(tokens.len(), 3, "delivered at the third attempt");
        verified(&server, &tokens[2], "flaky").await;
        // Five attempts, then given up: nothing left queued, nothing more sent.
        for _ in 0..100 {
            if queued(&server).await == 0 {
                break;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        assert_eq!(queued(&server).await, 0);
        server.clock.advance_ms(60_000);
        tokio::time::sleep(Duration::from_millis(1500)).await;
        assert_eq!(down.received().len(), 5);
    }

    async fn a_receiver_that_never_answers_holds_up_nobody(server) {
        let m = server.management_client().await;
        let (hung, hung_uri) = Receiver::start(Script { statuses: VecDeque::new(), hang: true }).await;
        let (healthy, healthy_uri) = Receiver::start(Script::default()).await;
        app_with_receiver(&server, &m, "hung", &hung_uri, false).await;
        app_with_receiver(&server, &m, "healthy", &healthy_uri, false).await;
        let frank = server.user("frank", PASSWORD).await;
        let browser = server.browser();
        signed_in(&server, &browser, "hung", "frank").await;
        server.begin(&browser, &server.auth_url("healthy", &[])).await;
        assert_eq!(server.call(&m, "PATCH", &format!("/api/users/{frank}/is-suspended"), Some(json!({"isSuspended": true}))).await.0, 200);
        hung.wait_for(1).await;
        healthy.wait_for(1).await;
        // The hung attempt times out (5 s) and is rescheduled with its error.
        let mut last_error: Option<String> = None;
        for _ in 0..80 {
            last_error = sqlx::query_scalar("SELECT last_error FROM backchannel_logouts WHERE client_id = 'hung'").fetch_optional(server.state.store.pool()).await.unwrap().flatten();
            if last_error.is_some() {
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        assert!(last_error.is_some(), "the timed-out attempt is recorded for a retry");
    }
}

/// Waits until `client_id`'s notification has had `attempts` attempts and is scheduled for
/// its retry (no longer claimed), so that moving the clock on means what the test says.
async fn settled(server: &TestServer, client_id: &str, attempts: i64) {
    for _ in 0..200 {
        let row: Option<(i64, i64)> = sqlx::query_as("SELECT attempts, next_attempt_at FROM backchannel_logouts WHERE client_id = $1")
            .bind(client_id)
            .fetch_optional(server.state.store.pool())
            .await
            .unwrap();
        if let Some((seen, next)) = row {
            if seen == attempts && next - server.clock.now_ms() < 20_000 {
                return;
            }
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    panic!("{client_id}: attempt {attempts} was not settled");
}
