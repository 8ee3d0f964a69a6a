import { type Browser, type BrowserContext, type BrowserContextOptions, type Page } from '@playwright/test';
import { authenticator } from 'otplib';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { configureSignInExperience, startMailServer, vestibule, expect, test, type MailServer } from './support';

// The account center (/account) in Chromium against the release build: people sign in through
// the hosted pages, come back to their account and change it — confirming it's them first
// for anything sensitive — with codes over real SMTP and an independent TOTP implementation.

const PASSWORD = 'Lantern-Quay-58';
let smtp: MailServer;

function configureAccountCenter(patch: object) {
  const file = join(process.env.E2E_DATA_DIR!, 'account-center.json');
  writeFileSync(file, JSON.stringify(patch));
  vestibule('account-center', 'set', '--file', file);
}

const EVERY_FIELD = Object.fromEntries(['name', 'avatar', 'profile', 'email', 'phone', 'password', 'username', 'mfa', 'session'].map((f) => [f, 'Edit']));

test.beforeAll(async () => {
  smtp = await startMailServer();
  configureSignInExperience('account', {
    // Offered in the account center, never prompted for at sign-in.
    mfa: { factors: ['Totp', 'WebAuthn', 'BackupCode'], policy: 'NoPrompt' },
  });
  configureAccountCenter({ enabled: true, fields: EVERY_FIELD, selfServiceDeletion: true });
});

test.afterAll(async () => {
  configureSignInExperience('account', { mfa: { factors: [], policy: 'UserControlled' } });
  configureAccountCenter({ enabled: false });
  await smtp.close();
});

/** A new person with a password and an email address (names are this file's own: the run shares one database). */
function person(username: string) {
  vestibule('user', 'create', '--username', username, '--password', PASSWORD, '--email', `${username}@example.com`);
  return username;
}

/** Opens /account: the hosted sign-in, then back to the account. */
async function openAccount(page: Page, username: string, password = PASSWORD) {
  await page.goto('/account');
  await expect(page).toHaveURL(/\/sign-in/);
  await page.getByLabel('Username or email').fill(username);
  await page.locator('#field-password').fill(password);
  await page.getByRole('button', { name: 'Sign in', exact: true }).click();
  await expect(page).toHaveURL(/\/account$/);
  await expect(page.getByTestId('account-center')).toBeVisible();
}

async function confirmWithPassword(page: Page) {
  const form = page.getByTestId('verify-password-form');
  await form.getByLabel('Current password').fill(PASSWORD);
  await form.getByRole('button', { name: 'Confirm' }).click();
  await expect(page.getByTestId('verified')).toBeVisible();
}

async function contextFor(browser: Browser, options: BrowserContextOptions = {}) {
  return browser.newContext(options);
}

test('change the name, then the password after confirming it is you', async ({ page }) => {
  const username = person('acct_ada');
  await openAccount(page, username);
  const profile = page.getByTestId('profile-form');
  await profile.getByLabel('Name', { exact: true }).fill('Ada Lovelace');
  await profile.getByRole('button', { name: 'Save' }).click();
  await expect(page.getByTestId('account-done')).toContainText('Your profile was saved');
  await expect(page.getByTestId('account-who')).toHaveText('Ada Lovelace');

  // The password waits for a proof; a wrong password proves nothing.
  await expect(page.getByTestId('section-password').getByTestId('verify-first')).toBeVisible();
  const verify = page.getByTestId('verify-password-form');
  await verify.getByLabel('Current password').fill('Not-The-Password-1');
  await verify.getByRole('button', { name: 'Confirm' }).click();
  await expect(page.getByRole('alert')).toContainText('The account or password is incorrect');
  await confirmWithPassword(page);
  const password = page.getByTestId('password-form');
  await password.getByLabel('New password').fill('short');
  await expect(password.getByTestId('password-hint')).toHaveAttribute('data-met', 'false');
  await password.getByLabel('New password').fill('password1');
  await password.getByRole('button', { name: 'Save password' }).click();
  await expect(page.getByRole('alert')).toContainText('data breach');
  await page.getByTestId('password-form').getByLabel('New password').fill('Harbour-Light-77');
  await page.getByTestId('password-form').getByRole('button', { name: 'Save password' }).click();
  await expect(page.getByTestId('account-done')).toContainText('Your password was changed');

  // The new password signs in; the old one no longer does.
  const fresh = await page.context().browser()!.newContext();
  const other = await fresh.newPage();
  await other.goto('/account');
  await other.getByLabel('Username or email').fill(username);
  await other.locator('#field-password').fill(PASSWORD);
  await other.getByRole('button', { name: 'Sign in', exact: true }).click();
  await expect(other.getByRole('alert')).toContainText('The account or password is incorrect');
  await other.locator('#field-password').fill('Harbour-Light-77');
  await other.getByRole('button', { name: 'Sign in', exact: true }).click();
  await expect(other.getByTestId('account-center')).toBeVisible();
  await fresh.close();
});

