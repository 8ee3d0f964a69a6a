import { type Page } from '@playwright/test';
import { baseURL, vestibule, expect, test } from './support';

/** Collects console errors and uncaught exceptions for the whole test. */
function watchForErrors(page: Page): string[] {
  const errors: string[] = [];
  page.on('console', (message) => {
    if (message.type() === 'error') errors.push(message.text());
  });
  page.on('pageerror', (error) => errors.push(error.message));
  return errors;
}

test('the sign-in page hydrates and shows or hides the password', async ({ page }) => {
  const errors = watchForErrors(page);
  // The demo app starts a real authorization request, which lands on the sign-in page.
  await page.goto('/demo-app');

  await expect(page.getByRole('heading', { name: 'Sign in to your account' })).toBeVisible();
  await expect(page.locator('form[data-hydrated="true"]')).toBeAttached();

  const password = page.locator('#field-password');
  await password.fill('correct horse battery');
  await expect(password).toHaveAttribute('type', 'password');

  const toggle = page.getByRole('button', { name: 'Show password' });
  await toggle.click();
  await expect(password).toHaveAttribute('type', 'text');
  await expect(password).toHaveValue('correct horse battery');
  await expect(page.getByRole('button', { name: 'Hide password' })).toHaveAttribute('aria-pressed', 'true');

  await page.getByRole('button', { name: 'Hide password' }).click();
  await expect(password).toHaveAttribute('type', 'password');

  expect(errors).toEqual([]);
});

test('the page is styled by the built Tailwind stylesheet', async ({ page }) => {
  await page.goto('/demo-app');
  const submit = page.getByRole('button', { name: 'Sign in', exact: true });
  const background = await submit.evaluate((el) => getComputedStyle(el).backgroundColor);
  expect(background).not.toBe('rgba(0, 0, 0, 0)');
  const radius = await submit.evaluate((el) => getComputedStyle(el).borderTopLeftRadius);
  expect(radius).not.toBe('0px');
});

test('French is used when the browser prefers it, and hydration keeps it', async ({ browser }) => {
  const context = await browser.newContext({ locale: 'fr-FR' });
  const page = await context.newPage();
  const errors = watchForErrors(page);
  await page.goto('/demo-app');
  await expect(page.locator('form[data-hydrated="true"]')).toBeAttached();
  await expect(page.getByRole('heading', { name: 'Connectez-vous à votre compte' })).toBeVisible();
  await page.getByRole('button', { name: 'Afficher le mot de passe' }).click();
  await expect(page.getByRole('button', { name: 'Masquer le mot de passe' })).toBeVisible();
  expect(errors).toEqual([]);
  await context.close();
});

test('without JavaScript a direct visit leads to a sign-in whose errors are explained', async ({ browser }) => {
  const context = await browser.newContext({ javaScriptEnabled: false, locale: 'fr-FR' });
  const page = await context.newPage();
  await page.goto('/sign-in');
  await expect(page.getByRole('heading', { name: 'La connexion commence dans une application' })).toBeVisible();
  await expect(page.getByTestId('issuer')).toHaveText(`${baseURL()}/oidc`);
  await page.getByTestId('try-demo-app').click();
  await page.locator('#field-identifier').fill('alice');
  await page.locator('#field-password').fill('a password');
  await page.getByRole('button', { name: 'Se connecter' }).click();
  await expect(page.getByRole('alert')).toContainText('Le compte ou le mot de passe est incorrect.');
  await expect(page).not.toHaveURL(/password/);
  await context.close();
});

test('the demo app shows who signed in, and signs out', async ({ page }) => {
  const errors = watchForErrors(page);
  vestibule('user', 'create', '--username', 'demo-ada', '--password', 'a long and unusual passphrase', '--email', 'demo-ada@example.com');
  await page.goto('/sign-in');
  await page.getByTestId('try-demo-app').click();
  await page.getByLabel('Username or email').fill('demo-ada');
  await page.locator('#field-password').fill('a long and unusual passphrase');
  await page.getByRole('button', { name: 'Sign in', exact: true }).click();
  await expect(page.getByRole('heading', { name: 'You are signed in' })).toBeVisible();
  await expect(page.locator('[data-claim="username"]')).toHaveText('demo-ada');
  await expect(page.locator('[data-claim="email"]')).toHaveText('demo-ada@example.com');
  // "Sign in again" always shows the sign-in page (prompt=login), even with a live session.
  await page.getByRole('link', { name: 'Sign in again' }).click();
  await expect(page.getByRole('heading', { name: 'Sign in to your account' })).toBeVisible();
  expect(errors).toEqual([]);
});
