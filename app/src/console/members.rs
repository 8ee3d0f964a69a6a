//! Members: search, pages, each member's roles (ticked boxes, saved together) and removal.
//! The organization always keeps someone who manages it.

use leptos::prelude::*;

use super::{Managed, MemberRow, RoleChoice};
use crate::account::{ActionError, Section, BUTTON, DANGER_BUTTON, QUIET_BUTTON};
use crate::components::form::INPUT;
use crate::tr;

#[server(prefix = "/_vestibule", endpoint = "console/member-roles")]
pub async fn set_member_roles(organization: String, user_id: String, role_ids: Option<Vec<String>>) -> Result<(), ServerFnError> {
    let (provider, admin) = super::engine::admin(&organization).await?;
    identity::console::set_member_roles(&provider.store, &admin, &user_id, &role_ids.unwrap_or_default()).await.map_err(super::engine::refused)?;
    super::engine::done(&organization, "members");
    Ok(())
}

#[server(prefix = "/_vestibule", endpoint = "console/remove-member")]
pub async fn remove_member(organization: String, user_id: String) -> Result<(), ServerFnError> {
    let (provider, admin) = super::engine::admin(&organization).await?;
    identity::console::remove_member(&provider.store, &admin, &user_id).await.map_err(super::engine::refused)?;
    super::engine::done(&organization, "member_removed");
    Ok(())
}

#[component]
pub fn MembersSection(managed: Managed) -> impl IntoView {
    let save = ServerAction::<SetMemberRoles>::new();
    let remove = ServerAction::<RemoveMember>::new();
    let Managed { id, members, member_count, page, pages, search, roles, .. } = managed;
    let page_link = {
        let (id, search) = (id.clone(), search.clone());
        move |n: usize| {
            let query = form_urlencoded::Serializer::new(String::new()).append_pair("organization", &id).append_pair("q", &search).append_pair("page", &n.to_string()).finish();
            format!("/console?{query}#members")
        }
    };
    view! {
        <Section id="members" title=tr!("console.members.title") description=tr!("console.members.description", n = member_count)>
            <form method="get" action="/console" class="flex gap-2" role="search">
                <input type="hidden" name="organization" value=id.clone()/>
                <label for="member-search" class="sr-only">{tr!("console.members.search")}</label>
                <input id="member-search" name="q" type="search" value=search.clone() placeholder=tr!("console.members.search") class=INPUT maxlength="128"/>
                <button type="submit" class=QUIET_BUTTON>{tr!("console.members.search_button")}</button>
            </form>
            <ActionError action=save/>
            <ActionError action=remove/>
            {members.is_empty().then(|| view! { <p class="text-sm text-slate-500" data-testid="no-members">{tr!("console.members.none")}</p> })}
            <ul class="divide-y divide-slate-100 dark:divide-slate-800" data-testid="members">
                {members.into_iter().map(|member| view! { <Member member roles=roles.clone() organization=id.clone() save remove/> }).collect_view()}
            </ul>
            {(pages > 1).then(|| view! {
                <nav class="flex items-center justify-between text-sm" aria-label=tr!("console.members.pages")>
                    {(page > 1).then(|| view! { <a class=QUIET_BUTTON href=page_link(page - 1) rel="prev">{tr!("console.members.previous")}</a> })}
                    <span class="text-slate-500" data-testid="members-page">{tr!("console.members.page_of", page = page, pages = pages)}</span>
                    {(page < pages).then(|| view! { <a class=QUIET_BUTTON href=page_link(page + 1) rel="next">{tr!("console.members.next")}</a> })}
                </nav>
            })}
        </Section>
    }
}

#[component]
fn Member(member: MemberRow, roles: Vec<RoleChoice>, organization: String, save: ServerAction<SetMemberRoles>, remove: ServerAction<RemoveMember>) -> impl IntoView {
    let testid = format!("member-{}", member.email.clone().unwrap_or_else(|| member.name.clone()));
    let (organization_for_roles, user_for_roles, user_for_removal) = (organization.clone(), member.id.clone(), member.id.clone());
    let you = member.is_me.then(|| view! { <span class="ml-2 rounded bg-slate-100 px-1.5 py-0.5 text-xs text-slate-600 dark:bg-slate-800 dark:text-slate-300">{tr!("console.members.you")}</span> });
    view! {
        <li class="flex flex-col gap-3 py-4 md:flex-row md:items-center md:justify-between" data-testid=testid>
            <div class="min-w-0">
                <p class="truncate font-medium">{member.name.clone()}{you}</p>
                {member.email.clone().filter(|e| *e != member.name).map(|e| view! { <p class="truncate text-sm text-slate-500">{e}</p> })}
                <p class="mt-1 text-xs text-slate-500" data-testid="member-roles">{if member.role_names.is_empty() { tr!("console.members.no_roles") } else { member.role_names.join(", ") }}</p>
            </div>
            <div class="flex flex-wrap items-center gap-3">
                <ActionForm action=save attr:class="flex flex-wrap items-center gap-3" attr:data-testid="member-roles-form">
                    <input type="hidden" name="organization" value=organization_for_roles/>
                    <input type="hidden" name="user_id" value=user_for_roles/>
                    <fieldset class="flex flex-wrap gap-3">
                        <legend class="sr-only">{tr!("console.members.roles")}</legend>
                        {roles.into_iter().map(|role| {
                            let checked = member.role_ids.contains(&role.id);
                            view! {
                                <label class="inline-flex items-center gap-1.5 text-sm">
                                    <input type="checkbox" name="role_ids[]" value=role.id checked=checked class="h-4 w-4 rounded border-slate-300 accent-[var(--brand)]"/>
                                    {role.name}
                                </label>
                            }
                        }).collect_view()}
                    </fieldset>
                    <button type="submit" class=BUTTON>{tr!("console.members.save_roles")}</button>
                </ActionForm>
                <ActionForm action=remove>
                    <input type="hidden" name="organization" value=organization/>
                    <input type="hidden" name="user_id" value=user_for_removal/>
                    <button type="submit" class=DANGER_BUTTON data-testid="remove-member">{tr!("console.members.remove")}</button>
                </ActionForm>
            </div>
        </li>
    }
}
