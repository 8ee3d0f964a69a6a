//! Where you're signed in, and which applications you've let in: sign another browser out,
//! or revoke an application (its tokens stop working). Shown after confirming it's you.

use leptos::prelude::*;

use super::{AccountData, ActionError, Section, VerifyFirst, DANGER_BUTTON};
use crate::tr;

#[server(prefix = "/_vestibule", endpoint = "account/end-session")]
pub async fn end_session(uid: String) -> Result<(), ServerFnError> {
    let (provider, caller) = super::engine::signed_in().await?;
    let revoke = identity::account::sessions::RevokeGrants::All;
    identity::account::sessions::end(&provider, &caller, super::engine::proof().as_deref(), &uid, revoke).await.map_err(super::engine::refused)?;
    super::engine::done("devices");
    Ok(())
}

#[server(prefix = "/_vestibule", endpoint = "account/revoke-app")]
pub async fn revoke_app(grant_id: String) -> Result<(), ServerFnError> {
    let (provider, caller) = super::engine::signed_in().await?;
    identity::account::sessions::revoke_grant(&provider, &caller, super::engine::proof().as_deref(), &grant_id).await.map_err(super::engine::refused)?;
    super::engine::done("devices");
    Ok(())
}

#[component]
pub fn DevicesSection(data: AccountData) -> impl IntoView {
    let access = data.switches.session;
    if !access.visible() {
        return ().into_any();
    }
    let end = ServerAction::<EndSession>::new();
    let revoke = ServerAction::<RevokeApp>::new();
    let content = if !data.verified {
        view! { <VerifyFirst/> }.into_any()
    } else {
        let editable = access.editable();
        let devices = data
            .devices
            .iter()
            .map(|device| {
                let uid = device.uid.clone();
                let apps = if device.apps.is_empty() { String::new() } else { device.apps.join(", ") };
                view! {
                    <li class="flex flex-wrap items-center justify-between gap-3 py-3" data-testid="device" data-current=device.current.to_string()>
                        <div>
                            <p class="font-medium">{if device.current { tr!("account.devices.this_one") } else { tr!("account.devices.other") }}</p>
                            <p class="text-xs text-slate-500 dark:text-slate-400">{tr!("account.devices.signed_in", date = device.signed_in.clone())}" "{apps}</p>
                        </div>
                        {(editable && !device.current).then(|| view! {
                            <ActionForm action=end>
                                <input type="hidden" name="uid" value=uid/>
                                <button type="submit" class=DANGER_BUTTON>{tr!("account.devices.sign_out")}</button>
                            </ActionForm>
                        })}
                    </li>
                }
            })
            .collect_view();
        let apps = data
            .apps
            .iter()
            .map(|app| {
                let grant = app.grant_id.clone();
                view! {
                    <li class="flex flex-wrap items-center justify-between gap-3 py-3" data-testid="authorized-app">
                        <div>
                            <p class="font-medium">{app.name.clone()}</p>
                            <p class="text-xs text-slate-500 dark:text-slate-400">{tr!("account.devices.granted", date = app.granted.clone())}</p>
                        </div>
                        {editable.then(|| view! {
                            <ActionForm action=revoke>
                                <input type="hidden" name="grant_id" value=grant/>
                                <button type="submit" class=DANGER_BUTTON>{tr!("account.devices.revoke")}</button>
                            </ActionForm>
                        })}
                    </li>
                }
            })
            .collect_view();
        view! {
            <h3 class="text-sm font-semibold text-slate-700 dark:text-slate-300">{tr!("account.devices.sessions")}</h3>
            <ul class="divide-y divide-slate-100 dark:divide-slate-800">{devices}</ul>
            <h3 class="text-sm font-semibold text-slate-700 dark:text-slate-300">{tr!("account.devices.apps")}</h3>
            <ul class="divide-y divide-slate-100 dark:divide-slate-800">{apps}</ul>
        }
        .into_any()
    };
    view! {
        <Section id="devices" title=tr!("account.devices.title") description=tr!("account.devices.description")>
            <ActionError action=end/>
            <ActionError action=revoke/>
            {content}
        </Section>
    }
    .into_any()
}
