// A real, independent OpenID Provider for the tests of Vestibule's social and enterprise
// connectors: panva's `oidc-provider` (npm), on loopback. Its own login page (dev
// interactions) signs in whoever types a known login; the accounts and the one client come
// from the environment:
//   UPSTREAM_CLIENT_ID, UPSTREAM_CLIENT_SECRET, UPSTREAM_REDIRECT_URIS (space-separated)
//   UPSTREAM_ACCOUNTS: JSON {login: {email, email_verified, name, picture}}
//   UPSTREAM_REFRESH_TOKENS=1: every code grant also gives a refresh token (token storage)
// It prints `listening <port>` once it accepts connections, and runs until killed.
import Provider from 'oidc-provider';

const accounts = JSON.parse(process.env.UPSTREAM_ACCOUNTS ?? '{}');
const refreshTokens = process.env.UPSTREAM_REFRESH_TOKENS === '1';
const server = (await import('node:http')).createServer();
await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
const port = server.address().port;
const issuer = `http://127.0.0.1:${port}`;

const provider = new Provider(issuer, {
  clients: [{
    client_id: process.env.UPSTREAM_CLIENT_ID,
    client_secret: process.env.UPSTREAM_CLIENT_SECRET,
    redirect_uris: (process.env.UPSTREAM_REDIRECT_URIS ?? '').split(' ').filter(Boolean),
    grant_types: refreshTokens ? ['authorization_code', 'refresh_token'] : ['authorization_code'],
    response_types: ['code'],
    token_endpoint_auth_method: 'client_secret_post',
  }],
  claims: { openid: ['sub'], email: ['email', 'email_verified'], profile: ['name', 'picture'] },
  // Loopback http for tests: the provider otherwise insists on https redirect URIs for web clients.
  pkce: { required: () => false },
  features: { devInteractions: { enabled: true } },
  // Without offline_access and a consent prompt oidc-provider gives none; the tests only ask.
  issueRefreshToken: async (_ctx, client) => refreshTokens && client.grantTypes.includes('refresh_token'),
  async findAccount(_ctx, id) {
    const account = accounts[id];
    if (!account) return undefined;
    return { accountId: id, async claims() { return { sub: id, ...account }; } };
  },
  ttl: { Session: 600, Interaction: 600, AuthorizationCode: 60, AccessToken: 600, IdToken: 600, Grant: 600 },
});
provider.proxy = false;
server.on('request', provider.callback());
process.stdout.write(`listening ${port}\n`);
