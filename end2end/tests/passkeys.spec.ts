import { type Page, type BrowserContext } from '@playwright/test';
import { authorizePath, baseURL, configureSignInExperience, signInWithPassword as signInAt, vestibule, expect, test } from './support';

// Passkeys in Chromium with its virtual authenticator (CDP WebAuthn domain: a CTAP2 platform
// authenticator with resident keys and user verification): create one as the second factor
// through the hosted pages, verify with it at the next sign-in, then sign in with it alone —
// from the "Sign in with a passkey" button and from the identifier field's autofill.

const PASSWORD = 'Grace-Cobol-1959';

function configure(patch: object) {
  configureSignInExperience('passkeys', patch);
}

function authorize() {
  return authorizePath('passkey-app', '/passkey-callback');
}

async function virtualAuthenticator(context: BrowserContext, page: Page) {
  const cdp = await context.newCDPSession(page);
  await cdp.send('WebAuthn.enable');
  const { authenticatorId } = await cdp.send('WebAuthn.addVirtualAuthenticator', {
    options: { protocol: 'ctap2', transport: 'internal', hasResidentKey: true, hasUserVerification: true, isUserVerified: true, automaticPresenceSimulation: true },
  });
  return { cdp, authenticatorId };
}

function signInWithPassword(page: Page) {
  return signInAt(page, authorize(), 'hopper', PASSWORD);
}

test.beforeAll(() => {
  vestibule('app', 'create', '--type', 'spa', '--name', 'Passkey app', '--id', 'passkey-app', '--redirect-uri', `${baseURL()}/passkey-callback`);
  vestibule('user', 'create', '--username', 'hopper', '--password', PASSWORD);
  configure({ mfa: { factors: ['WebAuthn'], policy: 'Mandatory' } });
});

test.afterAll(() => configure({ mfa: { factors: [], policy: 'UserControlled' }, passkeySignIn: { enabled: false } }));

test('a passkey is the second factor, then signs in on its own', async ({ browser }) => {
  test.setTimeout(90_000);
  const context = await browser.newContext();
  const page = await context.newPage();
  const { cdp, authenticatorId } = await virtualAuthenticator(context, page);

  // Mandatory MFA with WebAuthn: create the passkey before the sign-in completes.
  await signInWithPassword(page);
  await expect(page).toHaveURL(/\/mfa\/bind\?factors=WebAuthn/);
  await expect(page.getByRole('heading', { name: 'Create a passkey' })).toBeVisible();
  await page.getByTestId('mfa-passkey-button').click();
  await expect(page).toHaveURL(/\/passkey-callback\?code=/);
  const { credentials } = await cdp.send('WebAuthn.getCredentials', { authenticatorId });
  expect(credentials).toHaveLength(1);
  expect(credentials[0].isResidentCredential).toBe(true);
  expect(credentials[0].rpId).toBe('localhost');

  // The next password sign-in asks for it.
  await context.clearCookies();
  await signInWithPassword(page);
  await expect(page).toHaveURL(/\/mfa\/verify\?factors=WebAuthn/);
  await page.getByTestId('mfa-passkey-button').click();
  await expect(page).toHaveURL(/\/passkey-callback\?code=/);
  const after = await cdp.send('WebAuthn.getCredentials', { authenticatorId });
  expect(after.credentials[0].signCount).toBeGreaterThan(0);

  // Passkey sign-in: no identifier, no password, no second step.
  configure({ mfa: { factors: ['WebAuthn'], policy: 'Mandatory' }, passkeySignIn: { enabled: true, showPasskeyButton: true, allowAutofill: false } });
  await context.clearCookies();
  await page.goto(authorize());
  await page.getByTestId('passkey-sign-in-button').click();
  await expect(page).toHaveURL(/\/passkey-callback\?code=/);

  // Autofill only: no button; the identifier field offers passkeys. The page starts a
  // conditional request as it loads; the autofill list is the browser's own UI, which headless
  // Chromium does not draw, so the script below stands in for the person picking the passkey
  // from it: it records the request's mediation and lets the virtual authenticator answer.
  configure({ mfa: { factors: ['WebAuthn'], policy: 'Mandatory' }, passkeySignIn: { enabled: true, showPasskeyButton: false, allowAutofill: true } });
  await context.clearCookies();
  const mediations: string[] = [];
  await page.exposeFunction('recordMediation', (mediation: string) => mediations.push(mediation));
  await page.addInitScript(() => {
    const get = navigator.credentials.get.bind(navigator.credentials);
    navigator.credentials.get = (options?: any) => {
      (window as any).recordMediation(options?.mediation ?? 'optional');
      const { mediation, signal, ...picked } = options ?? {};
      return get(picked);
    };
  });
  await page.goto(authorize());
  await expect(page).toHaveURL(/\/passkey-callback\?code=/);
  expect(mediations).toEqual(['conditional']);
  await context.close();
});

test('a passkey that cannot be used is explained, and the password still works', async ({ browser }) => {
  vestibule('user', 'create', '--username', 'lovelace', '--password', PASSWORD);
  configure({ mfa: { factors: [], policy: 'UserControlled' }, passkeySignIn: { enabled: true, showPasskeyButton: true, allowAutofill: false } });
  const context = await browser.newContext({ locale: 'fr-FR' });
  const page = await context.newPage();
  // An authenticator that holds no passkey for this site: the browser refuses, and the page
  // says so in the person's language instead of failing silently.
  await virtualAuthenticator(context, page);
  await page.goto(authorize());
  await page.getByTestId('passkey-sign-in-button').click();
  await expect(page.getByTestId('passkey-error')).toContainText(/clé d'accès/);
  await page.locator('#field-identifier').fill('lovelace');
  await page.locator('#field-password').fill(PASSWORD);
  await page.locator('form[action="/sign-in"] button[type=submit]').click();
  // Signed in without one, she is offered a passkey for next time; "not now" finishes.
  await expect(page).toHaveURL(/\/passkey(\?|$)/);
  await page.getByTestId('passkey-skip').click();
  await expect(page).toHaveURL(/\/passkey-callback\?code=/);
  await context.close();
});
