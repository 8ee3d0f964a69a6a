import { baseURL, vestibule, expect, test } from './support';

// The Management API as an operator's script uses it: plain fetch with the documented bodies,
// a token from client credentials, and the effect checked in the hosted pages.

const ADMIN_ID = 'e2e-admin';
const ADMIN_SECRET = 'e2e-admin-secret-long-enough-0001';
const INDICATOR = 'https://default.logto.app/api';
const CHALLENGE = 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM';

async function managementToken(): Promise<string> {
  const response = await fetch(`${baseURL()}/oidc/token`, {
    method: 'POST',
    headers: {
      authorization: `Basic ${Buffer.from(`${ADMIN_ID}:${ADMIN_SECRET}`).toString('base64')}`,
      'content-type': 'application/x-www-form-urlencoded',
    },
    body: new URLSearchParams({ grant_type: 'client_credentials', resource: INDICATOR, scope: 'all' }),
  });
  expect(response.status).toBe(200);
  return (await response.json()).access_token;
}

async function api(token: string, method: string, path: string, body?: unknown) {
  const response = await fetch(`${baseURL()}${path}`, {
    method,
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  return { status: response.status, headers: response.headers, body: text ? JSON.parse(text) : null };
}

test('a script manages a user through the Management API, and the sign-in pages follow', async ({ page }) => {
  vestibule('bootstrap', '--m2m-id', ADMIN_ID, '--m2m-secret', ADMIN_SECRET);
  vestibule('app', 'create', '--type', 'spa', '--name', 'Managed', '--id', 'managed', '--redirect-uri', `${baseURL()}/managed-callback`);
  const token = await managementToken();

  const created = await api(token, 'POST', '/api/users', { username: 'grace_h', password: 'Cobol-Compiler-1959', primaryEmail: 'grace@navy.example', name: 'Grace' });
  expect(created.status).toBe(200);
  expect(created.body.hasPassword).toBe(true);
  const id = created.body.id as string;
  expect(id).toMatch(/^[0-9a-z]{12}$/);

  const found = await api(token, 'GET', '/api/users?search=%25navy.example%25&page=1&page_size=10');
  expect(found.headers.get('total-number')).toBe('1');
  expect(found.body[0].id).toBe(id);
  const renamed = await api(token, 'PATCH', `/api/users/${id}`, { name: 'Grace Hopper' });
  expect(renamed.body.name).toBe('Grace Hopper');
  const conflict = await api(token, 'POST', '/api/users', { primaryEmail: 'GRACE@navy.example' });
  expect([conflict.status, conflict.body.code]).toEqual([422, 'user.email_already_in_use']);

  const authorize = `/oidc/auth?${new URLSearchParams({
    client_id: 'managed', redirect_uri: `${baseURL()}/managed-callback`, response_type: 'code', scope: 'openid profile',
    state: 'm1', code_challenge: CHALLENGE, code_challenge_method: 'S256',
  })}`;

  // Suspended: the hosted page explains why sign-in is refused.
  expect((await api(token, 'PATCH', `/api/users/${id}/is-suspended`, { isSuspended: true })).body.isSuspended).toBe(true);
  await page.goto(authorize);
  await page.getByLabel('Username or email').fill('grace_h');
  await page.locator('#field-password').fill('Cobol-Compiler-1959');
  await page.getByRole('button', { name: 'Sign in', exact: true }).click();
  await expect(page.getByRole('alert')).toContainText('This account is suspended');

  // Reinstated, with a new password set by the operator: that password signs in.
  await api(token, 'PATCH', `/api/users/${id}/is-suspended`, { isSuspended: false });
  expect((await api(token, 'PATCH', `/api/users/${id}/password`, { password: 'Flow-Matic-1955!' })).status).toBe(200);
  expect((await api(token, 'POST', `/api/users/${id}/password/verify`, { password: 'Flow-Matic-1955!' })).status).toBe(204);
  await page.goto(authorize);
  await page.getByLabel('Username or email').fill('grace_h');
  await page.locator('#field-password').fill('Flow-Matic-1955!');
  await page.getByRole('button', { name: 'Sign in', exact: true }).click();
  await expect(page).toHaveURL(/\/managed-callback\?code=/);

  // The sign-in is in the audit log; deleting the user ends it.
  const logs = await api(token, 'GET', `/api/logs?userId=${id}&logKey=Interaction.SignIn.Submit`);
  expect(logs.body.length).toBe(1);
  expect((await api(token, 'DELETE', `/api/users/${id}`)).status).toBe(204);
  expect((await api(token, 'GET', `/api/users/${id}`)).status).toBe(404);

  const document = await (await fetch(`${baseURL()}/api/swagger.json`)).json();
  expect(Object.keys(document.paths)).toContain('/api/users/{userId}');
  const unauthenticated = await fetch(`${baseURL()}/api/users`);
  expect(unauthenticated.status).toBe(401);
});
