//! `/consent`: a third-party application asks to see or act on the person's account (spec
//! §9). Each permission in plain words, the organizations it may act in when it asks for
//! organizations, its terms and privacy policy; approve posts `/consent`, cancel posts
//! `/consent/cancel` (the application hears `access_denied`). Works without JavaScript.

use leptos::prelude::*;
use leptos_meta::Title;
use serde::{Deserialize, Serialize};

use crate::components::{ErrorBanner, HostedCard, PageError, PostForm, SubmitButton};
use crate::context::PageContext;
use crate::tr;

/// What the page shows, from `identity::oidc::consent::info`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ConsentPageData {
    pub app_name: String,
    pub logo: Option<String>,
    pub dark_logo: Option<String>,
    pub terms_of_use_url: Option<String>,
    pub privacy_policy_url: Option<String>,
    /// Who is signed in: their email, phone, username or name.
    pub account: String,
    /// OIDC user scopes asked (`profile`, `email`, …).
    pub user_scopes: Vec<String>,
    /// API permissions: the API's name and each scope's description (or name).
    pub permissions: Vec<(String, Vec<String>)>,
    /// `Some` when the application asks for organizations: (id, name) of each of the
    /// person's organizations.
    pub organizations: Option<Vec<(String, String)>>,
    pub error: Option<String>,
}

#[server(prefix = "/_vestibule", endpoint = "consent")]
pub async fn load_consent() -> Result<ConsentPageData, ServerFnError> {
    let provider = use_context::<identity::oidc::Provider>().ok_or_else(|| ServerFnError::new("unexpected"))?;
    let cookie = crate::context::request_cookie("_interaction");
    Ok(match identity::oidc::consent::info(&provider, cookie.as_deref()).await {
        Ok(info) => ConsentPageData::from(info),
        Err(err) => ConsentPageData { error: Some(identity::ErrorCode::code(&err).to_owned()), ..ConsentPageData::default() },
    })
}

#[cfg(feature = "ssr")]
impl From<identity::oidc::consent::ConsentInfo> for ConsentPageData {
    fn from(info: identity::oidc::consent::ConsentInfo) -> Self {
        let logo = |key: &str| info.application.branding.get(key).and_then(|v| v.as_str()).filter(|v| !v.is_empty()).map(str::to_owned);
        let user = &info.user;
        let account = [&user.primary_email, &user.primary_phone, &user.username, &user.name].into_iter().flatten().next().cloned().unwrap_or_else(|| user.id.clone());
        let permissions = info
            .missing_resource_scopes
            .iter()
            .chain(info.organizations.iter().flatten().flat_map(|o| o.missing_resource_scopes.iter()))
            .fold(Vec::<(String, Vec<String>)>::new(), |mut shown, group| {
                let name = if group.resource.indicator == "urn:logto:resource:organizations" { String::new() } else { group.resource.name.clone() };
                let labels = group.scopes.iter().map(|s| s.description.clone().filter(|d| !d.is_empty()).unwrap_or_else(|| s.name.clone()));
                match shown.iter_mut().find(|(n, _)| *n == name) {
                    Some((_, existing)) => existing.extend(labels.filter(|l| !existing.contains(l)).collect::<Vec<_>>()),
                    None => shown.push((name, labels.collect())),
                }
                shown
            });
        Self {
            app_name: info.application.display_name.clone().unwrap_or(info.application.name.clone()),
            logo: logo("logoUrl"),
            dark_logo: logo("darkLogoUrl"),
            terms_of_use_url: info.application.terms_of_use_url.clone(),
            privacy_policy_url: info.application.privacy_policy_url.clone(),
            account,
            user_scopes: info.missing_oidc_scope.clone(),
            permissions,
            organizations: info.organizations.map(|orgs| orgs.into_iter().map(|o| (o.id, o.name)).collect()),
            error: None,
        }
    }
}

/// A user scope in plain words (unknown ones by name).
fn user_scope_label(scope: &str) -> String {
    let key = match scope {
        "urn:logto:scope:organizations" => "consent.scope.organizations".to_owned(),
        "urn:logto:scope:organization_roles" => "consent.scope.organization_roles".to_owned(),
        other => format!("consent.scope.{other}"),
    };
    let label = tr!(&key);
    if label == key { scope.to_owned() } else { label }
}

#[component]
pub fn ConsentPage() -> impl IntoView {
    view! {
        <Title text=tr!("consent.page_title")/>
        <HostedCard title=tr!("consent.title") render=|_context: PageContext| view! { <ConsentForm/> }/>
    }
}

#[component]
fn ConsentForm() -> impl IntoView {
    let data = OnceResource::new(load_consent());
    view! {
        <Suspense fallback=|| ()>
            {move || Suspend::new(async move {
                let data = data.await.unwrap_or_default();
                if let Some(code) = data.error.clone() {
                    return view! { <ErrorBanner code/> }.into_any();
                }
                view! { <ConsentDetails data/> }.into_any()
            })}
        </Suspense>
    }
}

const ITEM: &str = "flex items-start gap-3 rounded-lg border border-slate-200 px-3.5 py-2.5 text-sm dark:border-slate-800";
const CHECK: &str = "mt-0.5 size-4 shrink-0 text-[var(--brand)] dark:text-[var(--brand-dark)]";

