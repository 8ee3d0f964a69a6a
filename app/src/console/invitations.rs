//! Invite by email with roles (the invitee gets a magic link: it signs them in, or creates
//! their account even when registration is closed, and they join with the roles), and the
//! pending invitations: send again, or revoke.

use leptos::prelude::*;

use super::Managed;
use crate::account::{ActionError, Field, Section, BUTTON, DANGER_BUTTON, QUIET_BUTTON};
use crate::tr;

#[server(prefix = "/_vestibule", endpoint = "console/invite")]
pub async fn invite(organization: String, email: String, role_ids: Option<Vec<String>>, locale: Option<String>) -> Result<(), ServerFnError> {
    let (provider, admin) = super::engine::admin(&organization).await?;
    let locale = locale.unwrap_or_else(|| crate::i18n::Locale::detect().tag().to_owned());
    identity::console::invite(&provider, &admin, &email, &role_ids.unwrap_or_default(), &locale).await.map_err(super::engine::refused)?;
    super::engine::done(&organization, "invited");
    Ok(())
}

#[server(prefix = "/_vestibule", endpoint = "console/resend-invitation")]
pub async fn resend_invitation(organization: String, invitation_id: String) -> Result<(), ServerFnError> {
    let (provider, admin) = super::engine::admin(&organization).await?;
    identity::console::resend(&provider, &admin, &invitation_id, crate::i18n::Locale::detect().tag()).await.map_err(super::engine::refused)?;
    super::engine::done(&organization, "resent");
    Ok(())
}

#[server(prefix = "/_vestibule", endpoint = "console/revoke-invitation")]
pub async fn revoke_invitation(organization: String, invitation_id: String) -> Result<(), ServerFnError> {
    let (provider, admin) = super::engine::admin(&organization).await?;
    identity::console::revoke(&provider, &admin, &invitation_id).await.map_err(super::engine::refused)?;
    super::engine::done(&organization, "revoked");
    Ok(())
}

#[component]
pub fn InviteSection(managed: Managed) -> impl IntoView {
    let invite = ServerAction::<Invite>::new();
    let resend = ServerAction::<ResendInvitation>::new();
    let revoke = ServerAction::<RevokeInvitation>::new();
    let organization = managed.id.clone();
    let organization_for_invite = managed.id.clone();
    view! {
        <Section id="invitations" title=tr!("console.invite.title") description=tr!("console.invite.description")>
            <ActionError action=invite/>
            <ActionForm action=invite attr:class="space-y-4" attr:data-testid="invite-form">
                <input type="hidden" name="organization" value=organization_for_invite/>
                <input type="hidden" name="locale" value=crate::i18n::Locale::detect().tag()/>
                <Field name="email" label=tr!("console.invite.email") kind="email" required=true autocomplete="email" form="invite"/>
                <fieldset>
                    <legend class=crate::account::LABEL>{tr!("console.members.roles")}</legend>
                    <div class="flex flex-wrap gap-3">
                        {managed.roles.iter().map(|role| view! {
                            <label class="inline-flex items-center gap-1.5 text-sm">
                                <input type="checkbox" name="role_ids[]" value=role.id.clone() class="h-4 w-4 rounded border-slate-300 accent-[var(--brand)]"/>
                                {role.name.clone()}
                            </label>
                        }).collect_view()}
                    </div>
                </fieldset>
                <button type="submit" class=BUTTON>{tr!("console.invite.send")}</button>
            </ActionForm>
            <div class="border-t border-slate-100 pt-5 dark:border-slate-800">
                <h3 class="text-sm font-semibold">{tr!("console.invite.pending")}</h3>
                <ActionError action=resend/>
                <ActionError action=revoke/>
                {managed.invitations.is_empty().then(|| view! { <p class="mt-2 text-sm text-slate-500">{tr!("console.invite.none")}</p> })}
                <ul class="mt-2 divide-y divide-slate-100 dark:divide-slate-800" data-testid="pending-invitations">
                    {managed.invitations.into_iter().map(|invitation| {
                        let (for_resend, for_revoke) = (organization.clone(), organization.clone());
                        let (resend_id, revoke_id) = (invitation.id.clone(), invitation.id.clone());
                        view! {
                        <li class="flex flex-wrap items-center justify-between gap-3 py-3" data-testid=format!("invitation-{}", invitation.email)>
                            <div class="min-w-0">
                                <p class="truncate font-medium">{invitation.email.clone()}</p>
                                <p class="text-xs text-slate-500">
                                    {if invitation.roles.is_empty() { tr!("console.members.no_roles") } else { invitation.roles.join(", ") }}
                                    " · "{tr!("console.invite.expires", date = invitation.expires.clone())}
                                </p>
                            </div>
                            <div class="flex gap-2">
                                <ActionForm action=resend>
                                    <input type="hidden" name="organization" value=for_resend/>
                                    <input type="hidden" name="invitation_id" value=resend_id/>
                                    <button type="submit" class=QUIET_BUTTON>{tr!("console.invite.resend")}</button>
                                </ActionForm>
                                <ActionForm action=revoke>
                                    <input type="hidden" name="organization" value=for_revoke/>
                                    <input type="hidden" name="invitation_id" value=revoke_id/>
                                    <button type="submit" class=DANGER_BUTTON>{tr!("console.invite.revoke")}</button>
                                </ActionForm>
                            </div>
                        </li>
                        }
                    }).collect_view()}
                </ul>
            </div>
        </Section>
    }
}
