//! Connected accounts: the social connectors, each connected or not. Connecting goes to the
//! upstream and back to `/account/social/callback` (the server checks the answer there); the
//! page then asks to finish, which binds the identity with the person's fresh proof — the
//! proof cookie is SameSite=Strict, so it does not ride along on the upstream's redirect.
//! Disconnecting keeps the account's last way to sign in. Enterprise SSO identities are listed
//! read-only: they belong to the organization's identity provider.

use leptos::prelude::*;

use super::{AccountData, ActionError, Section, VerifyFirst, DANGER_BUTTON, QUIET_BUTTON};
use crate::components::form::query_param;
use crate::components::ErrorBanner;
use crate::tr;

#[server(prefix = "/_vestibule", endpoint = "account/connect")]
pub async fn connect_social(connector_id: String) -> Result<(), ServerFnError> {
    let (provider, caller) = super::engine::signed_in().await?;
    let callback = format!("{}{}", provider.endpoint, super::engine::SOCIAL_CALLBACK_PATH);
    let state = identity::crypto::random_token();
    let (record, uri) = identity::account::identities::start(&provider, &caller, &connector_id, &state, &callback, None).await.map_err(super::engine::refused)?;
    super::engine::remember_social_record(&provider, &record.verification_record_id);
    leptos_axum::redirect(&uri);
    Ok(())
}

#[server(prefix = "/_vestibule", endpoint = "account/finish-connect")]
pub async fn finish_connection() -> Result<(), ServerFnError> {
    let (provider, caller) = super::engine::signed_in().await?;
    let record = crate::context::request_cookie(super::engine::SOCIAL_RECORD_COOKIE).unwrap_or_default();
    identity::account::identities::link(&provider, &caller, super::engine::proof().as_deref(), &record, false).await.map_err(super::engine::refused)?;
    super::engine::set_cookie(&provider, super::engine::SOCIAL_RECORD_COOKIE, "", 0);
    super::engine::done("connected");
    Ok(())
}

#[server(prefix = "/_vestibule", endpoint = "account/disconnect")]
pub async fn disconnect_social(target: String) -> Result<(), ServerFnError> {
    let (provider, caller) = super::engine::signed_in().await?;
    identity::account::identities::unlink(&provider, &caller, super::engine::proof().as_deref(), &target).await.map_err(super::engine::refused)?;
    super::engine::done("connected");
    Ok(())
}

#[component]
pub fn ConnectedSection(data: AccountData) -> impl IntoView {
    let access = data.switches.social;
    if !access.visible() || (data.connections.is_empty() && data.enterprise.is_empty()) {
        return ().into_any();
    }
    let connect = ServerAction::<ConnectSocial>::new();
    let finish = ServerAction::<FinishConnection>::new();
    let disconnect = ServerAction::<DisconnectSocial>::new();
    let upstream_error = query_param("social_error");
    let content = if !data.verified {
        view! { <VerifyFirst/> }.into_any()
    } else {
        let editable = access.editable();
        let returning = query_param("link").as_deref() == Some("social");
        let rows = data
            .connections
            .iter()
            .map(|c| {
                let (connector_id, target) = (c.connector_id.clone(), c.target.clone());
                let status = match &c.linked {
                    Some(label) => tr!("account.connected.linked", who = label.clone()),
                    None => tr!("account.connected.not_linked"),
                };
                let action = match (&c.linked, editable) {
                    (Some(_), true) => view! {
                        <ActionForm action=disconnect>
                            <input type="hidden" name="target" value=target/>
                            <button type="submit" class=DANGER_BUTTON>{tr!("account.connected.disconnect")}</button>
                        </ActionForm>
                    }
                    .into_any(),
                    (None, true) => view! {
                        <ActionForm action=connect>
                            <input type="hidden" name="connector_id" value=connector_id/>
                            <button type="submit" class=QUIET_BUTTON>{tr!("account.connected.connect")}</button>
                        </ActionForm>
                    }
                    .into_any(),
                    _ => ().into_any(),
                };
                view! {
                    <li class="flex flex-wrap items-center justify-between gap-3 py-3" data-testid="connection" data-target=c.target.clone()>
                        <div class="flex items-center gap-3">
                            <img src=c.logo.clone() alt="" class="h-6 w-6 object-contain"/>
                            <div>
                                <p class="font-medium">{c.name.clone()}</p>
                                <p class="text-xs text-slate-500 dark:text-slate-400">{status}</p>
                            </div>
                        </div>
                        {action}
                    </li>
                }
            })
            .collect_view();
        view! {
            {(returning && editable).then(|| view! {
                <ActionForm action=finish>
                    <p class="text-sm text-slate-600 dark:text-slate-400">{tr!("account.connected.finish_explained")}</p>
                    <button type="submit" class="mt-3 rounded-lg bg-[var(--brand)] px-4 py-2 text-sm font-semibold text-white dark:bg-[var(--brand-dark)] dark:text-slate-950" data-testid="finish-connection">
                        {tr!("account.connected.finish")}
                    </button>
                </ActionForm>
            })}
            <ul class="divide-y divide-slate-100 dark:divide-slate-800">{rows}</ul>
        }
        .into_any()
    };
    let enterprise = (!data.enterprise.is_empty()).then(|| {
        let rows = data
            .enterprise
            .iter()
            .map(|(name, logo, label)| view! {
                <li class="flex items-center gap-3 py-3" data-testid="enterprise-identity">
                    <img src=logo.clone() alt="" class="h-6 w-6 object-contain"/>
                    <div>
                        <p class="font-medium">{name.clone()}</p>
                        <p class="text-xs text-slate-500 dark:text-slate-400">{tr!("account.connected.linked", who = label.clone())}</p>
                    </div>
                </li>
            })
            .collect_view();
        view! {
            <h3 class="mt-6 text-sm font-semibold">{tr!("account.connected.enterprise")}</h3>
            <p class="text-xs text-slate-500 dark:text-slate-400">{tr!("account.connected.enterprise_explained")}</p>
            <ul class="divide-y divide-slate-100 dark:divide-slate-800">{rows}</ul>
        }
    });
    view! {
        <Section id="connected" title=tr!("account.connected.title") description=tr!("account.connected.description")>
            {upstream_error.map(|code| view! { <ErrorBanner code/> })}
            <ActionError action=connect/>
            <ActionError action=finish/>
            <ActionError action=disconnect/>
            {content}
            {enterprise}
        </Section>
    }
    .into_any()
}
