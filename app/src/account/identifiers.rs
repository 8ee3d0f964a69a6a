//! Email address and phone number: change one with a code sent to the new address (after
//! confirming it's you), or remove it while another way to sign in remains.

use leptos::prelude::*;

use super::{AccountData, Access, ActionError, Field, Row, Section, VerifyFirst, BUTTON, DANGER_BUTTON, QUIET_BUTTON};
use crate::components::form::query_param;
use crate::tr;

#[cfg(feature = "ssr")]
fn kind_of(kind: &str) -> Result<identity::sign_in_experience::IdentifierKind, ServerFnError> {
    use identity::sign_in_experience::IdentifierKind;
    match kind {
        "email" => Ok(IdentifierKind::Email),
        "phone" => Ok(IdentifierKind::Phone),
        _ => Err(ServerFnError::new("guard.invalid_input")),
    }
}

#[server(prefix = "/_vestibule", endpoint = "account/address-code")]
pub async fn send_address_code(kind: String, address: String) -> Result<(), ServerFnError> {
    let (provider, caller) = super::engine::signed_in().await?;
    let locale = crate::i18n::Locale::detect().tag();
    let record = identity::account::verification::send_code(&provider, &caller, kind_of(&kind)?, address.trim(), Some(locale)).await.map_err(super::engine::refused)?;
    super::engine::step(&[("change", &kind), ("to", address.trim()), ("record", &record.verification_record_id)], "identifiers");
    Ok(())
}

#[server(prefix = "/_vestibule", endpoint = "account/address")]
pub async fn confirm_address(kind: String, address: String, record: String, code: String) -> Result<(), ServerFnError> {
    let (provider, caller) = super::engine::signed_in().await?;
    let kind = kind_of(&kind)?;
    let refused = super::engine::refused;
    let verified = identity::account::verification::verify_code(&provider, &caller, kind, &address, &record, &code).await.map_err(refused)?;
    identity::account::set_primary_identifier(&provider, &caller, super::engine::proof().as_deref(), kind, &address, &verified).await.map_err(refused)?;
    super::engine::done("identifiers");
    Ok(())
}

#[server(prefix = "/_vestibule", endpoint = "account/remove-address")]
pub async fn remove_address(kind: String) -> Result<(), ServerFnError> {
    let (provider, caller) = super::engine::signed_in().await?;
    identity::account::remove_primary_identifier(&provider, &caller, super::engine::proof().as_deref(), kind_of(&kind)?).await.map_err(super::engine::refused)?;
    super::engine::done("identifiers");
    Ok(())
}

#[component]
pub fn IdentifiersSection(data: AccountData) -> impl IntoView {
    let (email, phone) = (data.switches.email, data.switches.phone);
    if !email.visible() && !phone.visible() {
        return ().into_any();
    }
    let send = ServerAction::<SendAddressCode>::new();
    let confirm = ServerAction::<ConfirmAddress>::new();
    let remove = ServerAction::<RemoveAddress>::new();
    let rows = [("email", email, data.email.clone()), ("phone", phone, data.phone.clone())]
        .into_iter()
        .filter(|(_, access, _)| access.visible())
        .map(|(kind, access, current)| view! { <Address kind access current verified=data.verified send confirm remove/> })
        .collect_view();
    view! {
        <Section id="identifiers" title=tr!("account.identifiers.title") description=tr!("account.identifiers.description")>
            <ActionError action=send/>
            <ActionError action=confirm/>
            <ActionError action=remove/>
            {rows}
            {(!data.verified && (email.editable() || phone.editable())).then(|| view! { <VerifyFirst/> })}
        </Section>
    }
    .into_any()
}

#[component]
fn Address(
    kind: &'static str,
    access: Access,
    current: Option<String>,
    verified: bool,
    send: ServerAction<SendAddressCode>,
    confirm: ServerAction<ConfirmAddress>,
    remove: ServerAction<RemoveAddress>,
) -> impl IntoView {
    let key = format!("identifiers.{kind}");
    let label = tr!(&key);
    let row = view! { <Row label=label.clone() value=current.clone() testid=if kind == "email" { "account-email" } else { "account-phone" }/> };
    if !access.editable() {
        return row.into_any();
    }
    if !verified {
        // The section says once, below its rows, that changes need a confirmation.
        return row.into_any();
    }
    let pending = (query_param("change").as_deref() == Some(kind)).then(|| (query_param("to"), query_param("record"))).and_then(|(to, record)| Some((to?, record?)));
    let step = match pending {
        Some((to, record)) => view! {
            <ActionForm action=confirm attr:class="space-y-4" attr:data-testid=format!("{kind}-code-form")>
                <p class="text-sm text-slate-600 dark:text-slate-400">{tr!("account.identifiers.code_sent", to = to.clone())}</p>
                <input type="hidden" name="kind" value=kind/>
                <input type="hidden" name="address" value=to/>
                <input type="hidden" name="record" value=record/>
                <Field name="code" label=tr!("account.verify.code") autocomplete="one-time-code" inputmode="numeric" required=true form=kind/>
                <button type="submit" class=BUTTON>{tr!("account.identifiers.confirm")}</button>
            </ActionForm>
        }
        .into_any(),
        None => {
            let (input_kind, placeholder) = if kind == "email" { ("email", tr!("account.identifiers.new_email")) } else { ("tel", tr!("account.identifiers.new_phone")) };
            view! {
                <ActionForm action=send attr:class="flex flex-wrap items-end gap-3" attr:data-testid=format!("{kind}-form")>
                    <input type="hidden" name="kind" value=kind/>
                    <div class="min-w-56 flex-1"><Field name="address" label=placeholder kind=input_kind required=true form=kind/></div>
                    <button type="submit" class=QUIET_BUTTON>{tr!("account.identifiers.send_code")}</button>
                </ActionForm>
            }
            .into_any()
        }
    };
    view! {
        {row}
        {step}
        {current.is_some().then(|| view! {
            <ActionForm action=remove attr:data-testid=format!("{kind}-remove-form")>
                <input type="hidden" name="kind" value=kind/>
                <button type="submit" class=DANGER_BUTTON>{tr!("account.identifiers.remove", what = label.to_lowercase())}</button>
            </ActionForm>
        })}
    }
    .into_any()
}
