import Provider from 'oidc-provider';
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { authorizePath, baseURL, configureSignInExperience, managementApi, throughOidcProvider, vestibule, expect, test } from './support';

// Enterprise SSO in Chromium against the release build, with real identity providers on
// loopback: an OpenID Provider (panva's oidc-provider) for Beacon's people and a SAML IdP
// (samlify, server/tests/upstream/saml-idp.mjs) for Globex's. People are routed by their
// work email from the sign-in form and from /single-sign-on, and a Globex employee signs in
// from the IdP's own portal (IdP-initiated).

const CLIENT_ID = 'vestibule-e2e-sso';
const CLIENT_SECRET = 'e2e-sso-client-secret-0123456789';
let oidcIdp: Server;
let samlIdp: ChildProcess;
let samlBase: string;
let oidcConnector: string;
let samlConnector: string;

/** Starts the SAML IdP for the connector's service provider; answers its base URL. */
async function startSamlIdp(entityId: string, acs: string): Promise<string> {
  const keys = mkdtempSync(join(tmpdir(), 'e2e-saml-'));
  execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '2', '-subj', '/CN=e2e-idp', '-keyout', join(keys, 'idp.key'), '-out', join(keys, 'idp.crt')], { stdio: 'ignore' });
  samlIdp = spawn('node', [resolve(__dirname, '../../server/tests/upstream/saml-idp.mjs')], {
    env: { ...process.env, SAML_IDP_KEY: join(keys, 'idp.key'), SAML_IDP_CERT: join(keys, 'idp.crt'), SAML_SP_ENTITY_ID: entityId, SAML_SP_ACS: acs,
      SAML_ACCOUNTS: JSON.stringify({ grace: { email: 'grace@globex.example', name: 'Grace Hopper' } }) },
    stdio: ['ignore', 'pipe', 'ignore'],
  });
  const line: string = await new Promise((done) => createInterface({ input: samlIdp.stdout! }).once('line', done));
  return `http://127.0.0.1:${line.replace('listening ', '').trim()}`;
}

test.beforeAll(async () => {
  vestibule('app', 'create', '--type', 'spa', '--name', 'Workforce app', '--id', 'sso-app', '--redirect-uri', `${baseURL()}/sso-callback`);
  configureSignInExperience('sso', { singleSignOnEnabled: true });
  const call = await managementApi();
  const created = await call('POST', '/api/sso-connectors', {
    providerName: 'OIDC', connectorName: 'Beacon workforce', domains: ['beacon.example'],
    config: { clientId: CLIENT_ID, clientSecret: CLIENT_SECRET, issuer: 'http://127.0.0.1:9' },
  });
  expect(created.status).toBe(200);
  oidcConnector = created.body.id;

  oidcIdp = createServer();
  await new Promise<void>((done) => oidcIdp.listen(0, '127.0.0.1', done));
  const issuer = `http://127.0.0.1:${(oidcIdp.address() as { port: number }).port}`;
  const provider = new Provider(issuer, {
    clients: [{ client_id: CLIENT_ID, client_secret: CLIENT_SECRET, redirect_uris: [`${baseURL()}/callback/sso/${oidcConnector}`], token_endpoint_auth_method: 'client_secret_post' }],
    claims: { openid: ['sub'], email: ['email', 'email_verified'], profile: ['name'] },
    features: { devInteractions: { enabled: true } },
    ttl: { Session: 600, Interaction: 600, AuthorizationCode: 60, AccessToken: 600, IdToken: 600, Grant: 600 },
    async findAccount(_ctx: unknown, id: string) {
      return { accountId: id, async claims() { return { sub: id, email: `${id}@beacon.example`, email_verified: true, name: id }; } };
    },
  });
  oidcIdp.on('request', provider.callback());
  expect((await call('PATCH', `/api/sso-connectors/${oidcConnector}`, { config: { clientId: CLIENT_ID, clientSecret: CLIENT_SECRET, issuer } })).status).toBe(200);

  const saml = await call('POST', '/api/sso-connectors', { providerName: 'SAML', connectorName: 'Globex', domains: ['globex.example'] });
  samlConnector = saml.body.id;
  const sp = saml.body.providerConfig.serviceProvider;
  samlBase = await startSamlIdp(sp.entityId, sp.assertionConsumerServiceUrl);
  expect((await call('PATCH', `/api/sso-connectors/${samlConnector}`, { config: { metadataUrl: `${samlBase}/metadata` } })).status).toBe(200);
});

