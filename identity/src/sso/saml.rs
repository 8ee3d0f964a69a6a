//! The SAML 2.0 service provider (samael, with libxmlsec1 checking XML signatures). The
//! identity provider is described by its metadata — fetched from `metadataUrl`, given as
//! `metadata` XML, or built from `entityId`, `signInEndpoint` and `x509Certificate` — and
//! must name a signing certificate: an IdP whose answers cannot be verified signs nobody in.
//!
//! A sign-in sends an AuthnRequest by the HTTP-Redirect binding; the IdP posts its Response
//! back to our assertion consumer service. Every check the profile asks for is made before
//! anyone is signed in: the XML signature (over the Response or the Assertion, RSA or ECDSA
//! with SHA-2 only), the issuer, the audience (our entity id, required), the destination and
//! the subject confirmation's recipient (our ACS URL), `InResponseTo` (the request we sent,
//! unless the IdP started the sign-in), the time window with a small clock skew, and one use
//! only: each assertion's ID is recorded in the database until it expires, so a replay on any
//! node is refused.

use samael::crypto::AllowedSignatureAlgorithm;
use samael::metadata::{EntityDescriptor, HTTP_REDIRECT_BINDING};
use samael::schema::Assertion;
use samael::service_provider::ServiceProvider;
use serde_json::Value;

use super::{SsoConnector, SsoError, SsoUser};
use crate::oidc::Provider;
use crate::store::unique_violation;

/// How far the IdP's clock may be from ours.
const CLOCK_SKEW_SECONDS: i64 = 60;
/// How old an assertion may be when it arrives.
const MAX_ISSUE_DELAY_SECONDS: i64 = 300;
/// How long a used assertion ID is remembered when the assertion names no expiry.
const DEFAULT_REMEMBERED_MS: i64 = 10 * 60 * 1000;

/// Assertions carry the IdP's wall-clock times, which samael checks against the system
/// clock: their bookkeeping (replays, kept IdP-initiated assertions) uses the same clock.
pub(crate) fn wall_clock_ms() -> i64 {
    chrono::Utc::now().timestamp_millis()
}

/// Our addresses for this connector: what the IdP's administrator enters.
pub fn entity_id(endpoint: &str, connector_id: &str) -> String {
    format!("{endpoint}/enterprise-sso/{connector_id}")
}

pub fn acs_url(endpoint: &str, connector_id: &str) -> String {
    format!("{endpoint}/api/authn/single-sign-on/saml/{connector_id}")
}

fn invalid(message: impl Into<String>) -> SsoError {
    SsoError::InvalidConfig(message.into())
}

fn config_str<'a>(connector: &'a SsoConnector, key: &str) -> Option<&'a str> {
    connector.config.get(key).and_then(Value::as_str).map(str::trim).filter(|v| !v.is_empty())
}