test('without JavaScript, the profile and password forms still work', async ({ browser }) => {
  const username = person('acct_babbage');
  const context = await contextFor(browser, { javaScriptEnabled: false });
  const page = await context.newPage();
  await openAccount(page, username);
  await page.getByTestId('profile-form').getByLabel('Name', { exact: true }).fill('Charles Babbage');
  await page.getByTestId('profile-form').getByRole('button', { name: 'Save' }).click();
  await expect(page.getByTestId('account-done')).toContainText('Your profile was saved');
  await expect(page.getByTestId('profile-form').getByLabel('Name', { exact: true })).toHaveValue('Charles Babbage');
  const verify = page.getByTestId('verify-password-form');
  await verify.getByLabel('Current password').fill('Wrong-Password-00');
  await verify.getByRole('button', { name: 'Confirm' }).click();
  await expect(page.getByRole('alert')).toContainText('The account or password is incorrect');
  await confirmWithPassword(page);
  await page.getByTestId('password-form').getByLabel('New password').fill('Difference-Engine-2');
  await page.getByTestId('password-form').getByRole('button', { name: 'Save password' }).click();
  await expect(page.getByTestId('account-done')).toContainText('Your password was changed');
  await context.close();
});

test('change the email address with codes received over SMTP', async ({ page }) => {
  const username = person('acct_grace');
  await openAccount(page, username);
  // This time the proof is a code sent to the current address.
  await page.getByTestId('verify-send-code-form').getByRole('button', { name: 'Email me a code instead' }).click();
  const codeForm = page.getByTestId('verify-code-form');
  await expect(codeForm).toContainText(`${username}@example.com`);
  await codeForm.getByLabel('Code').fill(await smtp.codeSentTo(`${username}@example.com`));
  await codeForm.getByRole('button', { name: 'Confirm' }).click();
  await expect(page.getByTestId('verified')).toBeVisible();

  const emailForm = page.getByTestId('email-form');
  await emailForm.getByLabel('New email address').fill('acct.grace.hopper@example.com');
  await emailForm.getByRole('button', { name: 'Send a code' }).click();
  const confirm = page.getByTestId('email-code-form');
  await expect(confirm).toContainText('acct.grace.hopper@example.com');
  await confirm.getByLabel('Code').fill(await smtp.codeSentTo('acct.grace.hopper@example.com'));
  await confirm.getByRole('button', { name: 'Confirm' }).click();
  await expect(page.getByTestId('account-done')).toContainText('Your sign-in details were updated');
  await expect(page.getByTestId('account-email')).toHaveText('acct.grace.hopper@example.com');
});

test('bind an authenticator app with a code from otplib, then remove it', async ({ page }) => {
  const username = person('acct_hedy');
  await openAccount(page, username);
  await expect(page.getByTestId('section-mfa')).toContainText('No second step is set up yet');
  await confirmWithPassword(page);
  await page.getByTestId('add-totp').click();
  await expect(page.getByTestId('totp-qr')).toBeVisible();
  const secret = (await page.getByTestId('totp-secret').textContent())!.trim();
  await page.getByTestId('totp-form').getByLabel('Authenticator code').fill(authenticator.generate(secret));
  await page.getByTestId('totp-form').getByRole('button', { name: 'Turn on two-step verification' }).click();
  await expect(page.getByTestId('account-done')).toContainText('two-step verification was updated');
  await expect(page.getByTestId('factor-Totp')).toBeVisible();

  await page.getByTestId('factor-Totp').getByRole('button', { name: 'Remove' }).click();
  await expect(page.getByTestId('factor-Totp')).toHaveCount(0);
  await expect(page.getByTestId('section-mfa')).toContainText('No second step is set up yet');
});

async function virtualAuthenticator(context: BrowserContext, page: Page) {
  const cdp = await context.newCDPSession(page);
  await cdp.send('WebAuthn.enable');
  await cdp.send('WebAuthn.addVirtualAuthenticator', {
    options: { protocol: 'ctap2', transport: 'internal', hasResidentKey: true, hasUserVerification: true, isUserVerified: true, automaticPresenceSimulation: true },
  });
}

