//! Several nodes on one database behave as one: a signing key rotated in on one node is
//! published everywhere before anyone signs with it, first-run set-up happens once however
//! many nodes start together, and a security setting changed on one node holds on the
//! others at once.

mod common;

use std::time::Duration;

use identity::management::{bootstrap_on_first_run, ManagementClient, DEFAULT_INDICATOR};
use identity::oidc::keys::{Activation, PUBLISH_AHEAD};
use serde_json::{json, Value};

async fn management_token(node: &common::TestServer, client: &ManagementClient) -> String {
    common::management_token_at(&node.base, &client.id, &client.secret).await.unwrap_or_else(|answer| panic!("no token: {answer}"))
}

/// What `GET /api/users` answers `node` with `token`.
async fn users_status(node: &common::TestServer, token: &str) -> u16 {
    node.http.get(node.url("/api/users")).bearer_auth(token).send().await.unwrap().status().as_u16()
}

fn kid(token: &str) -> String {
    jsonwebtoken::decode_header(token).unwrap().kid.unwrap()
}

async fn published_kids(node: &common::TestServer) -> Vec<String> {
    node.jwks().await["keys"].as_array().unwrap().iter().map(|k| k["kid"].as_str().unwrap().to_owned()).collect()
}

fn advance(nodes: &[&common::TestServer], by: Duration) {
    for node in nodes {
        node.clock.advance_ms(by.as_millis() as i64);
    }
}

