// Vestibule as an OpenID provider, checked by independent implementations: openid-client
// (a certified relying party) drives the flows and jose verifies every signed token against
// the published JWKS. The browser part goes through the hosted sign-in page in Chromium.
import { type Page } from '@playwright/test';
import * as client from 'openid-client';
import { createRemoteJWKSet, jwtVerify } from 'jose';
import { createServer } from 'node:http';
import { type AddressInfo } from 'node:net';
import { baseURL, managementApi, vestibule, expect, test } from './support';

const REDIRECT = 'http://app.test/callback';
// Vestibule's own "signed out" page stands in for the RP's post-logout page.
const postLogout = () => `${baseURL()}/signed-out`;
const API = 'https://orders.example.com';

test.describe.configure({ mode: 'serial' });

let config: client.Configuration;
let issuer: string;

test.beforeAll(async () => {
  vestibule('app', 'create', '--type', 'traditional', '--name', 'Interop RP', '--id', 'interop-rp',
    '--secret', 'interop-secret-0123456789abcdef', '--redirect-uri', REDIRECT, '--post-logout-redirect-uri', postLogout());
  vestibule('user', 'create', '--username', 'ada', '--password', 'analytical engine 1843', '--email', 'ada@example.com', '--id', 'adalovelace1');
  issuer = `${baseURL()}/oidc`;
  config = await client.discovery(new URL(issuer), 'interop-rp', 'interop-secret-0123456789abcdef', client.ClientSecretBasic(), {
    execute: [client.allowInsecureRequests],
  });
});

/** Lets the browser "arrive" at the RP's callback and returns the URL it was sent to. */
async function captureRedirect(page: Page, prefix: string): Promise<() => URL | undefined> {
  let captured: URL | undefined;
  await page.route((url) => url.href.startsWith(prefix), async (route) => {
    captured = new URL(route.request().url());
    await route.fulfill({ status: 200, contentType: 'text/html', body: '<p>back at the app</p>' });
  });
  return () => captured;
}

async function signInThroughTheHostedPage(page: Page, extra: Record<string, string> = {}) {
  const verifier = client.randomPKCECodeVerifier();
  const state = client.randomState();
  const nonce = client.randomNonce();
  const url = client.buildAuthorizationUrl(config, {
    redirect_uri: REDIRECT,
    scope: 'openid profile email offline_access',
    code_challenge: await client.calculatePKCECodeChallenge(verifier),
    code_challenge_method: 'S256',
    state,
    nonce,
    prompt: 'consent',
    ...extra,
  });
  const callback = await captureRedirect(page, REDIRECT);
  await page.goto(url.href);
  await expect(page).toHaveURL(/\/sign-in/);
  await page.locator('#field-identifier').fill('ada');
  await page.locator('#field-password').fill('analytical engine 1843');
  await page.getByRole('button', { name: 'Sign in', exact: true }).click();
  await expect.poll(() => callback()?.href).toContain(REDIRECT);
  return client.authorizationCodeGrant(config, callback()!, { pkceCodeVerifier: verifier, expectedState: state, expectedNonce: nonce });
}

test('code + PKCE through the hosted page yields tokens that verify independently', async ({ page }) => {
  const tokens = await signInThroughTheHostedPage(page);
  const jwks = createRemoteJWKSet(new URL(`${issuer}/jwks`));
  const { payload, protectedHeader } = await jwtVerify(tokens.id_token!, jwks, { issuer, audience: 'interop-rp' });
  expect(protectedHeader.alg).toBe('ES256');
  expect(payload.sub).toBe('adalovelace1');
  expect(payload.email).toBe('ada@example.com');

  const userinfo = await client.fetchUserInfo(config, tokens.access_token, 'adalovelace1');
  expect(userinfo.username).toBe('ada');
  expect(userinfo.email).toBe('ada@example.com');

  const refreshed = await client.refreshTokenGrant(config, tokens.refresh_token!);
  expect(refreshed.refresh_token).not.toBe(tokens.refresh_token);
  await jwtVerify(refreshed.id_token!, jwks, { issuer, audience: 'interop-rp' });

  const live = await client.tokenIntrospection(config, refreshed.access_token);
  expect(live.active).toBe(true);
  expect(live.sub).toBe('adalovelace1');
  await client.tokenRevocation(config, refreshed.access_token);
  const revoked = await client.tokenIntrospection(config, refreshed.access_token);
  expect(revoked.active).toBe(false);
});

