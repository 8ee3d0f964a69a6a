import { type Browser, type Page } from '@playwright/test';
import { configureSignInExperience, managementApi, startMailServer, vestibule, expect, test, type MailServer } from './support';

// The organization console (/console) in Chromium against the release build: someone creates
// an organization and becomes its admin, invites a person by email while registration is
// closed, the invitee registers from the emailed magic link (real SMTP) and joins with the
// role; the admin changes the role and removes them; a plain member is refused. Once without
// JavaScript, and once in French.

const PASSWORD = 'Harbor-Violet-73';
let smtp: MailServer;

test.beforeAll(async () => {
  smtp = await startMailServer();
  vestibule('console', 'set', '--allow-organization-creation', 'true');
  const call = await managementApi();
  // The template's roles are shared by the run: this file's own name.
  await call('POST', '/api/organization-roles', { name: 'console-editor', description: 'Edits' });
});

test.afterAll(async () => {
  vestibule('console', 'set', '--allow-organization-creation', 'false');
  await smtp.close();
});

function person(username: string) {
  vestibule('user', 'create', '--username', username, '--password', PASSWORD, '--email', `${username}@example.com`);
  return username;
}

/** Opens /console: the hosted sign-in, then back to the console. */
async function openConsole(page: Page, username: string, signInLabel = 'Sign in') {
  await page.goto('/console');
  await expect(page).toHaveURL(/\/sign-in/);
  await page.locator('#field-identifier').fill(username);
  await page.locator('#field-password').fill(PASSWORD);
  await page.getByRole('button', { name: signInLabel, exact: true }).click();
  await expect(page).toHaveURL(/\/console/);
  await expect(page.getByTestId('console')).toBeVisible();
}

async function createOrganization(page: Page, name: string, button = 'Create') {
  const form = page.getByTestId('create-form');
  await form.locator('input[name="name"]').fill(name);
  await form.getByRole('button', { name: button }).click();
  await expect(page.getByTestId('console-organization')).toHaveText(name);
}

async function freshPage(browser: Browser) {
  const context = await browser.newContext();
  return { context, page: await context.newPage() };
}

test('an admin invites someone while registration is closed; the link registers them into the organization', async ({ page, browser }) => {
  person('con_admin');
  await openConsole(page, 'con_admin');
  await expect(page.getByTestId('console-none')).toBeVisible();
  await createOrganization(page, 'Lumen Labs');
  await expect(page.getByTestId('console-done')).toContainText("Organization created. You're its admin.");
  await expect(page.getByTestId('member-con_admin@example.com').getByTestId('member-roles')).toHaveText('admin');

  configureSignInExperience('console', { signInMode: 'SignIn' });
  try {
    const invite = page.getByTestId('invite-form');
    await invite.getByLabel('Email address').fill('con_newcomer@example.com');
    await invite.getByLabel('console-editor').check();
    await invite.getByRole('button', { name: 'Send invitation' }).click();
    await expect(page.getByTestId('console-done')).toContainText('Invitation sent.');
    await expect(page.getByTestId('invitation-con_newcomer@example.com')).toContainText('console-editor');

    // The invitee, in their own browser: the link, their new account (a username and a
    // password, as sign-up asks), and the organization.
    const link = await smtp.linkSentTo('con_newcomer@example.com', '/console/join');
    const invitee = await freshPage(browser);
    await invitee.page.goto(link);
    await expect(invitee.page).toHaveURL(/\/one-time-token/);
    await expect(invitee.page.getByTestId('magic-link-email')).toHaveText('con_newcomer@example.com');
    await invitee.page.getByRole('button', { name: 'Continue' }).click();
    await expect(invitee.page).toHaveURL(/\/continue/);
    await invitee.page.locator('input[name="new_username"]').fill('con_newcomer');
    await invitee.page.locator('input[name="password"]').fill(PASSWORD);
    await invitee.page.getByRole('button', { name: /continue/i }).click();
    // An editor, not an admin: the console has nothing for them to manage.
    await expect(invitee.page).toHaveURL(/\/console\?organization=/);
    await expect(invitee.page.getByTestId('console-refused')).toContainText("Your roles in this organization don't let you manage it.");
    await invitee.context.close();
  } finally {
    configureSignInExperience('console', { signInMode: 'SignInAndRegister' });
  }

  // The admin sees the new member with the role, makes them an admin instead, then removes them.
  await page.reload();
  await expect(page.getByTestId('invitation-con_newcomer@example.com')).toHaveCount(0);
  const member = page.getByTestId('member-con_newcomer@example.com');
  await expect(member.getByTestId('member-roles')).toHaveText('console-editor');
  await member.getByLabel('console-editor').uncheck();
  await member.getByLabel('admin', { exact: true }).check();
  await member.getByRole('button', { name: 'Save roles' }).click();
  await expect(page.getByTestId('console-done')).toContainText('Roles saved.');
  await expect(page.getByTestId('member-con_newcomer@example.com').getByTestId('member-roles')).toHaveText('admin');
  await page.getByTestId('member-con_newcomer@example.com').getByTestId('remove-member').click();
  await expect(page.getByTestId('console-done')).toContainText('Member removed.');
  await expect(page.getByTestId('member-con_newcomer@example.com')).toHaveCount(0);

  // The last admin cannot remove themselves.
  await page.getByTestId('member-con_admin@example.com').getByTestId('remove-member').click();
  await expect(page.getByRole('alert')).toContainText('The organization needs at least one admin');
});