#[component]
fn ConsentDetails(data: ConsentPageData) -> impl IntoView {
    let logo = data.logo.clone().or(data.dark_logo.clone()).map(|light| {
        let dark = data.dark_logo.clone().unwrap_or_else(|| light.clone());
        view! {
            <img src=light alt="" class="size-12 rounded-xl object-contain dark:hidden" data-testid="consent-app-logo"/>
            <img src=dark alt="" class="hidden size-12 rounded-xl object-contain dark:block"/>
        }
    });
    let initial = data.app_name.chars().next().map(|c| c.to_uppercase().to_string()).unwrap_or_default();
    let logo = logo.map(|v| v.into_any()).unwrap_or_else(|| {
        view! { <span class="flex size-12 items-center justify-center rounded-xl bg-[var(--brand)] text-xl font-semibold text-white dark:bg-[var(--brand-dark)] dark:text-slate-950">{initial}</span> }.into_any()
    });
    let scopes = data.user_scopes.iter().map(|s| view! { <li class=ITEM data-testid="consent-scope"><Check/>{user_scope_label(s)}</li> }).collect_view();
    let permissions = data
        .permissions
        .iter()
        .map(|(api, labels)| {
            let api = api.clone();
            let labels = labels.iter().map(|l| view! { <li class=ITEM data-testid="consent-permission"><Check/><span>{(!api.is_empty()).then(|| view! { <span class="font-medium">{api.clone()}": "</span> })}{l.clone()}</span></li> }).collect_view();
            labels
        })
        .collect_view();
    let nothing_asked = data.user_scopes.is_empty() && data.permissions.is_empty();
    let organizations = data.organizations.clone().map(|orgs| {
        let list = if orgs.is_empty() {
            view! { <p class="text-sm text-slate-600 dark:text-slate-400">{tr!("consent.no_organizations")}</p> }.into_any()
        } else {
            orgs.into_iter()
                .map(|(id, name)| view! {
                    <label class=format!("{ITEM} cursor-pointer") data-testid="consent-organization">
                        <input type="checkbox" name="organization_ids" value=id class="mt-0.5 size-4 accent-[var(--brand)]"/>
                        <span>{name}</span>
                    </label>
                })
                .collect_view()
                .into_any()
        };
        view! {
            <fieldset class="space-y-2">
                <legend class="mb-2 text-sm font-medium text-slate-700 dark:text-slate-300">{tr!("consent.organizations")}</legend>
                {list}
            </fieldset>
        }
    });
    let link = |href: Option<String>, text: String| {
        href.map(|href| view! { <a href=href target="_blank" rel="noopener noreferrer" class="font-medium text-[var(--brand)] underline-offset-2 hover:underline dark:text-[var(--brand-dark)]">{text}</a> })
    };
    let terms = link(data.terms_of_use_url.clone(), tr!("consent.terms"));
    let privacy = link(data.privacy_policy_url.clone(), tr!("consent.privacy"));
    let links = (terms.is_some() || privacy.is_some()).then(|| view! {
        <p class="text-xs text-slate-500 dark:text-slate-400" data-testid="consent-links">{tr!("consent.links_intro", app = data.app_name.clone())}" "{terms}{(data.terms_of_use_url.is_some() && data.privacy_policy_url.is_some()).then(|| " · ")}{privacy}</p>
    });
    view! {
        <div class="space-y-5">
            <div class="flex items-center gap-4">
                {logo}
                <div>
                    <p class="text-lg font-semibold" data-testid="consent-app">{data.app_name.clone()}</p>
                    <p class="text-sm text-slate-600 dark:text-slate-400">{tr!("consent.wants_access")}</p>
                </div>
            </div>
            <p class="rounded-lg bg-slate-100 px-4 py-2.5 text-sm dark:bg-slate-800" data-testid="consent-account">{tr!("consent.signed_in_as", account = data.account.clone())}</p>
            <PageError/>
            <PostForm action="/consent">
                <div class="space-y-2">
                    <p class="text-sm font-medium text-slate-700 dark:text-slate-300">{if nothing_asked { tr!("consent.basic_only") } else { tr!("consent.will_see") }}</p>
                    <ul class="space-y-2">{scopes}{permissions}</ul>
                </div>
                {organizations}
                {links}
                <SubmitButton label=tr!("consent.approve")/>
            </PostForm>
            <form method="post" action="/consent/cancel">
                <input type="hidden" name="locale" value=crate::i18n::Locale::detect().tag()/>
                <button type="submit" class="w-full rounded-lg border border-slate-300 px-4 py-2.5 text-base font-medium text-slate-700 transition hover:bg-slate-50 dark:border-slate-700 dark:text-slate-200 dark:hover:bg-slate-800" data-testid="consent-cancel">
                    {tr!("consent.cancel")}
                </button>
            </form>
        </div>
    }
}

#[component]
fn Check() -> impl IntoView {
    view! {
        <svg class=CHECK viewBox="0 0 20 20" fill="currentColor" aria-hidden="true">
            <path fill-rule="evenodd" d="M16.7 5.3a1 1 0 0 1 0 1.4l-8 8a1 1 0 0 1-1.4 0l-4-4a1 1 0 1 1 1.4-1.4L8 12.6l7.3-7.3a1 1 0 0 1 1.4 0Z" clip-rule="evenodd"/>
        </svg>
    }
}