test('add a passkey with the virtual authenticator and rename it', async ({ browser }) => {
  const username = person('acct_lovelace');
  const context = await browser.newContext();
  const page = await context.newPage();
  await virtualAuthenticator(context, page);
  await openAccount(page, username);
  await confirmWithPassword(page);
  await page.getByTestId('add-passkey').click();
  await expect(page.getByTestId('passkey-setup')).toBeVisible();
  await page.getByTestId('account-passkey-button').click();
  await expect(page.getByTestId('account-done')).toContainText('two-step verification was updated');
  const passkey = page.getByTestId('factor-WebAuthn');
  await expect(passkey).toContainText('Passkey');
  await passkey.getByLabel('Passkey name').fill('Work laptop');
  await passkey.getByRole('button', { name: 'Rename' }).click();
  await expect(page.getByTestId('factor-WebAuthn')).toContainText('Work laptop');
  await context.close();
});

test('create a personal access token, see it once, and revoke it', async ({ page }) => {
  const username = person('acct_lamarr');
  await openAccount(page, username);
  await confirmWithPassword(page);
  const form = page.getByTestId('token-form');
  await form.getByLabel('Token name').fill('deploy script');
  await form.getByLabel('Expires after').selectOption('90');
  await form.getByRole('button', { name: 'Create token' }).click();
  const token = (await page.getByTestId('new-token').textContent())!.trim();
  expect(token).toMatch(/^pat_/);
  await expect(page.getByTestId('token')).toContainText('deploy script');
  await page.reload();
  await expect(page.getByTestId('new-token')).toHaveCount(0);
  await page.getByTestId('token').getByRole('button', { name: 'Revoke' }).click();
  await expect(page.getByTestId('token')).toHaveCount(0);
});

test('sign out another browser', async ({ browser }) => {
  const username = person('acct_noether');
  const laptop = await browser.newContext();
  const phone = await browser.newContext();
  const here = await laptop.newPage();
  const there = await phone.newPage();
  await openAccount(here, username);
  await openAccount(there, username);
  await confirmWithPassword(here);
  await expect(here.getByTestId('device')).toHaveCount(2);
  await here.locator('[data-testid="device"][data-current="false"]').getByRole('button', { name: 'Sign out' }).click();
  await expect(here.getByTestId('device')).toHaveCount(1);
  await there.goto('/account');
  await expect(there).toHaveURL(/\/sign-in/);
  await laptop.close();
  await phone.close();
});

test('delete the account, after which signing in fails', async ({ page, browser }) => {
  const username = person('acct_mallory');
  await openAccount(page, username);
  await confirmWithPassword(page);
  const form = page.getByTestId('delete-form');
  await form.getByTestId('delete-confirm').check();
  await form.getByRole('button', { name: 'Delete my account' }).click();
  await expect(page).toHaveURL(/\/account\/deleted$/);
  await expect(page.getByRole('heading')).toContainText('Your account was deleted');

  const context = await browser.newContext();
  const again = await context.newPage();
  await again.goto('/account');
  await again.getByLabel('Username or email').fill(username);
  await again.locator('#field-password').fill(PASSWORD);
  await again.getByRole('button', { name: 'Sign in', exact: true }).click();
  await expect(again.getByRole('alert')).toContainText('The account or password is incorrect');
  await context.close();
});

test('the account center speaks French', async ({ browser }) => {
  const username = person('acct_curie');
  const context = await contextFor(browser, { locale: 'fr-FR' });
  const page = await context.newPage();
  await page.goto('/account');
  await page.locator('#field-identifier').fill(username);
  await page.locator('#field-password').fill(PASSWORD);
  await page.getByRole('button', { name: 'Se connecter', exact: true }).click();
  await expect(page.getByTestId('account-center')).toBeVisible();
  await expect(page.locator('html')).toHaveAttribute('lang', 'fr');
  await expect(page.getByTestId('section-profile')).toContainText('Profil');
  await expect(page.getByTestId('section-verify')).toContainText('Confirmez votre identité');
  await page.getByTestId('profile-form').getByLabel('Nom', { exact: true }).fill('Marie Curie');
  await page.getByTestId('profile-form').getByRole('button', { name: 'Enregistrer' }).click();
  await expect(page.getByTestId('account-done')).toContainText('Votre profil a été enregistré');
  await context.close();
});
