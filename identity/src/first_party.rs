//! Vestibule's own applications: first-party public clients it registers for itself and that
//! sign people in through the very same authorization-code flow with PKCE as any application
//! — the demo app (`/demo-app`), the account center (`/account`) and the organization
//! console (`/console`).

use sha2::{Digest, Sha256};

use crate::applications::{self, AppType, ApplicationError, NewApplication};
use crate::crypto;
use crate::oidc::grants::{self, TokenRequest, TokenResponse};
use crate::oidc::{ClientAuthentication, OidcError, Provider};

pub struct FirstPartyClient {
    pub id: &'static str,
    pub name: &'static str,
    pub description: &'static str,
    /// Where it lives: `<path>` starts a sign-in, `<path>/callback` takes the code back.
    pub path: &'static str,
    pub scopes: &'static str,
    /// Whether every visit shows the sign-in pages, even with a live session.
    pub always_prompt: bool,
}

/// A sign-in a first-party client started: where to send the browser, and what it must keep
/// (in a cookie) to finish: the `state` it expects back and its PKCE verifier.
pub struct Started {
    pub authorization_url: String,
    pub state: String,
    pub verifier: String,
}

impl FirstPartyClient {
    pub fn callback_uri(&self, endpoint: &str) -> String {
        format!("{endpoint}{}/callback", self.path)
    }

    fn start_uri(&self, endpoint: &str) -> String {
        format!("{endpoint}{}", self.path)
    }

    /// Registers the client, or points it at the current public endpoint (which an operator
    /// may have changed since it was registered).
    pub async fn ensure_registered(&self, provider: &Provider) -> Result<(), ApplicationError> {
        let endpoint = &provider.endpoint;
        let wanted = NewApplication {
            id: Some(self.id.to_owned()),
            name: self.name.to_owned(),
            app_type: AppType::Spa,
            secret: None,
            redirect_uris: vec![self.callback_uri(endpoint)],
            post_logout_redirect_uris: vec![self.start_uri(endpoint)],
            cors_allowed_origins: vec![],
            is_third_party: false,
            id_token_alg: None,
            description: Some(self.description.to_owned()),
        };
        if let Some(existing) = applications::find(&provider.store, self.id).await? {
            if existing.redirect_uris == wanted.redirect_uris && existing.post_logout_redirect_uris == wanted.post_logout_redirect_uris {
                return Ok(());
            }
        }
        applications::create_or_update(&provider.store, provider.clock.as_ref(), wanted).await?;
        Ok(())
    }

    pub fn start(&self, endpoint: &str) -> Started {
        self.start_with(endpoint, &[])
    }

    /// A sign-in with more authorization parameters (a magic link's `one_time_token` and
    /// `login_hint`).
    pub fn start_with(&self, endpoint: &str, extra: &[(&str, &str)]) -> Started {
        let state = crypto::random_token();
        let verifier = crypto::random_token();
        let challenge = crypto::base64url(&Sha256::digest(verifier.as_bytes()));
        let mut query = form_urlencoded::Serializer::new(String::new());
        query
            .append_pair("client_id", self.id)
            .append_pair("redirect_uri", &self.callback_uri(endpoint))
            .append_pair("response_type", "code")
            .append_pair("scope", self.scopes)
            .append_pair("state", &state)
            .append_pair("code_challenge", &challenge)
            .append_pair("code_challenge_method", "S256");
        if self.always_prompt {
            query.append_pair("prompt", "login");
        }
        query.extend_pairs(extra);
        Started { authorization_url: format!("{endpoint}/oidc/auth?{}", query.finish()), state, verifier }
    }

    /// Exchanges the code as any public client would.
    pub async fn finish(&self, provider: &Provider, code: &str, verifier: &str) -> Result<TokenResponse, OidcError> {
        let request = TokenRequest {
            grant_type: Some("authorization_code".to_owned()),
            code: Some(code.to_owned()),
            redirect_uri: Some(self.callback_uri(&provider.endpoint)),
            code_verifier: Some(verifier.to_owned()),
            ..TokenRequest::default()
        };
        let auth = ClientAuthentication { client_id: Some(self.id.to_owned()), client_secret: None, basic: false };
        grants::exchange(provider, &auth, request).await
    }
}
