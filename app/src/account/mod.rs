//! `/account`: the account center, where the person signed in at Vestibule manages their own
//! account. Each section sits beside the server functions its forms call; every form is an
//! `ActionForm` that posts without JavaScript, and the server answers with a redirect back
//! here (to the section that changed, or with the error's code for the form that failed).
//! The page follows the operator's field switches (`/api/account-center`); sensitive changes
//! wait for a fresh proof (a password or an emailed code), remembered for its 10 minutes.

mod connected;
mod delete;
mod devices;
#[cfg(feature = "ssr")]
pub(crate) mod engine;
mod identifiers;
mod mfa;
mod password;
mod profile;
mod tokens;
mod verify;

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::Redirect;
use serde::{Deserialize, Serialize};

use crate::components::form::query_param;
use crate::components::{ErrorBanner, Notice};
use crate::tr;

/// A field's switch in the account center settings.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub enum Access {
    #[default]
    Off,
    ReadOnly,
    Edit,
}

impl Access {
    pub fn visible(self) -> bool {
        self != Access::Off
    }

    pub fn editable(self) -> bool {
        self == Access::Edit
    }
}

#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct Switches {
    pub name: Access,
    pub avatar: Access,
    pub username: Access,
    pub email: Access,
    pub phone: Access,
    pub password: Access,
    pub mfa: Access,
    pub session: Access,
    pub social: Access,
}

