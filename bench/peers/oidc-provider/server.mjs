// The peer for bench/run.sh: oidc-provider issuing ES256 JWT access tokens by
// client_credentials for one API resource, as Vestibule does (client_secret_basic, scope from
// the resource). In-memory adapter: JWT access tokens are not stored by oidc-provider.
import Provider from 'oidc-provider';
import { exportJWK, generateKeyPair } from 'jose';

const port = Number(process.env.PORT ?? 3300);
const API = 'https://bench.example.com';
const { privateKey } = await generateKeyPair('ES256', { extractable: true });
const jwk = { ...(await exportJWK(privateKey)), alg: 'ES256', use: 'sig', kid: 'peer-es256' };

const provider = new Provider(`http://127.0.0.1:${port}`, {
  clients: [{
    client_id: 'bench-m2m',
    client_secret: 'bench-secret-0123456789abcdef01',
    grant_types: ['client_credentials'],
    redirect_uris: [],
    response_types: [],
    token_endpoint_auth_method: 'client_secret_basic',
    id_token_signed_response_alg: 'ES256',
  }],
  jwks: { keys: [jwk] },
  cookies: { keys: ['bench-cookie-key-not-secret'] },
  features: {
    devInteractions: { enabled: false },
    clientCredentials: { enabled: true },
    resourceIndicators: {
      enabled: true,
      defaultResource: () => API,
      useGrantedResource: () => true,
      getResourceServerInfo: () => ({
        scope: 'read write',
        accessTokenFormat: 'jwt',
        accessTokenTTL: 3600,
        jwt: { sign: { alg: 'ES256' } },
      }),
    },
  },
});
provider.listen(port, '127.0.0.1', () => console.log(`peer ready on ${port}`));