/** The RP's back-channel logout endpoint: a loopback HTTP server collecting `logout_token`s. */
async function logoutReceiver(): Promise<{ uri: string; tokens: string[]; close: () => void }> {
  const tokens: string[] = [];
  const server = createServer((request, response) => {
    let body = '';
    request.on('data', (chunk) => { body += chunk; });
    request.on('end', () => {
      const token = new URLSearchParams(body).get('logout_token');
      if (token) tokens.push(token);
      response.writeHead(200).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return { uri: `http://127.0.0.1:${port}/backchannel-logout`, tokens, close: () => server.close() };
}

test('ending the session signs the browser out and tells the RP over the back channel', async ({ page }) => {
  const receiver = await logoutReceiver();
  const api = await managementApi();
  const metadata = { oidcClientMetadata: { backchannelLogoutUri: receiver.uri, backchannelLogoutSessionRequired: true } };
  expect((await api('PATCH', '/api/applications/interop-rp', metadata)).status).toBe(200);
  expect(((await client.discovery(new URL(issuer), 'interop-rp', 'interop-secret-0123456789abcdef', client.ClientSecretBasic(), {
    execute: [client.allowInsecureRequests],
  })).serverMetadata() as Record<string, unknown>).backchannel_logout_session_supported).toBe(true);
  const tokens = await signInThroughTheHostedPage(page);
  const endSession = client.buildEndSessionUrl(config, {
    id_token_hint: tokens.id_token!,
    post_logout_redirect_uri: postLogout(),
    state: 'see-you',
  });
  await page.goto(endSession.href);
  await expect(page).toHaveURL(`${postLogout()}?state=see-you`);
  await expect(page.getByRole('heading', { name: 'You have signed out' })).toBeVisible();

  // The RP validates its logout token with its own JOSE library (OIDC Back-Channel Logout §2.6).
  await expect.poll(() => receiver.tokens.length).toBe(1);
  receiver.close();
  const { payload, protectedHeader } = await jwtVerify(receiver.tokens[0], createRemoteJWKSet(new URL(`${issuer}/jwks`)), {
    issuer, audience: 'interop-rp', typ: 'logout+jwt', maxTokenAge: '2 minutes',
  });
  expect(protectedHeader.typ).toBe('logout+jwt');
  expect(payload.events).toEqual({ 'http://schemas.openid.net/event/backchannel-logout': {} });
  expect(payload.sub).toBe('adalovelace1');
  expect(payload.sid).toBe(tokens.claims()!.sid);
  expect(payload.nonce).toBeUndefined();
  expect(typeof payload.jti).toBe('string');

  // The next authorization request has no session to reuse: the sign-in page again.
  const url = client.buildAuthorizationUrl(config, {
    redirect_uri: REDIRECT, scope: 'openid',
    code_challenge: await client.calculatePKCECodeChallenge(client.randomPKCECodeVerifier()), code_challenge_method: 'S256',
  });
  await page.goto(url.href);
  await expect(page).toHaveURL(/\/sign-in/);
});

test('client_credentials access tokens verify as RFC 9068 JWTs', async () => {
  const machine = vestibule('app', 'create', '--type', 'm2m', '--name', 'Interop job', '--id', 'interop-job', '--secret', 'job-secret-0123456789abcdef0123');
  vestibule('resource', 'create', '--name', 'Orders', '--indicator', API, '--scope', 'orders:read', 'orders:write');
  vestibule('role', 'create', '--name', 'orders-reader', '--type', 'm2m', '--scope', `${API}=orders:read`, '--app', machine.id);
  const m2m = await client.discovery(new URL(issuer), machine.id, machine.secret, client.ClientSecretBasic(), {
    execute: [client.allowInsecureRequests],
  });
  const tokens = await client.clientCredentialsGrant(m2m, { resource: API, scope: 'orders:read orders:write' });
  expect(tokens.scope).toBe('orders:read');
  const { payload, protectedHeader } = await jwtVerify(tokens.access_token, createRemoteJWKSet(new URL(`${issuer}/jwks`)), {
    issuer, audience: API, typ: 'at+jwt',
  });
  expect(protectedHeader.typ).toBe('at+jwt');
  expect(payload.client_id).toBe(machine.id);
  expect(payload.scope).toBe('orders:read');
});
