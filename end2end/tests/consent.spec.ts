// A third-party application asks for consent on the hosted /consent page (spec §9), driven
// by openid-client as that application would be, in Chromium.
import { type Page } from '@playwright/test';
import * as client from 'openid-client';
import { baseURL, managementApi, vestibule, expect, test } from './support';

const REDIRECT = 'http://partner.test/callback';
const PASSWORD = 'calendar sync 2026';

test.describe.configure({ mode: 'serial' });

let config: client.Configuration;

test.beforeAll(async () => {
  vestibule('app', 'create', '--type', 'traditional', '--name', 'partner-calendar', '--id', 'partner',
    '--secret', 'partner-secret-0123456789abcdef', '--redirect-uri', REDIRECT);
  const api = await managementApi();
  expect((await api('PATCH', '/api/applications/partner', { isThirdParty: true })).status).toBe(200);
  expect((await api('POST', '/api/applications/partner/user-consent-scopes', { userScopes: ['profile', 'email'] })).status).toBe(201);
  expect((await api('PUT', '/api/applications/partner/sign-in-experience', {
    displayName: 'Partner Calendar', termsOfUseUrl: 'https://partner.test/terms', privacyPolicyUrl: 'https://partner.test/privacy',
  })).status).toBe(200);
  vestibule('user', 'create', '--username', 'lin', '--password', PASSWORD, '--email', 'lin@example.com');
  vestibule('user', 'create', '--username', 'noor', '--password', PASSWORD, '--email', 'noor@example.com');
  config = await client.discovery(new URL(`${baseURL()}/oidc`), 'partner', 'partner-secret-0123456789abcdef', client.ClientSecretBasic(), {
    execute: [client.allowInsecureRequests],
  });
});

/** Starts an authorization as the partner app, signs in as `username`, and lands on /consent. */
async function toConsent(page: Page, username: string, extra: Record<string, string> = {}) {
  const verifier = client.randomPKCECodeVerifier();
  const state = client.randomState();
  const url = client.buildAuthorizationUrl(config, {
    redirect_uri: REDIRECT, scope: 'openid profile email', state,
    code_challenge: await client.calculatePKCECodeChallenge(verifier), code_challenge_method: 'S256', ...extra,
  });
  let captured: URL | undefined;
  await page.route((u) => u.href.startsWith(REDIRECT), async (route) => {
    captured = new URL(route.request().url());
    await route.fulfill({ status: 200, contentType: 'text/html', body: '<p>back at the partner</p>' });
  });
  await page.goto(url.href);
  await page.locator('#field-identifier').fill(username);
  await page.locator('#field-password').fill(PASSWORD);
  await page.locator('#field-password').press('Enter');
  await expect(page).toHaveURL(/\/consent/);
  return { verifier, state, callback: () => captured };
}

test('the person sees what the partner asks, approves, and the partner gets only that', async ({ page }) => {
  const { verifier, state, callback } = await toConsent(page, 'lin');
  await expect(page.getByRole('heading', { name: 'Authorize access' })).toBeVisible();
  await expect(page.getByTestId('consent-app')).toHaveText('Partner Calendar');
  await expect(page.getByTestId('consent-account')).toContainText('lin@example.com');
  await expect(page.getByTestId('consent-scope')).toHaveText(['Your name, username and profile picture', 'Your email address']);
  await expect(page.getByTestId('consent-links').getByRole('link', { name: 'Terms of use' })).toHaveAttribute('href', 'https://partner.test/terms');
  await page.getByRole('button', { name: 'Authorize' }).click();
  await expect.poll(() => callback()?.href).toContain(REDIRECT);
  const tokens = await client.authorizationCodeGrant(config, callback()!, { pkceCodeVerifier: verifier, expectedState: state });
  expect(tokens.scope?.split(' ').sort()).toEqual(['email', 'openid', 'profile']);
  expect(tokens.claims()?.email).toBe('lin@example.com');
});

test('cancelling tells the partner access_denied, in the person\'s language', async ({ page }) => {
  const { state, callback } = await toConsent(page, 'noor', { ui_locales: 'fr' });
  await expect(page.getByRole('heading', { name: 'Autoriser l’accès' })).toBeVisible();
  await page.getByRole('button', { name: 'Annuler' }).click();
  await expect.poll(() => callback()?.href).toContain(REDIRECT);
  expect(callback()!.searchParams.get('error')).toBe('access_denied');
  expect(callback()!.searchParams.get('state')).toBe(state);
  expect(callback()!.searchParams.get('code')).toBeNull();
});