test.afterAll(async () => {
  configureSignInExperience('sso', { singleSignOnEnabled: false });
  const call = await managementApi();
  await call('DELETE', `/api/sso-connectors/${oidcConnector}`);
  await call('DELETE', `/api/sso-connectors/${samlConnector}`);
  await new Promise<void>((done) => oidcIdp.close(() => done()));
  samlIdp.kill();
});

test('a work email typed on the sign-in form goes to its organization\'s identity provider', async ({ page }) => {
  await page.goto(authorizePath('sso-app', '/sso-callback'));
  await page.getByLabel('Username or email').fill('ada@Beacon.example');
  await page.locator('#field-password').fill('not asked for');
  await page.getByRole('button', { name: 'Sign in', exact: true }).click();
  await expect(page).toHaveURL(/127\.0\.0\.1/);
  await throughOidcProvider(page, 'ada');
  await expect(page).toHaveURL(/\/sso-callback\?code=/);
  const call = await managementApi();
  const { body: users } = await call('GET', '/api/users?search=ada%40beacon.example');
  expect(users.map((u: { primaryEmail: string }) => u.primaryEmail)).toEqual(['ada@beacon.example']);
  // The account center shows where she signs in, read-only.
  const file = join(process.env.E2E_DATA_DIR!, 'sso-account-center.json');
  writeFileSync(file, JSON.stringify({ enabled: true, fields: { social: 'ReadOnly' } }));
  vestibule('account-center', 'set', '--file', file);
  await page.goto('/account');
  await expect(page.getByTestId('enterprise-identity')).toContainText('Beacon workforce');
  await expect(page.getByTestId('enterprise-identity')).toContainText('ada@beacon.example');
});

test('the single sign-on page takes a work email to a SAML identity provider and back', async ({ page }) => {
  await page.goto(authorizePath('sso-app', '/sso-callback'));
  await page.getByTestId('single-sign-on').click();
  await expect(page.getByRole('heading', { name: 'Sign in with your organization' })).toBeVisible();
  await page.getByLabel('Work email').fill('nobody@elsewhere.example');
  await page.getByRole('button', { name: 'Continue' }).click();
  await expect(page.getByText("Single sign-on isn't set up for this email address")).toBeVisible();
  await page.getByLabel('Work email').fill('grace@globex.example');
  await page.getByRole('button', { name: 'Continue' }).click();
  // The IdP's own login form; its answer is a form the browser posts back to our ACS.
  await expect(page).toHaveURL(new RegExp(`^${samlBase}/sso`));
  await page.locator('input[name="login"]').fill('grace');
  await page.getByRole('button', { name: 'Sign in' }).click();
  await expect(page).toHaveURL(/\/sso-callback\?code=/);
});

test('a sign-in started at the SAML IdP\'s portal lands in the application, signed in', async ({ page }) => {
  vestibule('app', 'create', '--type', 'traditional', '--name', 'Globex intranet', '--id', 'intranet', '--redirect-uri', `${baseURL()}/intranet-callback`);
  const call = await managementApi();
  const config = await call('PUT', `/api/sso-connectors/${samlConnector}/idp-initiated-auth-config`, { defaultApplicationId: 'intranet', autoSendAuthorizationRequest: true });
  expect(config.status).toBe(200);
  await page.goto(`${samlBase}/idp-initiated?login=grace`);
  await expect(page).toHaveURL(/\/intranet-callback\?code=/);
  expect(page.url()).not.toContain(samlBase);
});
