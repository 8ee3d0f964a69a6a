import { type Page } from '@playwright/test';
import { authenticator } from 'otplib';
import { authorizePath, baseURL, configureSignInExperience, signInWithPassword as signInAt, vestibule, expect, test } from './support';

// Two-step verification in Chromium: bind an authenticator app under a mandatory policy, save
// backup codes, then sign in with codes from an independent TOTP implementation (otplib) and
// with a backup code, which works once.

const PASSWORD = 'Enigma-Rotor-1939';

function configure(patch: object) {
  configureSignInExperience('mfa', patch);
}

function authorize() {
  return authorizePath('mfa-app', '/mfa-callback');
}

function signInWithPassword(page: Page) {
  return signInAt(page, authorize(), 'turing', PASSWORD);
}

test.beforeAll(() => {
  vestibule('app', 'create', '--type', 'spa', '--name', 'MFA app', '--id', 'mfa-app', '--redirect-uri', `${baseURL()}/mfa-callback`);
  vestibule('user', 'create', '--username', 'turing', '--password', PASSWORD);
  configure({ mfa: { factors: ['Totp', 'BackupCode'], policy: 'Mandatory' } });
});

test.afterAll(() => configure({ mfa: { factors: [], policy: 'UserControlled' } }));

test('bind an authenticator app and backup codes, then sign in with either', async ({ browser }) => {
  test.setTimeout(90_000);
  const context = await browser.newContext();
  const page = await context.newPage();
  await signInWithPassword(page);

  // Mandatory: the authenticator is set up before the sign-in completes.
  await expect(page).toHaveURL(/\/mfa\/bind\?factors=Totp/);
  await expect(page.getByTestId('totp-qr')).toBeVisible();
  await expect(page.getByTestId('mfa-skip')).toHaveCount(0);
  const secret = (await page.getByTestId('totp-secret').textContent())!.trim();
  await page.getByLabel('Authenticator code').fill('000000' === authenticator.generate(secret) ? '111111' : '000000');
  await page.getByRole('button', { name: 'Turn on two-step verification' }).click();
  await expect(page.getByRole('alert')).toContainText("That code isn't right");
  const bindingCode = authenticator.generate(secret);
  await page.getByLabel('Authenticator code').fill(bindingCode);
  await page.getByRole('button', { name: 'Turn on two-step verification' }).click();

  await expect(page).toHaveURL(/\/mfa\/backup-codes/);
  const codes = (await page.getByTestId('backup-codes').locator('li').allTextContents()).map((c) => c.trim());
  expect(codes).toHaveLength(10);
  await page.getByRole('button', { name: 'I have saved these codes' }).click();
  await expect(page).toHaveURL(/\/mfa-callback\?code=/);
  await context.close();

  // A backup code signs in once.
  for (const expected of ['ok', 'used']) {
    const ctx = await browser.newContext();
    const p = await ctx.newPage();
    await signInWithPassword(p);
    await expect(p).toHaveURL(/\/mfa\/verify\?factors=Totp%2CBackupCode/);
    await p.getByTestId('mfa-switch').click();
    await p.getByLabel('Backup code').fill(codes[0]);
    await p.getByRole('button', { name: 'Verify' }).click();
    if (expected === 'ok') {
      await expect(p).toHaveURL(/\/mfa-callback\?code=/);
    } else {
      await expect(p.getByRole('alert')).toContainText('already used');
    }
    await ctx.close();
  }

  // The authenticator's next code (otplib) signs in; the binding code cannot be replayed.
  while (authenticator.generate(secret) === bindingCode) {
    await new Promise((r) => setTimeout(r, 1000));
  }
  const ctx = await browser.newContext();
  const p = await ctx.newPage();
  await signInWithPassword(p);
  await p.getByLabel('Authenticator code').fill(authenticator.generate(secret));
  await p.getByRole('button', { name: 'Verify' }).click();
  await expect(p).toHaveURL(/\/mfa-callback\?code=/);
  await ctx.close();
});
