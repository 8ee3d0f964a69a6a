// A real SAML 2.0 identity provider for the tests of Vestibule's enterprise SSO: samlify
// (npm), on loopback. It reads the AuthnRequests Vestibule sends (HTTP-Redirect binding),
// signs people in on its own login form, and answers with signed Responses by the HTTP-POST
// binding (an auto-submitting form, as a browser receives it). It also starts sign-ins
// itself (IdP-initiated: `GET /idp-initiated?login=`). From the environment:
//   SAML_IDP_KEY, SAML_IDP_CERT: the signing key and certificate (PEM files)
//   SAML_SP_ENTITY_ID, SAML_SP_ACS: the service provider (Vestibule's connector)
//   SAML_ACCOUNTS: JSON {login: {email, name}}
// The login form's `variant` lets a test ask for a flawed answer, as a misconfigured or
// hostile IdP would send: `wrong-audience`, `expired`, `other-request`.
// It prints `listening <port>` once it accepts connections, and runs until killed.
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import samlify from 'samlify';

// The IdP trusts its own test SP's requests; Vestibule's side is what is under test.
samlify.setSchemaValidator({ validate: async () => 'skipped' });

const accounts = JSON.parse(process.env.SAML_ACCOUNTS ?? '{}');
const server = createServer();
await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
const port = server.address().port;
const base = `http://127.0.0.1:${port}`;
const entityID = `${base}/metadata`;

const idp = samlify.IdentityProvider({
  entityID,
  privateKey: readFileSync(process.env.SAML_IDP_KEY),
  signingCert: readFileSync(process.env.SAML_IDP_CERT),
  isAssertionEncrypted: false,
  wantAuthnRequestsSigned: false,
  nameIDFormat: ['urn:oasis:names:tc:SAML:1.1:nameid-format:unspecified'],
  singleSignOnService: [{ Binding: 'urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect', Location: `${base}/sso` }],
});
const sp = samlify.ServiceProvider({
  entityID: process.env.SAML_SP_ENTITY_ID,
  wantAssertionsSigned: true,
  assertionConsumerService: [{ Binding: 'urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST', Location: process.env.SAML_SP_ACS }],
});

const escape = (s) => String(s).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
const attribute = (name, value) => value === undefined ? '' :
  `<saml:Attribute Name="${escape(name)}" NameFormat="urn:oasis:names:tc:SAML:2.0:attrname-format:basic"><saml:AttributeValue xsi:type="xs:string">${escape(value)}</saml:AttributeValue></saml:Attribute>`;

/** A signed Response for `login`, answering `requestId` (none: IdP-initiated). */
async function loginResponse(login, requestId, variant) {
  const account = accounts[login] ?? {};
  const now = new Date();
  const later = new Date(now.getTime() + 5 * 60 * 1000);
  const past = new Date(now.getTime() - 60 * 60 * 1000);
  const expired = variant === 'expired';
  const values = {
    ID: `_r${Math.random().toString(16).slice(2)}`,
    AssertionID: `_a${Math.random().toString(16).slice(2)}${Date.now()}`,
    Destination: process.env.SAML_SP_ACS,
    Audience: variant === 'wrong-audience' ? 'https://someone-else.example/sp' : process.env.SAML_SP_ENTITY_ID,
    SubjectRecipient: process.env.SAML_SP_ACS,
    Issuer: entityID,
    IssueInstant: (expired ? past : now).toISOString(),
    StatusCode: 'urn:oasis:names:tc:SAML:2.0:status:Success',
    ConditionsNotBefore: (expired ? past : now).toISOString(),
    ConditionsNotOnOrAfter: (expired ? new Date(past.getTime() + 60 * 1000) : later).toISOString(),
    SubjectConfirmationDataNotOnOrAfter: (expired ? new Date(past.getTime() + 60 * 1000) : later).toISOString(),
    NameIDFormat: 'urn:oasis:names:tc:SAML:1.1:nameid-format:unspecified',
    NameID: login,
    InResponseTo: variant === 'other-request' ? '_not-the-request-you-sent' : requestId,
  };
  const { context } = await idp.createLoginResponse(sp, {}, 'post', {}, (template) => {
    let xml = samlify.SamlLib.replaceTagsByValue(template, values);
    const attributes = `<saml:AttributeStatement>${attribute('email', account.email)}${attribute('name', account.name)}</saml:AttributeStatement>`;
    xml = xml.replace('{AuthnStatement}', '').replace('{AttributeStatement}', attributes);
    if (!requestId) xml = xml.replace(/ InResponseTo="[^"]*"/g, '');
    return { id: values.ID, context: xml };
  });
  return context;
}

const autoPost = (samlResponse, relayState) => `<!doctype html><html><body onload="document.forms[0].submit()">
<form method="post" action="${escape(process.env.SAML_SP_ACS)}">
<input type="hidden" name="SAMLResponse" value="${escape(samlResponse)}">
${relayState ? `<input type="hidden" name="RelayState" value="${escape(relayState)}">` : ''}
<noscript><button type="submit">Continue</button></noscript>
</form></body></html>`;

const html = (res, body) => { res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }); res.end(body); };
const readForm = (req) => new Promise((resolve) => {
  let body = '';
  req.on('data', (chunk) => { body += chunk; });
  req.on('end', () => resolve(new URLSearchParams(body)));
});

server.on('request', async (req, res) => {
  try {
    const url = new URL(req.url, base);
    if (url.pathname === '/metadata') {
      res.writeHead(200, { 'content-type': 'application/samlmetadata+xml' });
      return res.end(idp.getMetadata());
    }
    if (url.pathname === '/sso' && req.method === 'GET') {
      const query = Object.fromEntries(url.searchParams);
      const { extract } = await idp.parseLoginRequest(sp, 'redirect', { query });
      return html(res, `<!doctype html><form method="post" action="/sso/login">
<input type="hidden" name="request_id" value="${escape(extract.request.id)}">
<input type="hidden" name="relay_state" value="${escape(query.RelayState ?? '')}">
<input name="login"><input name="variant" value="ok"><button>Sign in</button></form>`);
    }
    if (url.pathname === '/sso/login' && req.method === 'POST') {
      const form = await readForm(req);
      if (!accounts[form.get('login')]) return html(res, '<p>unknown account</p>');
      return html(res, autoPost(await loginResponse(form.get('login'), form.get('request_id'), form.get('variant')), form.get('relay_state')));
    }
    if (url.pathname === '/idp-initiated') {
      return html(res, autoPost(await loginResponse(url.searchParams.get('login'), undefined, url.searchParams.get('variant') ?? 'ok'), ''));
    }
    res.writeHead(404);
    res.end();
  } catch (error) {
    res.writeHead(400, { 'content-type': 'text/plain' });
    res.end(String(error?.stack ?? error));
  }
});
process.stdout.write(`listening ${port}\n`);
