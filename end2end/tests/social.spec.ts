import Provider from 'oidc-provider';
import { createServer, type Server } from 'node:http';
import { authorizePath, baseURL, configureSignInExperience, managementApi, throughOidcProvider, vestibule, expect, test } from './support';

// Social sign-in in Chromium against the release build, through a real, independent OpenID
// Provider (panva's oidc-provider, started here on loopback) and its own login pages: a new
// identity signs up, a second sign-in finds the same account.

const CLIENT_ID = 'vestibule-e2e';
const CLIENT_SECRET = 'e2e-upstream-client-secret-0123456789';
let upstream: Server;
let connectorId: string;

test.beforeAll(async () => {
  vestibule('app', 'create', '--type', 'spa', '--name', 'Social app', '--id', 'social-app', '--redirect-uri', `${baseURL()}/social-callback`);
  configureSignInExperience('social', { signUp: { identifiers: ['email'], password: true, verify: true, secondaryIdentifiers: [] } });
  const call = await managementApi();
  const created = await call('POST', '/api/connectors', {
    connectorId: 'oidc', config: { issuer: 'http://127.0.0.1:9', clientId: CLIENT_ID, clientSecret: CLIENT_SECRET },
    metadata: { target: 'e2e-upstream', name: { en: 'Lighthouse ID', fr: 'Lighthouse ID' } },
  });
  expect(created.status).toBe(200);
  connectorId = created.body.id;

  upstream = createServer();
  await new Promise<void>((resolve) => upstream.listen(0, '127.0.0.1', resolve));
  const issuer = `http://127.0.0.1:${(upstream.address() as { port: number }).port}`;
  const provider = new Provider(issuer, {
    clients: [{ client_id: CLIENT_ID, client_secret: CLIENT_SECRET, redirect_uris: [`${baseURL()}/callback/${connectorId}`], token_endpoint_auth_method: 'client_secret_post' }],
    claims: { openid: ['sub'], email: ['email', 'email_verified'], profile: ['name'] },
    features: { devInteractions: { enabled: true } },
    ttl: { Session: 600, Interaction: 600, AuthorizationCode: 60, AccessToken: 600, IdToken: 600, Grant: 600 },
    async findAccount(_ctx: unknown, id: string) {
      return { accountId: id, async claims() { return { sub: id, email: `${id}@lighthouse.example`, email_verified: true, name: 'Keeper' }; } };
    },
  });
  upstream.on('request', provider.callback());
  await call('PATCH', `/api/connectors/${connectorId}`, { config: { issuer } });
});

test.afterAll(async () => {
  configureSignInExperience('social', { signUp: { identifiers: ['username'], password: true, verify: false, secondaryIdentifiers: [] } });
  const call = await managementApi();
  await call('DELETE', `/api/connectors/${connectorId}`);
  await new Promise<void>((resolve) => upstream.close(() => resolve()));
});

test('a new identity signs up through the upstream, and signs in again to the same account', async ({ browser }) => {
  for (const round of [1, 2]) {
    const context = await browser.newContext();
    const page = await context.newPage();
    await page.goto(authorizePath('social-app', '/social-callback'));
    await page.getByTestId(`social-${connectorId}`).click();
    // The upstream's own pages: its login form, then its consent.
    await page.locator('input[name="login"]').fill('keeper');
    await page.locator('input[name="password"]').fill('anything');
    await page.locator('button[type="submit"]').click();
    // Its consent page (the first time): "Authorize … Continue".
    const consent = page.getByRole('button', { name: 'Continue' });
    await expect.poll(async () => page.url().includes('/social-callback') || (await consent.count()) > 0).toBe(true);
    if (!page.url().includes('/social-callback')) await consent.click();
    await expect(page, `round ${round}`).toHaveURL(/\/social-callback\?code=/);
    await context.close();
  }
  const call = await managementApi();
  const { body: users } = await call('GET', '/api/users?search=keeper%40lighthouse.example');
  expect(users.map((u: { primaryEmail: string }) => u.primaryEmail)).toEqual(['keeper@lighthouse.example']);
});

test('an upstream identity whose address has an account links to it, asked or automatically', async ({ browser }) => {
  const call = await managementApi();
  for (const username of ['lamplighter', 'foghorn']) {
    const created = await call('POST', '/api/users', { username, primaryEmail: `${username}@lighthouse.example`, password: 'Correct-Horse-9' });
    expect(created.status).toBe(200);
  }

  // Asked: the link-or-create page names the address; linking signs in to that account.
  let context = await browser.newContext();
  let page = await context.newPage();
  await page.goto(authorizePath('social-app', '/social-callback'));
  await page.getByTestId(`social-${connectorId}`).click();
  await throughOidcProvider(page, 'lamplighter');
  await expect(page.getByTestId('social-link-explained')).toContainText('lamplighter@lighthouse.example');
  await page.getByRole('button', { name: 'Link to my account' }).click();
  await expect(page).toHaveURL(/\/social-callback\?code=/);
  await context.close();

  // Automatic: straight back to the application.
  configureSignInExperience('social-linking', { socialSignIn: { automaticAccountLinking: true } });
  try {
    context = await browser.newContext();
    page = await context.newPage();
    await page.goto(authorizePath('social-app', '/social-callback'));
    await page.getByTestId(`social-${connectorId}`).click();
    await throughOidcProvider(page, 'foghorn');
    await expect(page).toHaveURL(/\/social-callback\?code=/);
    await context.close();
  } finally {
    configureSignInExperience('social-linking', { socialSignIn: { automaticAccountLinking: false } });
  }
  for (const username of ['lamplighter', 'foghorn']) {
    const { body: users } = await call('GET', `/api/users?search=${username}%40lighthouse.example`);
    expect(users.length, 'no second account').toBe(1);
    const { body: identities } = await call('GET', `/api/users/${users[0].id}/all-identities`);
    expect(identities.socialIdentities.map((i: { target: string }) => i.target)).toEqual(['e2e-upstream']);
  }
});