/// A social connector, and the account's identity there.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Connection {
    pub connector_id: String,
    pub target: String,
    pub name: String,
    pub logo: String,
    pub linked: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Factor {
    pub id: String,
    /// `Totp`, `WebAuthn` or `BackupCode`.
    pub kind: String,
    pub name: Option<String>,
    pub added: String,
    pub remaining_codes: Option<usize>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Device {
    pub uid: String,
    pub signed_in: String,
    pub current: bool,
    pub apps: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct App {
    pub grant_id: String,
    pub name: String,
    pub granted: String,
    pub third_party: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Token {
    pub name: String,
    pub created: String,
    pub expires: Option<String>,
}

/// Everything the page shows.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct AccountData {
    pub username: Option<String>,
    pub name: Option<String>,
    pub avatar: Option<String>,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub has_password: bool,
    pub switches: Switches,
    /// A proof is alive: sensitive forms are open.
    pub verified: bool,
    pub totp_offered: bool,
    pub backup_codes_offered: bool,
    pub passkeys_offered: bool,
    pub factors: Vec<Factor>,
    pub devices: Vec<Device>,
    pub apps: Vec<App>,
    pub tokens: Vec<Token>,
    pub connections: Vec<Connection>,
    /// Enterprise SSO identities: `(connector name, logo, the identity's address or id)`.
    pub enterprise: Vec<(String, String, String)>,
    /// Shown once, right after it was created.
    pub new_token: Option<String>,
    /// `?setup=totp`: a fresh secret (stored only when bound) and its QR code.
    pub totp_setup: Option<(String, String)>,
    /// `?setup=backup-codes`: ten fresh codes (stored only when saved).
    pub backup_codes_setup: Vec<String>,
    /// `?setup=passkey`: a started WebAuthn registration (its id and the browser's options).
    pub passkey_setup: Option<(String, String)>,
    pub self_service_deletion: bool,
    pub delete_account_url: Option<String>,
    pub password_min_length: usize,
    /// The account center's own CSS (`customCss`), after the sign-in experience's branding.
    pub custom_css: Option<String>,
}

/// Why the page cannot be shown: nobody is signed in (→ the hosted sign-in), or the
/// operator has not turned the account center on.
const NOT_SIGNED_IN: &str = "auth.unauthorized";

#[server(prefix = "/_vestibule", endpoint = "account")]
pub async fn load_account(setup: Option<String>) -> Result<AccountData, ServerFnError> {
    let (provider, caller) = engine::signed_in().await?;
    let overview = identity::account::overview::overview(&provider, &caller, engine::proof().as_deref()).await.map_err(engine::refused)?;
    let mut data = AccountData::from_overview(overview);
    data.password_min_length = provider.sign_in_experience().await.map(|sie| sie.password_policy.length.min).unwrap_or(8);
    if let Some(token) = crate::context::request_cookie(engine::NEW_TOKEN_COOKIE) {
        engine::set_cookie(&provider, engine::NEW_TOKEN_COOKIE, "", 0);
        data.new_token = Some(token);
    }
    match setup.as_deref() {
        Some("totp") if data.verified => data.totp_setup = identity::account::mfa::generate_totp_secret(&provider, &caller).await.ok(),
        Some("backup-codes") if data.verified => data.backup_codes_setup = identity::account::mfa::generate_backup_codes(&provider, &caller).await.unwrap_or_default(),
        Some("passkey") if data.verified => {
            data.passkey_setup = identity::account::passkeys::start_registration(&provider, &caller)
                .await
                .ok()
                .and_then(|started| Some((started["verificationRecordId"].as_str()?.to_owned(), started["registrationOptions"].to_string())));
        }
        _ => {}
    }
    Ok(data)
}

#[cfg(feature = "ssr")]
impl AccountData {
    fn from_overview(o: identity::account::overview::Overview) -> Self {
        use identity::account::settings::Control;
        use identity::mfa::MfaFactor;
        let access = |c: Control| match c {
            Control::Off => Access::Off,
            Control::ReadOnly => Access::ReadOnly,
            Control::Edit => Access::Edit,
        };
        let f = &o.settings.fields;
        Self {
            username: o.user.username.clone(),
            name: o.user.name.clone(),
            avatar: o.user.avatar.clone(),
            email: o.user.primary_email.clone(),
            phone: o.user.primary_phone.clone(),
            has_password: o.user.password.is_some(),
            switches: Switches {
                name: access(f.name),
                avatar: access(f.avatar),
                username: access(f.username),
                email: access(f.email),
                phone: access(f.phone),
                password: access(f.password),
                mfa: access(f.mfa),
                session: access(f.session),
                social: access(f.social),
            },
            verified: o.verified,
            totp_offered: o.factors_offered.contains(&MfaFactor::Totp),
            backup_codes_offered: o.factors_offered.contains(&MfaFactor::BackupCode),
            passkeys_offered: o.passkeys_offered,
            factors: o
                .factors
                .into_iter()
                .map(|f| Factor { id: f.id, kind: f.factor.as_str().to_owned(), name: f.name, added: engine::date(f.created_at), remaining_codes: f.remain_codes })
                .collect(),
            devices: o.sessions.into_iter().map(|s| Device { uid: s.uid, signed_in: engine::date(s.signed_in_at), current: s.current, apps: s.apps }).collect(),
            apps: o.apps.into_iter().map(|a| App { grant_id: a.grant_id, name: a.name, granted: engine::date(a.granted_at), third_party: a.third_party }).collect(),
            tokens: o.tokens.into_iter().map(|t| Token { name: t.name, created: engine::date(t.created_at), expires: t.expires_at.map(engine::date) }).collect(),
            connections: o
                .connections
                .into_iter()
                .map(|c| Connection { connector_id: c.connector_id, target: c.target, name: c.name, logo: c.logo, linked: c.linked })
                .collect(),
            enterprise: o.enterprise.into_iter().map(|e| (e.name, e.logo, e.label)).collect(),
            self_service_deletion: o.settings.self_service_deletion,
            delete_account_url: o.settings.delete_account_url.clone(),
            custom_css: o.settings.custom_css.clone(),
            ..Self::default()
        }
    }
}

#[component]
pub fn AccountPage() -> impl IntoView {
    let setup = query_param("setup");
    let account = OnceResource::new(load_account(setup));
    let branding = OnceResource::new(crate::context::load_page_context());
    view! {
        <Title text=tr!("account.page_title")/>
        <Suspense fallback=|| ()>
            {move || Suspend::new(async move {
                let brand = branding.await.unwrap_or_default();
                let css = brand.brand_css();
                match account.await {
                    Ok(data) => {
                        let css = format!("{css}{}", data.custom_css.as_deref().unwrap_or(""));
                        view! { <style inner_html=css></style><AccountCenter data logo=(brand.logo_url, brand.dark_logo_url)/> }.into_any()
                    }
                    Err(err) if error_code(&err) == NOT_SIGNED_IN => view! { <Redirect path="/account/sign-in"/> }.into_any(),
                    Err(err) => view! {
                        <style inner_html=css></style>
                        <crate::components::AuthCard title=tr!("account.unavailable_title")>
                            <ErrorBanner code=error_code(&err)/>
                        </crate::components::AuthCard>
                    }
                    .into_any(),
                }
            })}
        </Suspense>
    }
}

/// The engine's code inside a server function's error.
pub fn error_code(err: &ServerFnError) -> String {
    match err {
        ServerFnError::ServerError(code) => code.clone(),
        _ => "unexpected".to_owned(),
    }
}

#[component]
fn AccountCenter(data: AccountData, logo: (Option<String>, Option<String>)) -> impl IntoView {
    let who = data.name.clone().or(data.username.clone()).or(data.email.clone()).or(data.phone.clone()).unwrap_or_default();
    let done = query_param("done");
    view! {
        <TopBar logo title=tr!("account.title") who testid="account-who" width="max-w-3xl"/>
        <main class="mx-auto max-w-3xl space-y-6 px-4 py-8 sm:px-6" data-testid="account-center">
            {done.map(|section| {
                let key = format!("account.done.{section}");
                let text = tr!(&key);
                (text != key).then(|| view! { <div data-testid="account-done"><Notice text/></div> })
            })}
            <verify::VerifySection data=data.clone()/>
            <profile::ProfileSection data=data.clone()/>
            <identifiers::IdentifiersSection data=data.clone()/>
            <password::PasswordSection data=data.clone()/>
            <mfa::TwoStepSection data=data.clone()/>
            <connected::ConnectedSection data=data.clone()/>
            <devices::DevicesSection data=data.clone()/>
            <tokens::TokensSection data=data.clone()/>
            <delete::DeleteSection data/>
            <p class="pt-4 text-center text-xs text-slate-500">{tr!("brand.powered_by")}</p>
        </main>
    }
}

/// The bar atop the account center and the console: the brand and the page's name, then
/// `children` (e.g. an organization picker), who is signed in, and "Sign out".
#[component]
pub(crate) fn TopBar(logo: (Option<String>, Option<String>), title: String, who: String, testid: &'static str, width: &'static str, #[prop(optional)] children: Option<Children>) -> impl IntoView {
    view! {
        <header class="border-b border-slate-200 bg-white/80 backdrop-blur dark:border-slate-800 dark:bg-slate-900/80">
            <div class=format!("mx-auto flex {width} flex-wrap items-center justify-between gap-4 px-4 py-4 sm:px-6")>
                <div class="flex items-center gap-3">
                    <Brand logo/>
                    <span class="text-sm font-medium text-slate-500 dark:text-slate-400">{title}</span>
                </div>
                <div class="flex items-center gap-3 text-sm">
                    {children.map(|c| c())}
                    <span class="hidden max-w-48 truncate text-slate-600 sm:inline dark:text-slate-300" data-testid=testid>{who}</span>
                    <form method="post" action="/oidc/session/end">
                        <button type="submit" data-testid="sign-out" class=QUIET_BUTTON>{tr!("account.sign_out")}</button>
                    </form>
                </div>
            </div>
        </header>
    }
}

#[component]
fn Brand(logo: (Option<String>, Option<String>)) -> impl IntoView {
    match logo {
        (None, None) => view! { <span class="text-lg font-semibold tracking-tight">"Vestibule"</span> }.into_any(),
        (light, dark) => {
            let dark = dark.or_else(|| light.clone());
            view! {
                <img src=light.clone().or_else(|| dark.clone()) alt="" class="h-8 max-w-40 object-contain dark:hidden"/>
                <img src=dark alt="" class="hidden h-8 max-w-40 object-contain dark:block"/>
            }
            .into_any()
        }
    }
}

/// A card of the page, with its anchor (`#profile`, …) for links and redirects.
#[component]
pub(crate) fn Section(id: &'static str, title: String, #[prop(optional)] description: Option<String>, children: Children) -> impl IntoView {
    view! {
        <section id=id data-testid=format!("section-{id}") class="scroll-mt-6 rounded-2xl border border-slate-200 bg-white p-6 shadow-sm sm:p-8 dark:border-slate-800 dark:bg-slate-900">
            <h2 class="text-lg font-semibold tracking-tight">{title}</h2>
            {description.map(|d| view! { <p class="mt-1 text-sm text-slate-600 dark:text-slate-400">{d}</p> })}
            <div class="mt-5 space-y-5">{children()}</div>
        </section>
    }
}

/// The error of an action whose form was posted (with or without JavaScript).
#[component]
pub(crate) fn ActionError<S>(action: ServerAction<S>) -> impl IntoView
where
    S: leptos::server_fn::ServerFn<Error = ServerFnError> + Clone + Send + Sync + 'static,
    S::Output: Clone + Send + Sync + 'static,
{
    move || {
        action.value().get().and_then(|result| result.err()).map(|err| {
            let mut parts = error_code(&err).split('|').map(str::to_owned).collect::<Vec<_>>().into_iter();
            let code = parts.next().unwrap_or_default();
            view! { <ErrorBanner code issues=parts.collect()/> }
        })
    }
}

/// Shown in place of a sensitive form until the person has confirmed it is them.
#[component]
fn VerifyFirst() -> impl IntoView {
    view! {
        <p class="rounded-lg border border-amber-200 bg-amber-50 px-4 py-3 text-sm text-amber-900 dark:border-amber-900/60 dark:bg-amber-950/40 dark:text-amber-200" data-testid="verify-first">
            {tr!("account.verify_first")}" "
            <a href="#verify" class="font-medium underline">{tr!("account.verify_link")}</a>
        </p>
    }
}

/// A labelled row: what is set now, and an optional control.
#[component]
fn Row(label: String, value: Option<String>, #[prop(optional)] testid: Option<&'static str>) -> impl IntoView {
    view! {
        <div class="flex flex-wrap items-baseline justify-between gap-2 border-b border-slate-100 pb-3 last:border-0 dark:border-slate-800">
            <span class="text-sm text-slate-500 dark:text-slate-400">{label}</span>
            <span class="font-medium" data-testid=testid>{value.unwrap_or_else(|| tr!("account.not_set"))}</span>
        </div>
    }
}

pub const BUTTON: &str = "rounded-lg bg-[var(--brand)] px-4 py-2 text-sm font-semibold text-white shadow-sm transition hover:brightness-110 focus-visible:outline-2 focus-visible:outline-offset-2 focus-visible:outline-[var(--brand)] dark:bg-[var(--brand-dark)] dark:text-slate-950";
pub const QUIET_BUTTON: &str = "rounded-lg border border-slate-300 px-3 py-1.5 text-sm font-medium hover:bg-slate-100 dark:border-slate-700 dark:hover:bg-slate-800";
pub const DANGER_BUTTON: &str = "rounded-lg border border-red-300 px-3 py-1.5 text-sm font-medium text-red-700 hover:bg-red-50 dark:border-red-900 dark:text-red-300 dark:hover:bg-red-950/40";
pub const LABEL: &str = "mb-1.5 block text-sm font-medium text-slate-700 dark:text-slate-300";

/// A labelled input of an account form.
#[component]
pub(crate) fn Field(
    name: &'static str,
    label: String,
    #[prop(default = "text")] kind: &'static str,
    #[prop(optional)] value: Option<String>,
    #[prop(default = false)] required: bool,
    #[prop(default = "off")] autocomplete: &'static str,
    #[prop(optional)] inputmode: Option<&'static str>,
    #[prop(optional)] form: Option<&'static str>,
) -> impl IntoView {
    let id = format!("{}-{name}", form.unwrap_or("account"));
    view! {
        <div>
            <label for=id.clone() class=LABEL>{label}</label>
            <input id=id name=name type=kind value=value required=required autocomplete=autocomplete inputmode=inputmode
                autocapitalize="none" spellcheck="false" maxlength="2048" class=crate::components::form::INPUT/>
        </div>
    }
}
