import { test as base, expect, type Page } from '@playwright/test';
import { execFileSync } from 'node:child_process';
import { SMTPServer } from 'smtp-server';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * Playwright's `test`, watching every test's page: an uncaught exception (a page that failed
 * to hydrate) or a Content-Security-Policy violation fails the test, whatever it checks.
 */
export const test = base.extend<{ pageProblems: string[] }>({
  pageProblems: [async ({ page }, use) => {
    const problems: string[] = [];
    page.on('pageerror', (error) => problems.push(`uncaught: ${error.message}`));
    page.on('console', (message) => {
      if (message.type() === 'error' && /Content Security Policy/i.test(message.text())) problems.push(message.text());
    });
    await use(problems);
    expect(problems, 'exceptions and CSP violations on the page').toEqual([]);
  }, { auto: true }],
});
export { expect };

/** Runs the vestibule CLI against the server's own database and returns its JSON output. */
export function vestibule(...args: string[]): any {
  const dataDir = process.env.E2E_DATA_DIR!;
  const out = execFileSync(process.env.E2E_BIN!, args, {
    env: {
      PATH: process.env.PATH,
      VESTIBULE_DATA_DIR: dataDir,
      DATABASE_URL: process.env.E2E_DATABASE_URL,
      VESTIBULE_SECRET: process.env.E2E_SECRET,
      VESTIBULE_PASSWORD_HASHING: 'test-only-cheap',
    },
  });
  return JSON.parse(out.toString());
}

export const baseURL = () => process.env.E2E_BASE_URL!;

/** Merges `patch` into the sign-in experience through the CLI (`name` names the temp file). */
export function configureSignInExperience(name: string, patch: object) {
  const file = join(process.env.E2E_DATA_DIR!, `${name}-sign-in-experience.json`);
  writeFileSync(file, JSON.stringify(patch));
  vestibule('sign-in-experience', 'set', '--file', file);
}

/** RFC 7636 Appendix B's challenge: the authorization requests of the browser tests. */
export const PKCE_CHALLENGE = 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM';

/** `/oidc/auth` for a public client that returns to `callback` (a path on the test server). */
export function authorizePath(clientId: string, callback: string) {
  return `/oidc/auth?${new URLSearchParams({
    client_id: clientId, redirect_uri: `${baseURL()}${callback}`, response_type: 'code', scope: 'openid',
    state: 's', code_challenge: PKCE_CHALLENGE, code_challenge_method: 'S256',
  })}`;
}

/** Opens `authorize` (an authorization path) and signs in there with a username and password. */
export async function signInWithPassword(page: Page, authorize: string, username: string, password: string) {
  await page.goto(authorize);
  await page.getByLabel('Username or email').fill(username);
  await page.locator('#field-password').fill(password);
  await page.getByRole('button', { name: 'Sign in', exact: true }).click();
}

export interface MailServer {
  /** The six-digit code of the newest message to `address` (waits up to 5 s for it). */
  codeSentTo(address: string): Promise<string>;
  /** The first link in the last message to `address` whose URL contains `part`. */
  linkSentTo(address: string, part: string): Promise<string>;
  close(): Promise<void>;
}