fn xml_escape(value: &str) -> String {
    value.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

/// A certificate as metadata carries it: base64 DER, without PEM armour or whitespace.
fn bare_certificate(value: &str) -> String {
    value.lines().filter(|l| !l.starts_with("-----")).collect::<String>().split_whitespace().collect()
}

/// The IdP's metadata, from wherever the operator described it.
async fn idp_metadata(connector: &SsoConnector) -> Result<EntityDescriptor, SsoError> {
    let xml = if let Some(xml) = config_str(connector, "metadata") {
        xml.to_owned()
    } else if let Some(url) = config_str(connector, "metadataUrl") {
        let http = crate::social::http()?;
        let response = http.get(url).send().await.map_err(crate::social::upstream)?;
        if !response.status().is_success() {
            return Err(invalid(format!("the metadata URL answered {}", response.status())));
        }
        response.text().await.map_err(crate::social::upstream)?
    } else {
        let (Some(entity), Some(endpoint), Some(certificate)) = (config_str(connector, "entityId"), config_str(connector, "signInEndpoint"), config_str(connector, "x509Certificate")) else {
            return Err(SsoError::NotAvailable);
        };
        format!(
            r#"<md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" entityID="{}"><md:IDPSSODescriptor protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol"><md:KeyDescriptor use="signing"><ds:KeyInfo xmlns:ds="http://www.w3.org/2000/09/xmldsig#"><ds:X509Data><ds:X509Certificate>{}</ds:X509Certificate></ds:X509Data></ds:KeyInfo></md:KeyDescriptor><md:SingleSignOnService Binding="{HTTP_REDIRECT_BINDING}" Location="{}"/></md:IDPSSODescriptor></md:EntityDescriptor>"#,
            xml_escape(entity),
            xml_escape(&bare_certificate(certificate)),
            xml_escape(endpoint)
        )
    };
    xml.parse::<EntityDescriptor>().map_err(|_| invalid("the identity provider's metadata is not SAML metadata"))
}

async fn service_provider(provider: &Provider, connector: &SsoConnector, idp_initiated: bool) -> Result<ServiceProvider, SsoError> {
    let idp_metadata = idp_metadata(connector).await?;
    let sp = ServiceProvider {
        entity_id: Some(entity_id(&provider.endpoint, &connector.id)),
        acs_url: Some(acs_url(&provider.endpoint, &connector.id)),
        metadata_url: None,
        slo_url: None,
        idp_metadata,
        allow_idp_initiated: idp_initiated,
        max_issue_delay: chrono::Duration::seconds(MAX_ISSUE_DELAY_SECONDS),
        max_clock_skew: chrono::Duration::seconds(CLOCK_SKEW_SECONDS),
        allowed_signature_algorithms: Some(vec![
            AllowedSignatureAlgorithm::RsaSha256,
            AllowedSignatureAlgorithm::RsaSha384,
            AllowedSignatureAlgorithm::RsaSha512,
            AllowedSignatureAlgorithm::EcdsaSha256,
            AllowedSignatureAlgorithm::EcdsaSha384,
            AllowedSignatureAlgorithm::EcdsaSha512,
        ]),
        ..ServiceProvider::default()
    };
    // Without a signing certificate samael would take any answer as it comes.
    if !sp.idp_signing_certs().is_ok_and(|certs| certs.is_some_and(|c| !c.is_empty())) {
        return Err(invalid("the identity provider's metadata names no signing certificate"));
    }
    Ok(sp)
}

/// The IdP's sign-in address for this request (HTTP-Redirect binding) and the request's ID,
/// which its answer must name in `InResponseTo`.
pub async fn start(provider: &Provider, connector: &SsoConnector, relay_state: &str) -> Result<(String, String), SsoError> {
    let sp = service_provider(provider, connector, false).await?;
    let destination = sp.sso_binding_location(HTTP_REDIRECT_BINDING).ok_or_else(|| invalid("the identity provider has no HTTP-Redirect sign-in address"))?;
    let mut request = sp.make_authentication_request(&destination).map_err(|e| invalid(e.to_string()))?;
    // samael's own IDs are a random u32: ours cannot be guessed.
    request.id = format!("_{}", crate::crypto::random_token());
    let url = request.redirect(relay_state).map_err(|e| invalid(e.to_string()))?.ok_or_else(|| invalid("no sign-in address"))?;
    Ok((url.to_string(), request.id))
}

/// Checks the IdP's `SAMLResponse` (base64, from the HTTP-POST binding) for the request
/// `request_id` — or, with `None`, a sign-in the IdP started — and says who signed in. The
/// assertion is used up: the same one is refused from then on, on every node.
pub async fn read_response(provider: &Provider, connector: &SsoConnector, saml_response: &str, request_id: Option<&str>) -> Result<(SsoUser, i64), SsoError> {
    let sp = service_provider(provider, connector, request_id.is_none()).await?;
    let ids: Vec<&str> = request_id.into_iter().collect();
    let assertion = sp.parse_base64_response(saml_response.trim(), Some(&ids)).map_err(|e| SsoError::InvalidAssertion(e.to_string()))?;
    let audience = entity_id(&provider.endpoint, &connector.id);
    let for_us = assertion.conditions.as_ref().and_then(|c| c.audience_restrictions.as_ref()).is_some_and(|r| r.iter().any(|r| r.audience.iter().any(|a| *a == audience)));
    if !for_us {
        return Err(SsoError::InvalidAssertion("the assertion is not restricted to this service provider".into()));
    }
    let expires_at = assertion
        .conditions
        .as_ref()
        .and_then(|c| c.not_on_or_after)
        .map(|t| t.timestamp_millis() + CLOCK_SKEW_SECONDS * 1000)
        .unwrap_or_else(|| wall_clock_ms() + DEFAULT_REMEMBERED_MS);
    let user = user_of(connector, &assertion)?;
    record_use(provider, connector, &assertion.id, expires_at).await?;
    Ok((user, expires_at))
}

/// Who the assertion names: the NameID (or the mapped `id` attribute), the email and name
/// under the connector's attribute mapping (Logto's defaults: `nameID`, `email`, `name`).
fn user_of(connector: &SsoConnector, assertion: &Assertion) -> Result<SsoUser, SsoError> {
    let mapping = connector.config.get("attributeMapping").and_then(Value::as_object);
    let mapped = |field: &str, default: &str| mapping.and_then(|m| m.get(field)).and_then(Value::as_str).unwrap_or(default).to_owned();
    let attribute = |name: &str| {
        assertion
            .attribute_statements
            .iter()
            .flatten()
            .flat_map(|s| s.attributes.iter())
            .find(|a| a.name.as_deref() == Some(name) || a.friendly_name.as_deref() == Some(name))
            .and_then(|a| a.values.iter().find_map(|v| v.value.clone()))
            .map(|v| v.trim().to_owned())
            .filter(|v| !v.is_empty())
    };
    let name_id = assertion.subject.as_ref().and_then(|s| s.name_id.as_ref()).map(|n| n.value.trim().to_owned()).filter(|v| !v.is_empty());
    let id_field = mapped("id", "nameID");
    let id = if id_field == "nameID" { name_id } else { attribute(&id_field) };
    let id = id.ok_or_else(|| SsoError::InvalidAssertion("the assertion names nobody".into()))?;
    let issuer = assertion.issuer.value.clone().ok_or_else(|| SsoError::InvalidAssertion("the assertion has no issuer".into()))?;
    // The IdP vouches for the addresses it asserts (as Logto takes them).
    let email = attribute(&mapped("email", "email")).filter(|e| e.contains('@')).map(|e| e.to_lowercase());
    Ok(SsoUser { connector_id: connector.id.clone(), issuer, id, email, name: attribute(&mapped("name", "name")), avatar: None, tokens: None })
}

/// One use per assertion, across nodes: the ID's row is the proof it was used.
async fn record_use(provider: &Provider, connector: &SsoConnector, assertion_id: &str, expires_at: i64) -> Result<(), SsoError> {
    let now = wall_clock_ms();
    sqlx::query("DELETE FROM saml_assertions_used WHERE expires_at < $1").bind(now).execute(provider.store.pool()).await?;
    let inserted = sqlx::query("INSERT INTO saml_assertions_used (assertion_id, sso_connector_id, expires_at) VALUES ($1, $2, $3)")
        .bind(assertion_id)
        .bind(&connector.id)
        .bind(expires_at)
        .execute(provider.store.pool())
        .await;
    match inserted {
        Ok(_) => Ok(()),
        Err(err) if unique_violation(&err).is_some() => Err(SsoError::InvalidAssertion("this assertion was already used".into())),
        Err(err) => Err(err.into()),
    }
}
