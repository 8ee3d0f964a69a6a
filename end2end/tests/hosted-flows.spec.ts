import { type Page } from '@playwright/test';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { baseURL, startMailServer, vestibule, expect, test, type MailServer } from './support';

// The hosted sign-in experience in Chromium, end to end: each flow starts at /oidc/auth like
// a real application and ends back at the application's callback with a code. Codes arrive
// by email through a real SMTP server started here.

const CHALLENGE = 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM';
const STRONG = 'Maple-Orbit-72!';
const callback = () => `${baseURL()}/app-callback`;

let smtp: MailServer;

const DEFAULTS = {
  signInMode: 'SignInAndRegister',
  signUp: { identifiers: ['username'], password: true, verify: false, secondaryIdentifiers: [] },
  signIn: {
    methods: [
      { identifier: 'username', password: true, verificationCode: false, isPasswordPrimary: true },
      { identifier: 'email', password: true, verificationCode: true, isPasswordPrimary: true },
    ],
  },
  termsOfUseUrl: null,
  privacyPolicyUrl: null,
  agreeToTermsPolicy: 'Automatic',
  mfa: { factors: [], policy: 'UserControlled' },
  magicLinkSignIn: false,
};

function configure(patch: object) {
  const file = join(process.env.E2E_DATA_DIR!, 'sign-in-experience.json');
  writeFileSync(file, JSON.stringify(patch));
  vestibule('sign-in-experience', 'set', '--file', file);
}

function authorize(extra: Record<string, string> = {}) {
  const params = new URLSearchParams({
    client_id: 'hosted', redirect_uri: callback(), response_type: 'code', scope: 'openid profile email',
    state: 'state-1', code_challenge: CHALLENGE, code_challenge_method: 'S256', ...extra,
  });
  return `/oidc/auth?${params}`;
}

async function expectBackAtApp(page: Page) {
  await expect(page).toHaveURL(/\/app-callback\?code=[^&]+&state=state-1/);
}

const codeSentTo = (address: string) => smtp.codeSentTo(address);

async function hydrated(page: Page) {
  await expect(page.locator('form[data-hydrated="true"]').first()).toBeAttached();
}

test.beforeAll(async () => {
  smtp = await startMailServer();
  vestibule('app', 'create', '--type', 'spa', '--name', 'Hosted flows', '--id', 'hosted', '--redirect-uri', callback());
});

test.afterAll(async () => {
  await smtp.close();
});

test.beforeEach(() => configure(DEFAULTS));

test('sign in with a username and password', async ({ page }) => {
  vestibule('user', 'create', '--username', 'annie', '--password', STRONG);
  await page.goto(authorize());
  await expect(page).toHaveURL(/\/sign-in\?app_id=hosted/);
  await hydrated(page);
  await page.getByLabel('Username or email').fill('annie');
  await page.locator('#field-password').fill('Not-Her-Password-1');
  await page.getByRole('button', { name: 'Sign in', exact: true }).click();
  await expect(page.getByRole('alert')).toContainText('The account or password is incorrect');
  await expect(page.getByLabel('Username or email')).toHaveValue('annie');
  await page.locator('#field-password').fill(STRONG);
  await page.getByRole('button', { name: 'Sign in', exact: true }).click();
  await expectBackAtApp(page);
});

