//! How an application presents itself to the people it asks for consent (Logto's
//! `/api/applications/:id/sign-in-experience`): a display name, its logos and the links to
//! its terms and privacy policy.

use serde::Serialize;
use serde_json::{Map, Value};
use sqlx::Row;

use super::{find, ApplicationError};
use crate::store::Store;

#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ApplicationSignInExperience {
    pub application_id: String,
    pub display_name: Option<String>,
    /// `logoUrl`, `darkLogoUrl`.
    pub branding: Map<String, Value>,
    pub terms_of_use_url: Option<String>,
    pub privacy_policy_url: Option<String>,
}

/// What a `PUT` sets; `None` leaves a field as it is.
#[derive(Debug, Clone, Default)]
pub struct Changes {
    pub display_name: Option<String>,
    pub branding: Option<Map<String, Value>>,
    pub terms_of_use_url: Option<String>,
    pub privacy_policy_url: Option<String>,
}

pub async fn get(store: &Store, application_id: &str) -> Result<Option<ApplicationSignInExperience>, ApplicationError> {
    let row = sqlx::query("SELECT display_name, branding, terms_of_use_url, privacy_policy_url FROM application_sign_in_experiences WHERE application_id = $1")
        .bind(application_id)
        .fetch_optional(store.pool())
        .await?;
    let Some(row) = row else {
        return Ok(None);
    };
    let branding: String = row.try_get("branding")?;
    Ok(Some(ApplicationSignInExperience {
        application_id: application_id.to_owned(),
        display_name: row.try_get("display_name")?,
        branding: serde_json::from_str(&branding).unwrap_or_default(),
        terms_of_use_url: row.try_get("terms_of_use_url")?,
        privacy_policy_url: row.try_get("privacy_policy_url")?,
    }))
}

/// Creates or updates the application's presentation; links and logos must be http(s) URLs.
pub async fn put(store: &Store, application_id: &str, changes: Changes) -> Result<ApplicationSignInExperience, ApplicationError> {
    if find(store, application_id).await?.is_none() {
        return Err(ApplicationError::NotFound);
    }
    let web_url = |v: &str| url::Url::parse(v).is_ok_and(|u| matches!(u.scheme(), "http" | "https"));
    let links = [&changes.terms_of_use_url, &changes.privacy_policy_url].into_iter().flatten().map(String::as_str);
    let logos = changes.branding.iter().flat_map(|b| b.iter()).map(|(key, value)| match (key.as_str(), value.as_str()) {
        ("logoUrl" | "darkLogoUrl", Some(v)) => Some(v),
        _ => None,
    });
    for value in links.map(Some).chain(logos) {
        if !value.is_some_and(|v| v.is_empty() || web_url(v)) {
            return Err(ApplicationError::InvalidInput("branding holds logoUrl and darkLogoUrl, and links are http(s) URLs".into()));
        }
    }
    if changes.display_name.as_ref().is_some_and(|n| n.chars().count() > 256) {
        return Err(ApplicationError::InvalidInput("a display name has at most 256 characters".into()));
    }
    let mut current = get(store, application_id).await?.unwrap_or(ApplicationSignInExperience { application_id: application_id.to_owned(), ..Default::default() });
    let blank_is_none = |v: String| Some(v).filter(|v| !v.is_empty());
    if let Some(v) = changes.display_name {
        current.display_name = blank_is_none(v);
    }
    if let Some(v) = changes.branding {
        current.branding = v;
    }
    if let Some(v) = changes.terms_of_use_url {
        current.terms_of_use_url = blank_is_none(v);
    }
    if let Some(v) = changes.privacy_policy_url {
        current.privacy_policy_url = blank_is_none(v);
    }
    sqlx::query(
        "INSERT INTO application_sign_in_experiences (application_id, display_name, branding, terms_of_use_url, privacy_policy_url) VALUES ($1, $2, $3, $4, $5) \
         ON CONFLICT (application_id) DO UPDATE SET display_name = excluded.display_name, branding = excluded.branding, \
         terms_of_use_url = excluded.terms_of_use_url, privacy_policy_url = excluded.privacy_policy_url",
    )
    .bind(application_id)
    .bind(&current.display_name)
    .bind(Value::Object(current.branding.clone()).to_string())
    .bind(&current.terms_of_use_url)
    .bind(&current.privacy_policy_url)
    .execute(store.pool())
    .await?;
    Ok(current)
}
