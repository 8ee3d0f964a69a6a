//! `/console`: the organization admin dashboard. A signed-in member whose organization roles
//! grant `manage:organization` picks one of their organizations and manages its members and
//! their roles, invites people by email (a magic link), answers pending invitations, and
//! edits the organization's settings; when the operator allows it, anyone signed in may
//! create an organization here and becomes its admin. Each section sits beside the server
//! functions its forms call (a few lines over `identity::console`); every form is an
//! `ActionForm` that posts without JavaScript and comes back here.

mod create;
mod invitations;
mod members;
mod settings;

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::Redirect;
use serde::{Deserialize, Serialize};

use crate::account::{error_code, TopBar};
use crate::components::form::query_param;
use crate::components::{ErrorBanner, Notice};
use crate::tr;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OrganizationChoice {
    pub id: String,
    pub name: String,
    pub manages: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RoleChoice {
    pub id: String,
    pub name: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MemberRow {
    pub id: String,
    pub name: String,
    pub email: Option<String>,
    pub role_ids: Vec<String>,
    pub role_names: Vec<String>,
    pub is_me: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct InvitationRow {
    pub id: String,
    pub email: String,
    pub roles: Vec<String>,
    pub expires: String,
}

/// The organization being managed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Managed {
    pub id: String,
    pub name: String,
    pub description: Option<String>,
    pub mfa_required: bool,
    pub members: Vec<MemberRow>,
    pub member_count: usize,
    pub page: usize,
    pub pages: usize,
    pub search: String,
    pub roles: Vec<RoleChoice>,
    pub invitations: Vec<InvitationRow>,
    pub jit_email_domains: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct ConsoleData {
    pub who: String,
    pub organizations: Vec<OrganizationChoice>,
    /// None: the person manages none of their organizations.
    pub managed: Option<Managed>,
    pub can_create: bool,
}

const NOT_SIGNED_IN: &str = "auth.unauthorized";

#[cfg(feature = "ssr")]
pub(crate) mod engine {
    use identity::console::{self, Admin, ConsoleError};
    use identity::oidc::Provider;
    use identity::ErrorCode;
    use leptos::prelude::*;

    pub fn refused(err: ConsoleError) -> ServerFnError {
        ServerFnError::new(err.code())
    }

    /// The person signed in here.
    pub async fn signed_in() -> Result<(Provider, identity::users::User), ServerFnError> {
        let provider = crate::account::engine::provider()?;
        let user = console::signed_in(&provider, crate::context::request_cookie("_session").as_deref()).await.map_err(refused)?;
        Ok((provider, user))
    }

    /// The person signed in here, as the admin of `organization`.
    pub async fn admin(organization: &str) -> Result<(Provider, Admin), ServerFnError> {
        let (provider, user) = signed_in().await?;
        let admin = console::admin(&provider.store, user, organization).await.map_err(refused)?;
        Ok((provider, admin))
    }

    /// Back to the organization's page, at the section that changed, with its message.
    pub fn done(organization: &str, section: &str) {
        let query = form_urlencoded::Serializer::new(String::new()).append_pair("organization", organization).append_pair("done", section).finish();
        leptos_axum::redirect(&format!("/console?{query}#{section}"));
    }
}

#[server(prefix = "/_vestibule", endpoint = "console")]
pub async fn load_console(organization: Option<String>, q: Option<String>, page: Option<usize>) -> Result<ConsoleData, ServerFnError> {
    use identity::console;
    let (provider, user) = engine::signed_in().await?;
    let store = &provider.store;
    console::ensure_template(store, provider.clock.as_ref()).await.map_err(engine::refused)?;
    let mine = console::my_organizations(store, &user).await.map_err(engine::refused)?;
    let can_create = console::settings(store).await.map(|s| s.allow_organization_creation).unwrap_or(false);
    let chosen = organization.filter(|o| !o.is_empty()).or_else(|| mine.iter().find(|m| m.manages).map(|m| m.organization.id.clone()));
    let managed = match chosen {
        Some(id) => {
            let admin = console::admin(store, user.clone(), &id).await.map_err(engine::refused)?;
            let overview = console::overview(store, provider.clock.as_ref(), &admin, q.as_deref(), page.unwrap_or(1)).await.map_err(engine::refused)?;
            Some(Managed::new(&admin, overview, q.unwrap_or_default()))
        }
        None => None,
    };
    Ok(ConsoleData {
        who: user.display_name(),
        organizations: mine.into_iter().map(|m| OrganizationChoice { id: m.organization.id, name: m.organization.name, manages: m.manages }).collect(),
        managed,
        can_create,
    })
}

#[cfg(feature = "ssr")]
impl Managed {
    fn new(admin: &identity::console::Admin, o: identity::console::Overview, search: String) -> Self {
        let org = &admin.organization;
        Self {
            id: org.id.clone(),
            name: org.name.clone(),
            description: org.description.clone(),
            mfa_required: org.is_mfa_required,
            members: o
                .members
                .into_iter()
                .map(|m| MemberRow {
                    is_me: m.user.id == admin.user.id,
                    name: m.user.display_name(),
                    email: m.user.primary_email.clone(),
                    id: m.user.id,
                    role_ids: m.roles.iter().map(|r| r.id.clone()).collect(),
                    role_names: m.roles.into_iter().map(|r| r.name).collect(),
                })
                .collect(),
            pages: o.member_count.div_ceil(identity::console::PAGE_SIZE).max(1),
            member_count: o.member_count,
            page: o.page,
            search,
            roles: o.roles.into_iter().map(|r| RoleChoice { id: r.id, name: r.name }).collect(),
            invitations: o
                .pending_invitations
                .into_iter()
                .map(|i| InvitationRow { id: i.id, email: i.invitee, roles: i.organization_roles.into_iter().map(|r| r.name).collect(), expires: crate::account::engine::date(i.expires_at) })
                .collect(),
            jit_email_domains: o.jit_email_domains,
        }
    }
}

#[component]
pub fn ConsolePage() -> impl IntoView {
    let page = query_param("page").and_then(|p| p.parse().ok());
    let console = OnceResource::new(load_console(query_param("organization"), query_param("q"), page));
    let branding = OnceResource::new(crate::context::load_page_context());
    view! {
        <Title text=tr!("console.page_title")/>
        <Suspense fallback=|| ()>
            {move || Suspend::new(async move {
                let brand = branding.await.unwrap_or_default();
                let css = brand.brand_css();
                let logo = (brand.logo_url, brand.dark_logo_url);
                match console.await {
                    Ok(data) => view! { <style inner_html=css></style><Console data logo/> }.into_any(),
                    Err(err) if error_code(&err) == NOT_SIGNED_IN => view! { <Redirect path="/console/sign-in"/> }.into_any(),
                    Err(err) => view! {
                        <style inner_html=css></style>
                        <crate::components::AuthCard title=tr!("console.unavailable_title")>
                            <div data-testid="console-refused"><ErrorBanner code=error_code(&err)/></div>
                            <a href="/console" class="text-sm font-medium text-[var(--brand)] hover:underline dark:text-[var(--brand-dark)]">{tr!("console.back")}</a>
                        </crate::components::AuthCard>
                    }
                    .into_any(),
                }
            })}
        </Suspense>
    }
}

#[component]
fn Console(data: ConsoleData, logo: (Option<String>, Option<String>)) -> impl IntoView {
    let done = query_param("done");
    let current = data.managed.as_ref().map(|m| m.id.clone());
    view! {
        <TopBar logo title=tr!("console.title") who=data.who.clone() testid="console-who" width="max-w-5xl">
            <OrganizationPicker organizations=data.organizations.clone() current=current.clone()/>
        </TopBar>
        <main class="mx-auto max-w-5xl space-y-6 px-4 py-8 sm:px-6" data-testid="console">
            {done.map(|section| {
                let key = format!("console.done.{section}");
                let text = tr!(&key);
                (text != key).then(|| view! { <div data-testid="console-done"><Notice text/></div> })
            })}
            {match data.managed.clone() {
                Some(managed) => view! {
                    <div>
                        <h1 class="text-2xl font-semibold tracking-tight" data-testid="console-organization">{managed.name.clone()}</h1>
                        {managed.description.clone().map(|d| view! { <p class="mt-1 text-sm text-slate-600 dark:text-slate-400">{d}</p> })}
                    </div>
                    <members::MembersSection managed=managed.clone()/>
                    <invitations::InviteSection managed=managed.clone()/>
                    <settings::SettingsSection managed/>
                }
                .into_any(),
                None => view! {
                    <div class="rounded-2xl border border-slate-200 bg-white p-8 text-center shadow-sm dark:border-slate-800 dark:bg-slate-900" data-testid="console-none">
                        <h1 class="text-lg font-semibold">{tr!("console.none_title")}</h1>
                        <p class="mt-2 text-sm text-slate-600 dark:text-slate-400">{tr!("console.none_body")}</p>
                    </div>
                }
                .into_any(),
            }}
            {data.can_create.then(|| view! { <create::CreateSection/> })}
            <p class="pt-4 text-center text-xs text-slate-500">{tr!("brand.powered_by")}</p>
        </main>
    }
}

/// The organizations I manage, as links (a plain list works without JavaScript).
#[component]
fn OrganizationPicker(organizations: Vec<OrganizationChoice>, current: Option<String>) -> impl IntoView {
    let managed: Vec<OrganizationChoice> = organizations.into_iter().filter(|o| o.manages).collect();
    (managed.len() > 1).then(|| {
        view! {
            <nav aria-label=tr!("console.organizations") class="flex flex-wrap gap-1" data-testid="organization-picker">
                {managed
                    .into_iter()
                    .map(|o| {
                        let active = current.as_deref() == Some(o.id.as_str());
                        let class = if active { "rounded-lg bg-[var(--brand)] px-3 py-1.5 font-medium text-white dark:bg-[var(--brand-dark)] dark:text-slate-950" } else { crate::account::QUIET_BUTTON };
                        view! { <a href=format!("/console?organization={}", o.id) class=class aria-current=active.then_some("page")>{o.name}</a> }
                    })
                    .collect_view()}
            </nav>
        }
    })
}
