//! The sign-in experience configuration (spec §1 `sign_in_experiences`, §14): who may
//! register, with which identifiers, how each identifier signs in, the password policy,
//! terms, branding and the protection limits. One `default` record, read at runtime through a
//! short-lived cache, changed as a whole document (CLI now, Management API later).

mod store;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::clock::Clock;
use crate::error::ErrorCode;
use crate::passwords::policy::PasswordPolicy;
use crate::store::Store;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
pub enum SignInMode {
    SignIn,
    Register,
    #[default]
    SignInAndRegister,
}

impl SignInMode {
    pub fn allows_registration(self) -> bool {
        self != SignInMode::SignIn
    }

    pub fn allows_sign_in(self) -> bool {
        self != SignInMode::Register
    }
}

/// An identifier a user can sign up or sign in with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum IdentifierKind {
    Username,
    Email,
    Phone,
}

/// A secondary sign-up identifier may also be "email or phone".
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum SecondaryIdentifierKind {
    Username,
    Email,
    Phone,
    EmailOrPhone,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SecondaryIdentifier {
    pub identifier: SecondaryIdentifierKind,
    #[serde(default)]
    pub verify: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SignUp {
    pub identifiers: Vec<IdentifierKind>,
    pub password: bool,
    pub verify: bool,
    #[serde(default)]
    pub secondary_identifiers: Vec<SecondaryIdentifier>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SignInMethod {
    pub identifier: IdentifierKind,
    pub password: bool,
    pub verification_code: bool,
    #[serde(default = "yes")]
    pub is_password_primary: bool,
}

fn yes() -> bool {
    true
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SignIn {
    pub methods: Vec<SignInMethod>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
pub enum AgreeToTermsPolicy {
    #[default]
    Automatic,
    ManualRegistrationOnly,
    Manual,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum ForgotPasswordMethod {
    EmailVerificationCode,
    PhoneVerificationCode,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub struct Branding {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub logo_url: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dark_logo_url: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Color {
    pub primary_color: String,
    #[serde(default)]
    pub is_dark_mode_enabled: bool,
    pub dark_primary_color: String,
}

impl Default for Color {
    fn default() -> Self {
        Self { primary_color: "#4F46E5".into(), is_dark_mode_enabled: true, dark_primary_color: "#818CF8".into() }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LanguageInfo {
    #[serde(default = "yes")]
    pub auto_detect: bool,
    pub fallback_language: String,
}

impl Default for LanguageInfo {
    fn default() -> Self {
        Self { auto_detect: true, fallback_language: "en".into() }
    }
}

/// Failed verifications an identifier may have within an hour, and how long it is then
/// locked (minutes).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SentinelPolicy {
    pub max_attempts: u32,
    pub lockout_duration: u32,
}

impl Default for SentinelPolicy {
    fn default() -> Self {
        Self { max_attempts: 100, lockout_duration: 60 }
    }
}

/// Codes live `expiration_duration` seconds and allow `max_retry_attempts` wrong guesses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct VerificationCodePolicy {
    pub expiration_duration: u32,
    pub max_retry_attempts: u32,
}

impl Default for VerificationCodePolicy {
    fn default() -> Self {
        Self { expiration_duration: 600, max_retry_attempts: 10 }
    }
}

/// Logto's sign-in experience fields that Vestibule keeps as given but does not act on yet,
/// so a configuration written for Logto (or by its Console) is accepted and read back whole.
/// Any other key is refused: a typo must not be silently ignored.
pub const STORED_LOGTO_FIELDS: [&str; 15] = [
    "id", "tenantId", "socialSignIn", "socialSignInConnectorTargets", "captchaPolicy", "emailBlocklistPolicy",
    "signUpProfileFields", "passwordExpiration", "usernamePolicy", "customContent", "customUiAssets", "supportEmail",
    "supportWebsiteUrl", "unknownSessionRedirectUrl", "adaptiveMfa",
];

/// The whole configuration, in the Management API's shape.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SignInExperience {
    pub sign_in_mode: SignInMode,
    pub sign_up: SignUp,
    pub sign_in: SignIn,
    pub password_policy: PasswordPolicy,
    pub sentinel_policy: SentinelPolicy,
    pub verification_code_policy: VerificationCodePolicy,
    /// `None`: every method whose connector exists.
    pub forgot_password_methods: Option<Vec<ForgotPasswordMethod>>,
    pub terms_of_use_url: Option<String>,
    pub privacy_policy_url: Option<String>,
    pub agree_to_terms_policy: AgreeToTermsPolicy,
    pub branding: Branding,
    pub color: Color,
    pub custom_css: Option<String>,
    pub language_info: LanguageInfo,
    /// MFA factors and policy (spec §6).
    #[serde(default)]
    pub mfa: crate::mfa::MfaSettings,
    #[serde(default)]
    pub single_sign_on_enabled: bool,
    /// Passkeys as a first factor (spec §6 "Passkey for sign-in").
    #[serde(default)]
    pub passkey_sign_in: PasskeySignIn,
    /// Vestibule's own: the sign-in page also offers "Email me a sign-in link" wherever an
    /// email address may sign in with a code (the link is a one-time token).
    #[serde(default)]
    pub magic_link_sign_in: bool,
    /// [`STORED_LOGTO_FIELDS`] as they were given.
    #[serde(flatten)]
    pub stored_logto_fields: serde_json::Map<String, Value>,
}

/// Whether people may sign in with a passkey instead of an identifier, and how the sign-in
/// page offers it: a button, browser autofill on the identifier field, or both.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub struct PasskeySignIn {
    #[serde(default)]
    pub enabled: bool,
    #[serde(default)]
    pub show_passkey_button: bool,
    #[serde(default)]
    pub allow_autofill: bool,
}

impl Default for SignInExperience {
    /// Username + password registration; sign-in by username and password, or by email with
    /// a password or a code (the dev outbox delivers codes when no connector is set).
    fn default() -> Self {
        Self {
            sign_in_mode: SignInMode::SignInAndRegister,
            sign_up: SignUp { identifiers: vec![IdentifierKind::Username], password: true, verify: false, secondary_identifiers: vec![] },
            sign_in: SignIn {
                methods: vec![
                    SignInMethod { identifier: IdentifierKind::Username, password: true, verification_code: false, is_password_primary: true },
                    SignInMethod { identifier: IdentifierKind::Email, password: true, verification_code: true, is_password_primary: true },
                ],
            },
            password_policy: PasswordPolicy::default(),
            sentinel_policy: SentinelPolicy::default(),
            verification_code_policy: VerificationCodePolicy::default(),
            forgot_password_methods: None,
            terms_of_use_url: None,
            privacy_policy_url: None,
            agree_to_terms_policy: AgreeToTermsPolicy::Automatic,
            branding: Branding::default(),
            color: Color::default(),
            custom_css: None,
            language_info: LanguageInfo::default(),
            mfa: crate::mfa::MfaSettings::default(),
            passkey_sign_in: PasskeySignIn::default(),
            magic_link_sign_in: false,
            single_sign_on_enabled: false,
            stored_logto_fields: serde_json::Map::new(),
        }
    }
}

/// A requirement on the profile a registered user must meet (`data.missingProfile`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum RequiredProfile {
    Username,
    Email,
    Phone,
    EmailOrPhone,
    Password,
}

impl SignInExperience {
    /// Logto's `usernamePolicy.caseSensitive` (default true): whether `Ada` and `ada` are two
    /// usernames. When false, sign-in finds `ada` by `ADA`, and registering `ADA` next to `ada`
    /// is `user.username_already_in_use`.
    /// Logto's `socialSignInConnectorTargets`: the social connectors the sign-in page offers, in
    /// this order. `None` until an operator sets it: then every configured connector is offered.
    pub fn social_sign_in_targets(&self) -> Option<Vec<String>> {
        let targets = self.stored_logto_fields.get("socialSignInConnectorTargets")?.as_array()?;
        Some(targets.iter().filter_map(Value::as_str).map(str::to_owned).collect())
    }

    /// Logto's `socialSignIn.automaticAccountLinking`: a social sign-in whose verified address
    /// belongs to an account links to it without asking.
    pub fn automatic_account_linking(&self) -> bool {
        self.stored_logto_fields.get("socialSignIn").and_then(|s| s.get("automaticAccountLinking")).and_then(Value::as_bool).unwrap_or(false)
    }

    pub fn usernames_case_sensitive(&self) -> bool {
        self.stored_logto_fields.get("usernamePolicy").and_then(|policy| policy.get("caseSensitive")).and_then(Value::as_bool).unwrap_or(true)
    }

    pub fn method(&self, identifier: IdentifierKind) -> Option<&SignInMethod> {
        self.sign_in.methods.iter().find(|m| m.identifier == identifier)
    }

    /// Whether a password or a code may sign this identifier in.
    pub fn allows_password_sign_in(&self, identifier: IdentifierKind) -> bool {
        self.method(identifier).is_some_and(|m| m.password)
    }

    /// Whether the sign-in page offers an emailed sign-in link.
    pub fn offers_sign_in_link(&self) -> bool {
        self.magic_link_sign_in && self.allows_code_sign_in(IdentifierKind::Email)
    }

    pub fn allows_code_sign_in(&self, identifier: IdentifierKind) -> bool {
        self.method(identifier).is_some_and(|m| m.verification_code)
    }

    /// Terms apply when at least one document is configured.
    pub fn has_terms(&self) -> bool {
        self.terms_of_use_url.is_some() || self.privacy_policy_url.is_some()
    }

    /// Whether registering needs an explicit "I agree".
    pub fn registration_needs_agreement(&self) -> bool {
        self.has_terms() && self.agree_to_terms_policy != AgreeToTermsPolicy::Automatic
    }

    pub fn sign_in_needs_agreement(&self) -> bool {
        self.has_terms() && self.agree_to_terms_policy == AgreeToTermsPolicy::Manual
    }

    /// Forgot-password by `kind` (email or phone codes); both have a connector, since the dev
    /// outbox stands in for a missing one.
    pub fn allows_password_reset_by(&self, kind: IdentifierKind) -> bool {
        let method = match kind {
            IdentifierKind::Email => ForgotPasswordMethod::EmailVerificationCode,
            IdentifierKind::Phone => ForgotPasswordMethod::PhoneVerificationCode,
            IdentifierKind::Username => return false,
        };
        self.forgot_password_methods.as_ref().is_none_or(|methods| methods.contains(&method))
    }

    /// What a registered user's profile must hold (spec §3 "Mandatory profile").
    pub fn required_profile(&self) -> Vec<RequiredProfile> {
        let mut required = Vec::new();
        let ids = &self.sign_up.identifiers;
        if ids.contains(&IdentifierKind::Username) {
            required.push(RequiredProfile::Username);
        } else if ids.contains(&IdentifierKind::Email) && ids.contains(&IdentifierKind::Phone) {
            required.push(RequiredProfile::EmailOrPhone);
        } else if ids.contains(&IdentifierKind::Email) {
            required.push(RequiredProfile::Email);
        } else if ids.contains(&IdentifierKind::Phone) {
            required.push(RequiredProfile::Phone);
        }
        for secondary in &self.sign_up.secondary_identifiers {
            let requirement = match secondary.identifier {
                SecondaryIdentifierKind::Username => RequiredProfile::Username,
                SecondaryIdentifierKind::Email => RequiredProfile::Email,
                SecondaryIdentifierKind::Phone => RequiredProfile::Phone,
                SecondaryIdentifierKind::EmailOrPhone => RequiredProfile::EmailOrPhone,
            };
            if !required.contains(&requirement) {
                required.push(requirement);
            }
        }
        if self.sign_up.password {
            required.push(RequiredProfile::Password);
        }
        required
    }

    /// The checks of `PATCH /api/sign-in-exp` (spec §14), run on every change.
    pub fn validate(&self) -> Result<(), SignInExperienceError> {
        use SignInExperienceError::*;
        if let Some(unknown) = self.stored_logto_fields.keys().find(|key| !STORED_LOGTO_FIELDS.contains(&key.as_str())) {
            return Err(InvalidInput(format!("unknown field `{unknown}`")));
        }
        for method in &self.sign_in.methods {
            if !method.password && !method.verification_code {
                return Err(AtLeastOneAuthenticationFactor);
            }
            if method.identifier == IdentifierKind::Username && !method.password {
                return Err(InvalidInput("username sign-in needs a password".into()));
            }
        }
        let mut seen = Vec::new();
        for id in &self.sign_up.identifiers {
            if seen.contains(id) {
                return Err(DuplicatedSignUpIdentifiers);
            }
            seen.push(*id);
        }
        let passwordless = !self.sign_up.password;
        if passwordless && !self.sign_up.identifiers.is_empty() && !self.sign_up.verify {
            return Err(PasswordlessRequiresVerify);
        }
        if self.sign_up.identifiers.contains(&IdentifierKind::Username) && passwordless {
            return Err(UsernameRequiresPassword);
        }
        if self.sign_up.verify && passwordless {
            for id in self.sign_up.identifiers.iter().filter(|id| **id != IdentifierKind::Username) {
                if !self.allows_code_sign_in(*id) {
                    return Err(CodeSignInMustBeEnabled);
                }
            }
        }
        self.password_policy.validate().map_err(|e| InvalidInput(e.into()))?;
        self.mfa.validate().map_err(InvalidInput)?;
        if self.sentinel_policy.max_attempts == 0 || self.sentinel_policy.lockout_duration == 0 {
            return Err(InvalidInput("sentinelPolicy values must be positive".into()));
        }
        let code = &self.verification_code_policy;
        if !(60..=86_400).contains(&code.expiration_duration) || !(1..=100).contains(&code.max_retry_attempts) {
            return Err(InvalidInput("verificationCodePolicy is out of range".into()));
        }
        for url in [&self.terms_of_use_url, &self.privacy_policy_url, &self.branding.logo_url, &self.branding.dark_logo_url].into_iter().flatten() {
            if !is_web_url(url) {
                return Err(InvalidInput(format!("'{url}' is not an http(s) URL")));
            }
        }
        for color in [&self.color.primary_color, &self.color.dark_primary_color] {
            if !is_hex_color(color) {
                return Err(InvalidInput(format!("'{color}' is not a #RRGGBB color")));
            }
        }
        // Custom CSS ends up inside a <style> element: it must not be able to close it.
        if self.custom_css.as_deref().is_some_and(|css| css.contains('<') || css.len() > 64 * 1024) {
            return Err(InvalidInput("customCss must not contain '<' and must be under 64 KiB".into()));
        }
        Ok(())
    }
}

fn is_web_url(value: &str) -> bool {
    url::Url::parse(value).is_ok_and(|u| matches!(u.scheme(), "http" | "https") && u.host().is_some()) && value.len() <= 2048
}

fn is_hex_color(value: &str) -> bool {
    value.len() == 7 && value.starts_with('#') && value[1..].chars().all(|c| c.is_ascii_hexdigit())
}

#[derive(Debug, thiserror::Error)]
pub enum SignInExperienceError {
    #[error("every sign-in method needs a password or a verification code")]
    AtLeastOneAuthenticationFactor,
    #[error("sign-up without a password must verify the identifier")]
    PasswordlessRequiresVerify,
    #[error("verified sign-up without a password needs code sign-in for that identifier")]
    CodeSignInMustBeEnabled,
    #[error("a sign-up identifier is listed twice")]
    DuplicatedSignUpIdentifiers,
    #[error("username sign-up needs a password")]
    UsernameRequiresPassword,
    #[error("invalid sign-in experience: {0}")]
    InvalidInput(String),
    #[error("storage failed: {0}")]
    Storage(#[from] sqlx::Error),
}

impl ErrorCode for SignInExperienceError {
    fn code(&self) -> &'static str {
        match self {
            Self::AtLeastOneAuthenticationFactor => "sign_in_experiences.at_least_one_authentication_factor",
            Self::PasswordlessRequiresVerify => "sign_in_experiences.passwordless_requires_verify",
            Self::CodeSignInMustBeEnabled => "sign_in_experiences.code_sign_in_must_be_enabled",
            Self::DuplicatedSignUpIdentifiers => "sign_in_experiences.duplicated_sign_up_identifiers",
            Self::UsernameRequiresPassword => "sign_in_experiences.username_requires_password",
            Self::InvalidInput(_) => "guard.invalid_input",
            Self::Storage(_) => "unexpected",
        }
    }
}

impl SignInExperience {
    /// This configuration with `patch` merged in (top-level keys replace; nested objects
    /// merge), if the result is valid.
    pub fn patched(&self, patch: &serde_json::Map<String, Value>) -> Result<SignInExperience, SignInExperienceError> {
        let mut merged = serde_json::to_value(self).expect("configuration serializes");
        merge(&mut merged, &Value::Object(patch.clone()));
        let next: SignInExperience = serde_json::from_value(merged).map_err(|e| SignInExperienceError::InvalidInput(e.to_string()))?;
        next.validate()?;
        Ok(next)
    }
}

/// The stored configuration, or the default before anyone changed it.
pub async fn load(store: &Store) -> Result<SignInExperience, SignInExperienceError> {
    Ok(load_versioned(store).await?.1)
}

/// The stored configuration with its version, which every change bumps.
pub async fn load_versioned(store: &Store) -> Result<(i64, SignInExperience), SignInExperienceError> {
    let mut conn = store.pool().acquire().await?;
    Ok(parse(store::find(&mut conn).await?))
}

/// The version of the stored configuration: equal to a cached copy's, the copy is current.
pub async fn version(store: &Store) -> Result<i64, SignInExperienceError> {
    Ok(store::version(store).await?)
}

fn parse(found: Option<(String, i64)>) -> (i64, SignInExperience) {
    match found {
        Some((json, version)) => (version, serde_json::from_str(&json).unwrap_or_default()),
        None => (0, SignInExperience::default()),
    }
}

/// Applies a partial document (top-level keys replace; nested objects merge) and saves the
/// result if it is valid. Unknown keys are refused. Read and write are one transaction, so
/// two administrators changing different settings at once both keep their change.
pub async fn update(store: &Store, clock: &dyn Clock, patch: &Value) -> Result<SignInExperience, SignInExperienceError> {
    let Value::Object(patch) = patch else {
        return Err(SignInExperienceError::InvalidInput("expected a JSON object".into()));
    };
    let mut tx = store.begin_write().await?;
    // Concurrent changes queue on the row (SQLite's BEGIN IMMEDIATE already serialises).
    store::lock(&mut tx, store.backend(), clock.now_ms()).await?;
    let (_, current) = parse(store::find(&mut tx).await?);
    let next = current.patched(patch)?;
    store::save(&mut tx, &serde_json::to_string(&next).expect("configuration serializes"), clock.now_ms()).await?;
    tx.commit().await?;
    Ok(next)
}

/// JSON merge patch (RFC 7396) minus deletion: objects merge key by key, anything else
/// replaces.
fn merge(target: &mut Value, patch: &Value) {
    match (target, patch) {
        (Value::Object(target), Value::Object(patch)) => {
            for (key, value) in patch {
                match target.get_mut(key) {
                    Some(existing) if existing.is_object() && value.is_object() => merge(existing, value),
                    _ => {
                        target.insert(key.clone(), value.clone());
                    }
                }
            }
        }
        (target, patch) => *target = patch.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_valid() {
        SignInExperience::default().validate().unwrap();
        assert_eq!(SignInExperience::default().required_profile(), vec![RequiredProfile::Username, RequiredProfile::Password]);
    }

    #[test]
    fn email_and_phone_sign_up_needs_either() {
        let mut sie = SignInExperience::default();
        sie.sign_up = SignUp { identifiers: vec![IdentifierKind::Email, IdentifierKind::Phone], password: false, verify: true, secondary_identifiers: vec![] };
        assert_eq!(sie.required_profile(), vec![RequiredProfile::EmailOrPhone]);
    }

    #[test]
    fn a_method_without_factor_is_refused() {
        let mut sie = SignInExperience::default();
        sie.sign_in.methods[1].password = false;
        sie.sign_in.methods[1].verification_code = false;
        assert_eq!(sie.validate().unwrap_err().code(), "sign_in_experiences.at_least_one_authentication_factor");
    }

    #[test]
    fn css_cannot_close_its_style_element() {
        let mut sie = SignInExperience::default();
        sie.custom_css = Some("</style><script>alert(1)</script>".into());
        assert_eq!(sie.validate().unwrap_err().code(), "guard.invalid_input");
    }

    #[test]
    fn merge_keeps_untouched_nested_keys() {
        let mut target = serde_json::json!({"a": {"b": 1, "c": 2}, "d": 3});
        merge(&mut target, &serde_json::json!({"a": {"b": 5}}));
        assert_eq!(target, serde_json::json!({"a": {"b": 5, "c": 2}, "d": 3}));
    }
}