on_both_databases! {
    async fn a_rotated_key_is_published_on_every_node_before_any_node_signs_with_it(a) {
        let b = a.peer_node().await;
        let client = bootstrap_on_first_run(&a.state.store, &a.clock, DEFAULT_INDICATOR).await.unwrap().unwrap();
        let old_kid = kid(&management_token(&a, &client).await);

        let new_kid = a.state.provider.keys.rotate(&a.clock, Activation::Scheduled).await.unwrap().remove(0);
        assert_eq!(published_kids(&a).await, [new_kid.clone(), old_kid.clone()], "published at once, beside the current key");
        for node in [&a, &b] {
            let token = management_token(node, &client).await;
            assert_eq!(kid(&token), old_kid, "nobody signs with the new key yet");
            assert_eq!((users_status(&a, &token).await, users_status(&b, &token).await), (200, 200));
        }
        // The other node publishes it within its key cache's minute: long before it signs.
        advance(&[&a, &b], Duration::from_secs(61));
        assert!(published_kids(&b).await.contains(&new_kid));

        advance(&[&a, &b], PUBLISH_AHEAD - Duration::from_secs(61));
        let (from_a, from_b) = (management_token(&a, &client).await, management_token(&b, &client).await);
        assert_eq!((kid(&from_a), kid(&from_b)), (new_kid.clone(), new_kid.clone()), "both switch at the same instant");
        for token in [&from_a, &from_b] {
            assert_eq!((users_status(&a, token).await, users_status(&b, token).await), (200, 200));
        }
        assert_eq!(published_kids(&b).await, [new_kid, old_kid], "the previous key stays published");
    }

    async fn a_key_rotated_in_at_once_is_found_by_the_node_that_has_not_loaded_it(a) {
        let b = a.peer_node().await;
        let client = bootstrap_on_first_run(&a.state.store, &a.clock, DEFAULT_INDICATOR).await.unwrap().unwrap();
        assert_eq!(users_status(&b, &management_token(&b, &client).await).await, 200, "b has loaded the keys");
        let c = a.peer_node().await;
        assert_eq!(published_kids(&c).await.len(), 1, "c has loaded the keys");

        // A compromised key: the new one signs now, before b's cache would reload.
        let new_kid = a.state.provider.keys.rotate(&a.clock, Activation::Immediate).await.unwrap().remove(0);
        let token = management_token(&a, &client).await;
        assert_eq!(kid(&token), new_kid);
        assert_eq!(users_status(&b, &token).await, 200, "an unknown kid makes b reload the keys");
        c.clock.advance_ms(1_000);
        assert!(published_kids(&c).await.contains(&new_kid), "every node's JWKS has it within a second: a relying party refetching on the new kid finds it");

        // A kid nobody issued is refused (and does not reload on every request).
        let forged = jsonwebtoken::encode(
            &jsonwebtoken::Header { kid: Some("no-such-key".into()), ..jsonwebtoken::Header::new(jsonwebtoken::Algorithm::HS256) },
            &json!({"sub": client.id}),
            &jsonwebtoken::EncodingKey::from_secret(b"guess"),
        ).unwrap();
        for _ in 0..3 {
            assert_eq!(users_status(&b, &forged).await, 401);
        }
    }

    async fn nodes_starting_together_on_an_empty_database_create_one_management_client(a) {
        let b = a.peer_node().await;
        let c = a.peer_node().await;
        let (x, y, z) = tokio::join!(
            bootstrap_on_first_run(&a.state.store, &a.clock, DEFAULT_INDICATOR),
            bootstrap_on_first_run(&b.state.store, &b.clock, DEFAULT_INDICATOR),
            bootstrap_on_first_run(&c.state.store, &c.clock, DEFAULT_INDICATOR),
        );
        let created: Vec<ManagementClient> = [x, y, z].into_iter().map(|r| r.expect("no node fails")).flatten().collect();
        assert_eq!(created.len(), 1, "exactly one node created a client");
        let apps: Value = a.http.get(a.url("/api/applications")).bearer_auth(management_token(&b, &created[0]).await).send().await.unwrap().json().await.unwrap();
        let machine = apps.as_array().unwrap().iter().filter(|app| app["type"] == "MachineToMachine").count();
        assert_eq!(machine, 1, "one Management API client: {apps}");
        assert!(bootstrap_on_first_run(&c.state.store, &c.clock, DEFAULT_INDICATOR).await.unwrap().is_none(), "and none later");
    }

    async fn a_sign_in_mode_changed_on_one_node_holds_on_the_other_at_once(a) {
        let b = a.peer_node().await;
        let client = bootstrap_on_first_run(&a.state.store, &a.clock, DEFAULT_INDICATOR).await.unwrap().unwrap();
        // b has the sign-in experience cached: it just let a registration start.
        let register = |event: &str| json!({"interactionEvent": event});
        let browser = b.browser_in_interaction().await;
        b.call(&browser, "PUT", "/api/experience", Some(register("SignIn"))).await;
        assert_eq!(b.call(&browser, "PUT", "/api/experience/interaction-event", Some(register("Register"))).await.0, 204);

        let token = management_token(&a, &client).await;
        let patched = a.http.patch(a.url("/api/sign-in-exp")).bearer_auth(&token).json(&json!({"signInMode": "SignIn"})).send().await.unwrap();
        assert_eq!(patched.status(), 200);

        let browser = b.browser_in_interaction().await;
        b.call(&browser, "PUT", "/api/experience", Some(register("SignIn"))).await;
        let (status, body) = b.call(&browser, "PUT", "/api/experience/interaction-event", Some(register("Register"))).await;
        assert_eq!((status, body["code"].as_str()), (403, Some("auth.forbidden")), "{body}");
    }

    async fn two_administrators_changing_different_settings_at_once_both_keep_their_change(a) {
        let b = a.peer_node().await;
        let (mode, policy) = (json!({"signInMode": "SignIn"}), json!({"passwordPolicy": {"length": {"min": 12, "max": 256}}}));
        let (x, y) = tokio::join!(
            identity::sign_in_experience::update(&a.state.store, &a.clock, &mode),
            identity::sign_in_experience::update(&b.state.store, &b.clock, &policy),
        );
        x.unwrap();
        y.unwrap();
        let stored = identity::sign_in_experience::load(&a.state.store).await.unwrap();
        let stored = serde_json::to_value(stored).unwrap();
        assert_eq!((&stored["signInMode"], &stored["passwordPolicy"]["length"]["min"]), (&json!("SignIn"), &json!(12)), "{stored}");
    }
}