test('a magic link from the Management API signs an existing person in', async ({ browser }) => {
  person('con_linked');
  const call = await managementApi();
  const { body: token } = await call('POST', '/api/one-time-tokens', { email: 'con_linked@example.com' });
  const { page, context } = await freshPage(browser);
  await page.goto(`/console/join?one_time_token=${token.token}&login_hint=con_linked@example.com`);
  await expect(page.getByTestId('magic-link-email')).toHaveText('con_linked@example.com');
  await page.getByRole('button', { name: 'Continue' }).click();
  await expect(page).toHaveURL(/\/console$/);
  await expect(page.getByTestId('console-who')).toHaveText('con_linked');
  await context.close();
});

test('the console works without JavaScript', async ({ browser }) => {
  person('con_nojs');
  const context = await browser.newContext({ javaScriptEnabled: false });
  const page = await context.newPage();
  await openConsole(page, 'con_nojs');
  await createOrganization(page, 'Plain Forms Inc');
  const invite = page.getByTestId('invite-form');
  await invite.getByLabel('Email address').fill('con_nojs_friend@example.com');
  await invite.getByRole('button', { name: 'Send invitation' }).click();
  await expect(page.getByTestId('console-done')).toContainText('Invitation sent.');
  expect(await smtp.linkSentTo('con_nojs_friend@example.com', '/console/join')).toContain('one_time_token=');
  const settings = page.getByTestId('settings-form');
  await settings.getByLabel('Description').fill('Works everywhere');
  await settings.getByRole('button', { name: 'Save' }).click();
  await expect(page.getByTestId('console-done')).toContainText('Settings saved.');
  await expect(page.getByText('Works everywhere').first()).toBeVisible();
  await context.close();
});

test('the console speaks French', async ({ browser }) => {
  person('con_fr');
  const context = await browser.newContext({ locale: 'fr-FR' });
  const page = await context.newPage();
  await openConsole(page, 'con_fr', 'Se connecter');
  await expect(page.getByRole('heading', { name: 'Aucune organisation à gérer' })).toBeVisible();
  await createOrganization(page, 'Atelier', 'Créer');
  await expect(page.getByTestId('console-done')).toContainText('Organisation créée.');
  const invite = page.getByTestId('invite-form');
  await invite.getByLabel('Adresse e-mail').fill('con_fr_ami@example.com');
  await invite.getByRole('button', { name: "Envoyer l'invitation" }).click();
  await expect(page.getByTestId('console-done')).toContainText('Invitation envoyée.');
  expect(await smtp.linkSentTo('con_fr_ami@example.com', '/console/join')).toContain('/console/join?organization=');
  await context.close();
});
