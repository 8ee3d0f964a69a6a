import { test, expect, type Page } from '@playwright/test';

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
  await page.goto('/sign-in');

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
  await page.goto('/sign-in');
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
  await page.goto('/sign-in');
  await expect(page.locator('form[data-hydrated="true"]')).toBeAttached();
  await expect(page.getByRole('heading', { name: 'Connectez-vous à votre compte' })).toBeVisible();
  await page.getByRole('button', { name: 'Afficher le mot de passe' }).click();
  await expect(page.getByRole('button', { name: 'Masquer le mot de passe' })).toBeVisible();
  expect(errors).toEqual([]);
  await context.close();
});

test('without JavaScript the form still posts and the error is explained', async ({ browser }) => {
  const context = await browser.newContext({ javaScriptEnabled: false });
  const page = await context.newPage();
  await page.goto('/sign-in?ui_locales=fr');
  await page.locator('#field-identifier').fill('alice');
  await page.locator('#field-password').fill('a password');
  await page.getByRole('button', { name: 'Se connecter' }).click();
  await expect(page.getByRole('alert')).toContainText('Cette session de connexion est introuvable');
  await expect(page).not.toHaveURL(/password/);
  await context.close();
});
