import Ajv from 'ajv';
import OpenApiSchemaValidator from 'openapi-schema-validator';
import { baseURL, managementApi, expect, test } from './support';

// The OpenAPI document as Logto's own `swagger-check.test.ts` checks it (the same validator,
// for version 3), and as a client generator reads it: every response with a body declares
// its schema, pagination declares its bounds, and what the server really answers matches.

async function swagger() {
  const response = await fetch(`${baseURL()}/api/swagger.json`);
  expect(response.status).toBe(200);
  expect(response.headers.get('content-type')).toContain('application/json');
  return response.json();
}

type Operation = { responses: Record<string, { content?: Record<string, { schema?: unknown }> }>; parameters?: any[] };

function operations(document: any): [string, string, Operation][] {
  return Object.entries(document.paths as Record<string, Record<string, Operation>>).flatMap(([path, item]) =>
    Object.entries(item).filter(([method]) => ['get', 'post', 'put', 'patch', 'delete'].includes(method)).map(([method, op]) => [method, path, op] as [string, string, Operation]));
}

test('the document is valid OpenAPI 3.0, as Logto serves it', async () => {
  const document = await swagger();
  expect(document.openapi).toMatch(/^3\.0\./);
  // CommonJS default export, whichever way the test runner's interop hands it over.
  const Validator = (OpenApiSchemaValidator as any).default ?? OpenApiSchemaValidator;
  const validator = new Validator({ version: 3 });
  expect(validator.validate(document).errors).toEqual([]);

  // Every 200 has a body, every error too; a 201 may be bodiless ("assigned"), a 204 is.
  const mustHaveBody = (status: string, response: { content?: unknown }) => status === '200' || Number(status) >= 400 || response.content !== undefined;
  const undeclared = operations(document).flatMap(([method, path, op]) =>
    Object.entries(op.responses).filter(([status, response]) => mustHaveBody(status, response)).filter(([, response]) => !response.content?.['application/json']?.schema).map(([status]) => `${method} ${path} ${status}`));
  expect(undeclared, 'responses with a body but no schema').toEqual([]);

  const pages = operations(document).flatMap(([, , op]) => (op.parameters ?? []).filter((p) => p.name === 'page'));
  expect(pages.length).toBeGreaterThan(3);
  for (const page of pages) expect([page.schema.minimum, page.schema.maximum]).toEqual([1, 1_000_000]);
});