test('register by email with a code, then sign in with an emailed code', async ({ page, browser }) => {
  configure({ signUp: { identifiers: ['email'], password: true, verify: true, secondaryIdentifiers: [] } });
  await page.goto(authorize());
  await page.getByTestId('create-account').click();
  await expect(page.getByRole('heading', { name: 'Create your account' })).toBeVisible();
  await page.getByLabel('Email').fill('grace@example.com');
  await page.getByRole('button', { name: 'Create account' }).click();

  await expect(page).toHaveURL(/\/verify-code\?to=grace%40example.com/);
  await expect(page.getByText('We sent a 6-digit code to grace@example.com')).toBeVisible();
  await hydrated(page);
  // Once the page is live, resending waits for its countdown.
  await expect(page.getByTestId('resend-code')).toBeDisabled();
  await expect(page.getByTestId('resend-code')).toContainText('Send a new code in');
  await page.getByLabel('Verification code').fill(await codeSentTo('grace@example.com'));
  await page.getByRole('button', { name: 'Continue' }).click();

  // The sign-up asks for a password too: the profile step, with a live length hint.
  await expect(page).toHaveURL(/\/continue\?missing=password/);
  await hydrated(page);
  const password = page.locator('#field-password');
  await password.fill('short');
  await expect(page.getByTestId('password-hint')).toHaveAttribute('data-met', 'false');
  await password.fill('password1');
  await expect(page.getByTestId('password-hint')).toHaveAttribute('data-met', 'true');
  await page.getByRole('button', { name: 'Continue' }).click();
  await expect(page.getByRole('alert')).toContainText('data breach');
  await page.locator('#field-password').fill(STRONG);
  await page.getByRole('button', { name: 'Continue' }).click();
  await expectBackAtApp(page);

  // A new browser signs in with a code sent to the same address.
  const context = await browser.newContext();
  const other = await context.newPage();
  await other.goto(authorize());
  await other.getByTestId('sign-in-with-code').click();
  await other.getByLabel('Email').fill('Grace@Example.com');
  await other.getByRole('button', { name: 'Send code' }).click();
  await other.getByLabel('Verification code').fill(await codeSentTo('grace@example.com'));
  await other.getByRole('button', { name: 'Continue' }).click();
  await expectBackAtApp(other);
  await context.close();
});

test('"email me a sign-in link": the emailed magic link signs in, in the same browser', async ({ page }) => {
  configure({ magicLinkSignIn: true });
  vestibule('user', 'create', '--username', 'hosted_linda', '--password', STRONG, '--email', 'hosted_linda@example.com');
  await page.goto(authorize());
  await page.getByTestId('sign-in-with-code').click();
  await page.getByLabel('Email').fill('hosted_linda@example.com');
  await page.getByTestId('send-sign-in-link').click();
  await expect(page).toHaveURL(/\/sign-in\/link-sent/);
  await expect(page.getByTestId('sign-in-link-sent')).toContainText('hosted_linda@example.com');
  await page.goto(await smtp.linkSentTo('hosted_linda@example.com', '/one-time-token'));
  await expect(page.getByTestId('magic-link-email')).toHaveText('hosted_linda@example.com');
  await page.getByRole('button', { name: 'Continue' }).click();
  await expectBackAtApp(page);
});

test('reset a forgotten password by email', async ({ page }) => {
  vestibule('user', 'create', '--username', 'hedy', '--password', STRONG, '--email', 'hedy@example.com');
  await page.goto(authorize());
  await page.getByTestId('forgot-password').click();
  await page.getByLabel('Email or phone number').fill('hedy@example.com');
  await page.getByRole('button', { name: 'Send code' }).click();
  await page.getByLabel('Verification code').fill('000000');
  await page.getByRole('button', { name: 'Continue' }).click();
  await expect(page.getByRole('alert')).toContainText("That code isn't right");
  await page.getByLabel('Verification code').fill(await codeSentTo('hedy@example.com'));
  await page.getByRole('button', { name: 'Continue' }).click();
  await expect(page.getByRole('heading', { name: 'Choose a new password' })).toBeVisible();
  await page.locator('#field-password').fill(STRONG);
  await page.getByRole('button', { name: 'Save password' }).click();
  await expect(page.getByRole('alert')).toContainText('must be different');
  await page.locator('#field-password').fill('Fresh-Harbor-58?');
  await page.getByRole('button', { name: 'Save password' }).click();
  await expect(page.getByRole('status')).toContainText('Your password was changed');
  await page.getByLabel('Username or email').fill('hedy@example.com');
  await page.locator('#field-password').fill('Fresh-Harbor-58?');
  await page.getByRole('button', { name: 'Sign in', exact: true }).click();
  await expectBackAtApp(page);
});