/** A real SMTP server on loopback, configured as Vestibule's email connector. */
export async function startMailServer(): Promise<MailServer> {
  const mails: { to: string[]; raw: string }[] = [];
  const smtp = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS', 'AUTH'],
    onData(stream, session, done) {
      let raw = '';
      stream.on('data', (chunk) => (raw += chunk));
      stream.on('end', () => {
        mails.push({ to: session.envelope.rcptTo.map((r) => r.address.toLowerCase()), raw });
        done();
      });
    },
  });
  await new Promise<void>((resolve) => smtp.listen(0, '127.0.0.1', resolve));
  const port = (smtp.server.address() as { port: number }).port;
  const file = join(process.env.E2E_DATA_DIR!, 'smtp.json');
  writeFileSync(file, JSON.stringify({ connectorId: 'smtp', config: { host: '127.0.0.1', port, security: 'none', fromEmail: 'no-reply@vestibule.test' } }));
  vestibule('connector', 'set', '--file', file);
  return {
    async codeSentTo(address: string) {
      for (let i = 0; i < 100; i++) {
        const mail = [...mails].reverse().find((m) => m.to.includes(address.toLowerCase()));
        if (mail) {
          const body = mail.raw.split(/\r?\n\r?\n/).slice(1).join('\n');
          const code = body.match(/\b(\d{6})\b/);
          if (code) return code[1];
        }
        await new Promise((r) => setTimeout(r, 50));
      }
      throw new Error(`no code sent to ${address}`);
    },
    async linkSentTo(address: string, part: string) {
      for (let i = 0; i < 100; i++) {
        const mail = [...mails].reverse().find((m) => m.to.includes(address.toLowerCase()));
        const link = mail && mailText(mail.raw).split(/\s+/).find((w) => w.startsWith('http') && w.includes(part));
        if (link) return link;
        await new Promise((r) => setTimeout(r, 50));
      }
      throw new Error(`no link with ${part} sent to ${address}`);
    },
    close: () => new Promise<void>((resolve) => smtp.close(() => resolve())),
  };
}

/** A message's text, whatever its transfer encoding (7bit, quoted-printable or base64). */
function mailText(raw: string): string {
  const [head, ...rest] = raw.split(/\r?\n\r?\n/);
  const body = rest.join('\n');
  if (/content-transfer-encoding: base64/i.test(head)) return Buffer.from(body.replace(/\s+/g, ''), 'base64').toString('utf8');
  if (!/content-transfer-encoding: quoted-printable/i.test(head)) return body;
  const bytes = body.replace(/=\r?\n/g, '').replace(/=([0-9A-F]{2})/gi, (_, hex) => `%${hex}`);
  return decodeURIComponent(bytes.replace(/%(?![0-9A-F]{2})/gi, '%25'));
}

const MANAGEMENT_ID = 'e2e-admin';
const MANAGEMENT_SECRET = 'e2e-admin-secret-long-enough-0001';
const MANAGEMENT_INDICATOR = 'https://default.logto.app/api';

/** A Management API caller: a machine-to-machine app made sure of with `vestibule bootstrap`. */
export async function managementApi() {
  vestibule('bootstrap', '--m2m-id', MANAGEMENT_ID, '--m2m-secret', MANAGEMENT_SECRET);
  const grant = await fetch(`${baseURL()}/oidc/token`, {
    method: 'POST',
    headers: { authorization: `Basic ${Buffer.from(`${MANAGEMENT_ID}:${MANAGEMENT_SECRET}`).toString('base64')}` },
    body: new URLSearchParams({ grant_type: 'client_credentials', resource: MANAGEMENT_INDICATOR, scope: 'all' }),
  });
  const token = (await grant.json()).access_token as string;
  return async (method: string, path: string, body?: unknown) => {
    const response = await fetch(`${baseURL()}${path}`, {
      method, headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body),
    });
    // 204s, and some 201s (as Logto's), have no body.
    const text = await response.text();
    return { status: response.status, body: text ? JSON.parse(text) : null };
  };
}

/** Through panva's oidc-provider's own login (and, the first time, its consent) as `login`. */
export async function throughOidcProvider(page: Page, login: string) {
  await page.locator('input[name="login"]').fill(login);
  await page.locator('input[name="password"]').fill('anything');
  await page.locator('button[type="submit"]').click();
  const consent = page.getByRole('button', { name: 'Continue' });
  await expect.poll(async () => page.url().startsWith(baseURL()) || (await consent.count()) > 0).toBe(true);
  if ((await consent.count()) > 0 && !page.url().startsWith(baseURL())) await consent.click();
}
