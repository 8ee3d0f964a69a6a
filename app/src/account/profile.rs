//! Profile: name, username and avatar, as far as the field switches let people see and
//! change them. A field left empty is cleared.

use leptos::prelude::*;

use super::{AccountData, ActionError, Field, Row, Section, BUTTON};
use crate::tr;

#[server(prefix = "/_vestibule", endpoint = "account/profile")]
pub async fn update_profile(name: Option<String>, username: Option<String>, avatar: Option<String>) -> Result<(), ServerFnError> {
    let (provider, caller) = super::engine::signed_in().await?;
    let fields = &caller.settings.fields;
    // A form sends what it shows; an empty field clears the value; only what differs is a
    // change (a new username needs a proof, an unchanged one does not).
    let given = |value: Option<String>, editable: bool, now: &Option<String>| {
        value.filter(|_| editable).map(|v| Some(v.trim().to_owned()).filter(|v| !v.is_empty())).filter(|v| v != now)
    };
    let user = &caller.user;
    let changes = identity::account::AccountChanges {
        name: given(name, fields.name.editable(), &user.name),
        username: given(username, fields.username.editable(), &user.username),
        avatar: given(avatar, fields.avatar.editable(), &user.avatar),
        custom_data: None,
    };
    identity::account::update(&provider, &caller, super::engine::proof().as_deref(), changes).await.map_err(super::engine::refused)?;
    super::engine::done("profile");
    Ok(())
}

#[component]
pub fn ProfileSection(data: AccountData) -> impl IntoView {
    let save = ServerAction::<UpdateProfile>::new();
    let s = data.switches.clone();
    if !(s.name.visible() || s.username.visible() || s.avatar.visible()) {
        return ().into_any();
    }
    let editable = s.name.editable() || s.username.editable() || s.avatar.editable();
    let avatar = data.avatar.clone().filter(|_| s.avatar.visible());
    let read_only = view! {
        {(s.name.visible() && !s.name.editable()).then(|| view! { <Row label=tr!("account.profile.name") value=data.name.clone() testid="profile-name"/> })}
        {(s.username.visible() && !s.username.editable()).then(|| view! { <Row label=tr!("account.profile.username") value=data.username.clone() testid="profile-username"/> })}
    };
    view! {
        <Section id="profile" title=tr!("account.profile.title") description=tr!("account.profile.description")>
            {avatar.map(|src| view! { <img src=src alt="" class="h-16 w-16 rounded-full object-cover ring-2 ring-slate-200 dark:ring-slate-700" data-testid="profile-avatar"/> })}
            {read_only}
            {editable.then(|| view! {
                <ActionError action=save/>
                <ActionForm action=save attr:class="space-y-4" attr:data-testid="profile-form">
                    {s.name.editable().then(|| view! { <Field name="name" label=tr!("account.profile.name") value=data.name.clone().unwrap_or_default() autocomplete="name" form="profile"/> })}
                    {s.username.editable().then(|| view! { <Field name="username" label=tr!("account.profile.username") value=data.username.clone().unwrap_or_default() autocomplete="username" form="profile"/> })}
                    {s.avatar.editable().then(|| view! { <Field name="avatar" label=tr!("account.profile.avatar") kind="url" value=data.avatar.clone().unwrap_or_default() form="profile"/> })}
                    <button type="submit" class=BUTTON>{tr!("account.save")}</button>
                </ActionForm>
            })}
        </Section>
    }
    .into_any()
}