test('what the Management API answers matches the schemas it declares', async () => {
  const call = await managementApi();

  const document = await swagger();
  // Formats (`int64`, …) describe the wire, not constraints to check here.
  const ajv = new Ajv({ strict: false, allErrors: true, validateFormats: false });
  const declared = (method: string, path: string, status: number) => {
    const op = document.paths[path][method] as Operation;
    return op.responses[String(status)].content!['application/json'].schema;
  };
  const conforms = async (method: string, template: string, path: string, body?: unknown) => {
    const answer = await call(method.toUpperCase(), path, body);
    // The document's components ride along, so its `#/components/schemas/…` references resolve.
    const validate = ajv.compile({ ...(declared(method, template, answer.status) as object), components: document.components });
    expect(validate(answer.body) ? [] : validate.errors, `${method} ${path} → ${answer.status}`).toEqual([]);
    return answer;
  };

  const user = await conforms('post', '/api/users', '/api/users', { username: 'schema_user', primaryEmail: 'schema@example.com', name: 'Schema' });
  const id = user.body.id as string;
  await conforms('get', '/api/users', '/api/users?page=1&page_size=5');
  await conforms('get', '/api/users/{userId}', `/api/users/${id}`);
  await conforms('get', '/api/users/{userId}', '/api/users/nobody-here');
  await conforms('post', '/api/users', '/api/users', { primaryEmail: 'SCHEMA@example.com' });
  await conforms('get', '/api/users/{userId}/custom-data', `/api/users/${id}/custom-data`);
  await conforms('get', '/api/users/{userId}/has-password', `/api/users/${id}/has-password`);
  await conforms('get', '/api/users/{userId}/mfa-verifications', `/api/users/${id}/mfa-verifications`);
  await conforms('post', '/api/users/{userId}/mfa-verifications', `/api/users/${id}/mfa-verifications`, { type: 'Totp' });
  await conforms('get', '/api/users/{userId}/all-identities', `/api/users/${id}/all-identities`);

  const app = await conforms('post', '/api/applications', '/api/applications', { name: 'Worker', type: 'MachineToMachine' });
  await conforms('get', '/api/applications', '/api/applications');
  await conforms('post', '/api/applications/{applicationId}/secrets', `/api/applications/${app.body.id}/secrets`, { name: 'rotation' });
  await conforms('get', '/api/applications/{applicationId}/secrets', `/api/applications/${app.body.id}/secrets`);

  const resource = await conforms('post', '/api/resources', '/api/resources', { name: 'Jobs', indicator: 'https://jobs.example.com' });
  const scope = await conforms('post', '/api/resources/{resourceId}/scopes', `/api/resources/${resource.body.id}/scopes`, { name: 'read:jobs' });
  await conforms('get', '/api/resources', '/api/resources');
  const role = await conforms('post', '/api/roles', '/api/roles', { name: 'job-runner', description: 'Runs jobs', type: 'MachineToMachine' });
  await conforms('post', '/api/roles/{roleId}/scopes', `/api/roles/${role.body.id}/scopes`, { scopeIds: [scope.body.id] });
  await conforms('post', '/api/applications/{applicationId}/roles', `/api/applications/${app.body.id}/roles`, { roleIds: [role.body.id] });
  await conforms('get', '/api/roles', '/api/roles');
  await conforms('get', '/api/roles/{roleId}/applications', `/api/roles/${role.body.id}/applications`);

  const organization = await conforms('post', '/api/organizations', '/api/organizations', { name: 'Acme', customData: { plan: 'pro' }, branding: { logoUrl: 'https://acme.example/logo.svg' } });
  const orgScope = await conforms('post', '/api/organization-scopes', '/api/organization-scopes', { name: 'read:members' });
  const orgRole = await conforms('post', '/api/organization-roles', '/api/organization-roles', { name: 'openapi-admin', organizationScopeIds: [orgScope.body.id], resourceScopeIds: [scope.body.id] });
  await call('POST', `/api/organizations/${organization.body.id}/users`, { userIds: [id] });
  await call('POST', `/api/organizations/${organization.body.id}/users/${id}/roles`, { organizationRoleIds: [orgRole.body.id] });
  await conforms('get', '/api/organizations', '/api/organizations?showFeatured=1');
  await conforms('get', '/api/organization-roles', '/api/organization-roles');
  await conforms('get', '/api/organization-roles/{id}/resource-scopes', `/api/organization-roles/${orgRole.body.id}/resource-scopes`);
  await conforms('get', '/api/organizations/{id}/users', `/api/organizations/${organization.body.id}/users`);
  await conforms('get', '/api/organizations/{id}/users/{userId}/roles', `/api/organizations/${organization.body.id}/users/${id}/roles`);
  await conforms('get', '/api/users/{userId}/organizations', `/api/users/${id}/organizations`);

  const thirdParty = await conforms('post', '/api/applications', '/api/applications', { name: 'Partner', type: 'Traditional', isThirdParty: true, oidcClientMetadata: { redirectUris: ['https://partner.example/callback'], postLogoutRedirectUris: [] } });
  const partner = `/api/applications/${thirdParty.body.id}`;
  await call('POST', `${partner}/user-consent-scopes`, { userScopes: ['profile', 'organizations'], resourceScopes: [scope.body.id], organizationScopes: [orgScope.body.id] });
  await conforms('get', '/api/applications/{applicationId}/user-consent-scopes', `${partner}/user-consent-scopes`);
  await call('POST', `${partner}/users/${id}/consent-organizations`, { organizationIds: [organization.body.id] });
  await conforms('get', '/api/applications/{applicationId}/users/{userId}/consent-organizations', `${partner}/users/${id}/consent-organizations`);
  await conforms('get', '/api/applications/{applicationId}/sign-in-experience', `${partner}/sign-in-experience`);
  await conforms('put', '/api/applications/{applicationId}/sign-in-experience', `${partner}/sign-in-experience`, { displayName: 'Partner app', branding: { logoUrl: 'https://partner.example/logo.svg' }, termsOfUseUrl: 'https://partner.example/terms' });
  await conforms('get', '/api/applications/{applicationId}/sign-in-experience', `${partner}/sign-in-experience`);

  await conforms('get', '/api/sign-in-exp', '/api/sign-in-exp');
  await conforms('post', '/api/sign-in-exp/default/check-password', '/api/sign-in-exp/default/check-password', { password: '1' });
  await conforms('get', '/api/connector-factories', '/api/connector-factories');
  await conforms('get', '/api/connectors', '/api/connectors');
  await conforms('get', '/api/configs/id-token', '/api/configs/id-token');
  await conforms('get', '/api/logs', '/api/logs?page_size=50');
  await conforms('get', '/api/logs', '/api/logs?start_time=2&end_time=1');
});