test('registration needs the terms when they must be accepted, even if the page is bypassed', async ({ page }) => {
  configure({ termsOfUseUrl: 'https://example.com/terms', privacyPolicyUrl: 'https://example.com/privacy', agreeToTermsPolicy: 'ManualRegistrationOnly' });
  await page.goto(authorize({ first_screen: 'register' }));
  await expect(page.getByRole('link', { name: 'Terms of use' })).toHaveAttribute('href', 'https://example.com/terms');
  await page.getByLabel('Username').fill('terry');
  await page.locator('#field-password').fill(STRONG);
  // Remove the browser-side guard: the server still refuses.
  await page.getByTestId('agree-terms').evaluate((box) => box.removeAttribute('required'));
  await page.getByRole('button', { name: 'Create account' }).click();
  await expect(page.getByRole('alert')).toContainText('Please accept the terms');
  await page.locator('#field-password').fill(STRONG);
  await page.getByTestId('agree-terms').check();
  await page.getByRole('button', { name: 'Create account' }).click();
  await expectBackAtApp(page);
});

test('SignIn mode hides registration', async ({ page }) => {
  configure({ signInMode: 'SignIn' });
  await page.goto(authorize());
  await expect(page.getByRole('heading', { name: 'Sign in to your account' })).toBeVisible();
  await expect(page.getByTestId('create-account')).toHaveCount(0);
  await page.goto('/register');
  await expect(page).toHaveURL(/\/sign-in/);
});

test('first_screen=register and login_hint choose and prefill the first page', async ({ page }) => {
  configure({ signUp: { identifiers: ['email'], password: false, verify: true, secondaryIdentifiers: [] } });
  await page.goto(authorize({ first_screen: 'register', login_hint: 'lin@example.com' }));
  await expect(page).toHaveURL(/\/register\?app_id=hosted&login_hint=lin%40example.com/);
  await expect(page.getByLabel('Email')).toHaveValue('lin@example.com');
  await page.goto(authorize({ login_hint: 'annie' }));
  await expect(page.getByLabel('Username or email')).toHaveValue('annie');
});

test('the pages speak French, errors included', async ({ page }) => {
  vestibule('user', 'create', '--username', 'taken', '--password', STRONG);
  await page.goto(authorize({ first_screen: 'register', ui_locales: 'fr' }));
  await expect(page.getByRole('heading', { name: 'Créez votre compte' })).toBeVisible();
  await page.getByLabel("Nom d'utilisateur").fill('taken');
  await page.locator('#field-password').fill(STRONG);
  await page.getByRole('button', { name: 'Créer le compte' }).click();
  await expect(page.getByRole('alert')).toContainText("Ce nom d'utilisateur est déjà pris");
  await page.locator('#field-password').fill('abc');
  await page.getByLabel("Nom d'utilisateur").fill('nouveau');
  await page.locator('#field-password').evaluate((input) => input.removeAttribute('minlength'));
  await page.getByRole('button', { name: 'Créer le compte' }).click();
  await expect(page.getByRole('alert')).toContainText('Utilisez au moins 8 caractères');
});

test('a whole sign-in works with JavaScript disabled', async ({ browser }) => {
  vestibule('user', 'create', '--username', 'nojs', '--password', STRONG);
  const context = await browser.newContext({ javaScriptEnabled: false });
  const page = await context.newPage();
  await page.goto(authorize());
  await page.getByLabel('Username or email').fill('nojs');
  await page.locator('#field-password').fill(STRONG);
  await page.getByRole('button', { name: 'Sign in', exact: true }).click();
  await expectBackAtApp(page);
  await context.close();
});
