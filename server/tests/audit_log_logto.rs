//! The audit log as Logto's log tests read it (`packages/integration-tests/src/tests/api/
//! audit-logs/index.test.ts`, `audit-logs/time-window.test.ts`): an interaction's start and
//! end, token grants and revocations under Logto's log keys, and the `start_time` /
//! `end_time` window of `GET /api/logs`.

mod common;

use identity::applications::AppType;
use identity::clock::Clock;
use serde_json::Value;

async fn logs(server: &common::TestServer, management: &reqwest::Client, query: &str) -> (u16, Value, Option<String>) {
    let response = management.get(server.url(&format!("/api/logs?{query}"))).send().await.unwrap();
    let status = response.status().as_u16();
    let total = response.headers().get("total-number").map(|v| v.to_str().unwrap().to_owned());
    (status, response.json().await.unwrap(), total)
}

fn with_interaction<'a>(entries: &'a Value, uid: &str) -> Vec<&'a Value> {
    entries.as_array().unwrap().iter().filter(|e| e["payload"]["interactionId"] == uid).collect()
}

on_both_databases! {
    async fn an_interaction_is_logged_when_it_starts_and_when_it_ends(server) {
        server.app(AppType::Spa, "spa").await;
        let user = server.user("ada", "Correct-Horse-9").await;
        let management = server.management_client().await;
        let browser = server.browser();
        let before = server.clock.now_ms();
        server.begin(&browser, &server.auth_url("spa", &[])).await;
        // The interaction is named in the URL its submit sends the browser back to.
        let redirect_to = server.experience_sign_in(&browser, "ada", "Correct-Horse-9").await;
        let uid = redirect_to.rsplit('/').next().unwrap().to_owned();

        let (status, created, _) = logs(&server, &management, "logKey=Interaction.Create").await;
        assert_eq!(status, 200);
        let created = with_interaction(&created, &uid);
        assert_eq!(created.len(), 1, "one Interaction.Create for {uid}");
        assert_eq!(created[0]["payload"]["applicationId"], "spa");
        assert_eq!(created[0]["payload"]["result"], "Success");
        let (_, ended, _) = logs(&server, &management, "logKey=Interaction.End").await;
        assert!(with_interaction(&ended, &uid).is_empty(), "not ended before the code goes back");

        server.code_from(&browser, &redirect_to).await;
        let (_, ended, _) = logs(&server, &management, "logKey=Interaction.End").await;
        let ended = with_interaction(&ended, &uid);
        assert_eq!(ended.len(), 1);
        assert_eq!(ended[0]["payload"]["userId"], user.as_str());

        // The window is inclusive, and filters with the other parameters.
        let after = server.clock.now_ms();
        let (_, inside, _) = logs(&server, &management, &format!("logKey=Interaction.Create&start_time={}&end_time={}", before - 1000, after + 1000)).await;
        assert_eq!(with_interaction(&inside, &uid).len(), 1);
        let (_, earlier, _) = logs(&server, &management, &format!("logKey=Interaction.Create&end_time={}", before - 1)).await;
        assert!(with_interaction(&earlier, &uid).is_empty());
        let (_, later, _) = logs(&server, &management, &format!("logKey=Interaction.Create&start_time={}", after + 60_000)).await;
        assert!(with_interaction(&later, &uid).is_empty());
    }

    async fn the_time_window_is_checked(server) {
        let management = server.management_client().await;
        for bad in ["start_time=2000&end_time=1000", "start_time=abc", "end_time=NaN"] {
            let (status, body, _) = logs(&server, &management, bad).await;
            assert_eq!((status, body["code"].as_str()), (400, Some("guard.invalid_input")), "{bad}");
        }
        assert_eq!(logs(&server, &management, "start_time=1000&end_time=1000").await.0, 200, "equal bounds are a window");
        let (status, _, total) = logs(&server, &management, "page_size=5").await;
        assert_eq!(status, 200);
        assert!(total.is_some(), "Total-Number without a window");
    }

    async fn token_grants_and_revocations_are_logged_with_logtos_keys(server) {
        server.app(AppType::Spa, "spa").await;
        let user = server.user("ada", "Correct-Horse-9").await;
        let browser = server.browser();
        let code = server.authorize(&browser, "spa", "ada", "Correct-Horse-9", &[("scope", "openid offline_access"), ("prompt", "consent")]).await;
        let tokens = server.exchange_code("spa", &code).await;
        let refresh = tokens["refresh_token"].as_str().unwrap();
        let refreshed = server.token(&[("grant_type", "refresh_token"), ("client_id", "spa"), ("refresh_token", refresh)]).await;
        assert_eq!(refreshed.status(), 200);
        let revoked = server.http.post(server.url("/oidc/token/revocation")).form(&[("client_id", "spa"), ("token", refresh)]).send().await.unwrap();
        assert_eq!(revoked.status(), 200);
        server.clock.advance_ms(5);
        assert_eq!(server.token(&[("grant_type", "authorization_code"), ("client_id", "spa"), ("code", &code)]).await.status(), 400, "a spent code");
        let management = server.management_client().await;

        let (_, by_code, _) = logs(&server, &management, "logKey=ExchangeTokenBy.AuthorizationCode").await;
        let by_code = by_code.as_array().unwrap();
        assert_eq!(by_code.len(), 2, "{by_code:?}");
        // Newest first: the replayed code failed, with its OAuth error.
        assert_eq!(by_code[0]["payload"]["result"], "Error");
        assert_eq!(by_code[0]["payload"]["error"]["code"], "oidc.invalid_grant");
        assert_eq!(by_code[1]["payload"]["result"], "Success");
        assert_eq!(by_code[1]["payload"]["userId"], user.as_str());
        assert_eq!(by_code[1]["payload"]["applicationId"], "spa");

        let (_, by_refresh, _) = logs(&server, &management, &format!("logKey=ExchangeTokenBy.RefreshToken&userId={user}")).await;
        assert_eq!(by_refresh.as_array().unwrap().len(), 1);
        let (_, revocations, _) = logs(&server, &management, "logKey=RevokeToken&applicationId=spa").await;
        assert_eq!(revocations.as_array().unwrap().len(), 1);
        // The Management API's own token came by client credentials, and is logged too.
        let (_, machine, _) = logs(&server, &management, "logKey=ExchangeTokenBy.ClientCredentials").await;
        assert!(machine.as_array().unwrap().iter().any(|e| e["payload"]["result"] == "Success"));
        // Nothing about a grant reveals its tokens.
        let (_, everything, _) = logs(&server, &management, "page_size=100").await;
        assert!(!everything.to_string().contains(refresh), "no token in the log");
        assert!(!everything.to_string().contains(&code), "no code in the log");
    }
}
