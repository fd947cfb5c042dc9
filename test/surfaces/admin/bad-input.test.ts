import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningGatehouse, startGatehouse } from '../../harness/gatehouse.js';
import { expectNoWrites, storageKinds } from '../../harness/storage.js';
import { adminApi, problem } from './admin-api.js';

interface BadCase {
  readonly name: string;
  readonly method: string;
  readonly path: string;
  readonly body?: unknown;
  readonly headers?: Record<string, string>;
  readonly status: number;
  readonly code: string;
  readonly detail: string;
}

const json = { 'content-type': 'application/json' };
/** What a redirect or callback URL must look like: http(s), or a native app's reverse-domain scheme; no fragment. */
const urlPattern = '^(?:https?://[^#\\s]+|[a-zA-Z][a-zA-Z0-9+-]*(?:\\.[a-zA-Z0-9+-]+)+:/[^#\\s]*)$';
const oversized = JSON.stringify({ id: 'big', name: 'x'.repeat(129 * 1024) });

/** Every class of bad input, each with the exact problem it must produce. */
const cases: BadCase[] = [
  // malformed bodies
  {
    name: 'malformed JSON',
    method: 'POST',
    path: '/admin/tenants',
    body: '{"id": "x",',
    headers: json,
    status: 400,
    code: 'invalid_request',
    detail: 'the body is not valid JSON',
  },
  {
    name: 'a JSON array instead of an object',
    method: 'POST',
    path: '/admin/tenants',
    body: '[1,2]',
    headers: json,
    status: 400,
    code: 'invalid_request',
    detail: 'body: must be object',
  },
  {
    name: 'a missing body',
    method: 'POST',
    path: '/admin/tenants',
    status: 400,
    code: 'invalid_request',
    detail: 'body: must be object',
  },
  {
    name: 'a body too large (over 128 KiB)',
    method: 'POST',
    path: '/admin/tenants',
    body: oversized,
    headers: json,
    status: 413,
    code: 'payload_too_large',
    detail: 'the request body is too large',
  },
  {
    name: 'a form body',
    method: 'POST',
    path: '/admin/tenants',
    body: 'id=x',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    status: 415,
    code: 'unsupported_media_type',
    detail: 'unsupported content type',
  },
  {
    name: 'a text body',
    method: 'POST',
    path: '/admin/tenants',
    body: '{"id":"x"}',
    headers: { 'content-type': 'text/plain' },
    status: 415,
    code: 'unsupported_media_type',
    detail: 'unsupported content type',
  },
  // wrong types and unknown fields
  {
    name: 'a number for the tenant id',
    method: 'POST',
    path: '/admin/tenants',
    body: { id: 42 },
    status: 400,
    code: 'invalid_request',
    detail: 'body.id: must be string',
  },
  {
    name: 'an unknown field',
    method: 'POST',
    path: '/admin/tenants',
    body: { id: 'x', colour: 'red' },
    status: 400,
    code: 'invalid_request',
    detail: 'body.colour: must NOT have additional properties',
  },
  {
    name: 'an unknown nested field',
    method: 'POST',
    path: '/admin/tenants/shop/clients',
    body: { settings: { colour: 'red' } },
    status: 400,
    code: 'invalid_request',
    detail: 'body.settings.colour: must NOT have additional properties',
  },
  {
    name: 'a string for a boolean',
    method: 'POST',
    path: '/admin/tenants/shop/clients',
    body: { public: 'yes' },
    status: 400,
    code: 'invalid_request',
    detail: 'body.public: must be boolean',
  },
  {
    name: 'an unknown policy value',
    method: 'PATCH',
    path: '/admin/tenants/shop',
    body: { policies: { mfa: 'sometimes' } },
    status: 400,
    code: 'invalid_request',
    detail: 'body.policies.mfa: must be equal to constant',
  },
  {
    name: 'a redirect URI that is not a URL',
    method: 'POST',
    path: '/admin/tenants/shop/clients',
    body: { redirectUris: ['not a url'] },
    status: 400,
    code: 'invalid_request',
    detail: `body.redirectUris.0: must match pattern "${urlPattern}"`,
  },
  ...[
    ['a javascript: redirect URI', 'redirectUris', 'javascript://%0aalert(document.cookie)'],
    ['a data: redirect URI', 'redirectUris', 'data://text/html,hi'],
    ['a redirect URI with a fragment', 'redirectUris', 'https://shop.example/callback#x'],
    ['a file: callback URL', 'callbackUrls', 'file:///etc/passwd'],
    ['a vbscript: post-logout redirect URI', 'settings', 'vbscript://msgbox'],
  ].map(
    ([name, field, url]) =>
      ({
        name: name as string,
        method: 'POST',
        path: '/admin/tenants/shop/clients',
        body: field === 'settings' ? { settings: { postLogoutRedirectUris: [url] } } : { [field as string]: [url] },
        status: 400,
        code: 'invalid_request',
        detail: `body.${field === 'settings' ? 'settings.postLogoutRedirectUris' : field}.0: must match pattern "${urlPattern}"`,
      }) satisfies BadCase,
  ),
  {
    name: 'an unknown grant type',
    method: 'POST',
    path: '/admin/tenants/shop/clients',
    body: { grantTypes: ['implicit'] },
    status: 400,
    code: 'invalid_request',
    detail: 'body.grantTypes.0: must be equal to constant',
  },
  {
    name: 'an unknown IdP kind',
    method: 'PUT',
    path: '/admin/tenants/shop/idps/myspace',
    body: { kind: 'myspace', clientId: 'x' },
    status: 400,
    code: 'invalid_request',
    detail: 'body.kind: must be equal to constant',
  },
  {
    name: 'an IdP without a client id',
    method: 'PUT',
    path: '/admin/tenants/shop/idps/google',
    body: { kind: 'google' },
    status: 400,
    code: 'invalid_request',
    detail: "body.clientId: must have required property 'clientId'",
  },
  {
    name: 'a user email that is no email',
    method: 'POST',
    path: '/admin/tenants/shop/users',
    body: { email: 'not-an-email' },
    status: 400,
    code: 'invalid_request',
    detail: 'user.email: not an email address',
  },
  {
    name: 'a user password too short',
    method: 'POST',
    path: '/admin/tenants/shop/users',
    body: { email: 'a@example.com', password: 'short' },
    status: 400,
    code: 'invalid_request',
    detail: 'body.password: must NOT have fewer than 8 characters',
  },
  {
    name: 'a taken user email',
    method: 'POST',
    path: '/admin/tenants/shop/users',
    body: { email: 'Taken@Example.com' },
    status: 409,
    code: 'email_taken',
    detail: 'the email address is already in use',
  },
  {
    name: 'a limit out of range',
    method: 'GET',
    path: '/admin/tenants/shop/users?limit=0',
    status: 400,
    code: 'invalid_request',
    detail: 'querystring.limit: must match pattern "^(?:[1-9]|[1-9][0-9]|[1-4][0-9]{2}|500)$"',
  },
  {
    name: 'an unknown query parameter',
    method: 'GET',
    path: '/admin/tenants/shop/users?sort=email',
    status: 400,
    code: 'invalid_request',
    detail: 'querystring.sort: must NOT have additional properties',
  },
  // bad ids
  {
    name: 'a malformed tenant id in the body',
    method: 'POST',
    path: '/admin/tenants',
    body: { id: '-Shop' },
    status: 400,
    code: 'invalid_request',
    detail: 'body.id: must match pattern "^[a-z0-9][a-z0-9-]{0,62}$"',
  },
  {
    name: 'a malformed tenant id in the path',
    method: 'GET',
    path: '/admin/tenants/Shop_1',
    status: 400,
    code: 'invalid_request',
    detail: 'params.tenant: must match pattern "^[a-z0-9][a-z0-9-]{0,62}$"',
  },
  {
    name: 'a malformed tenant id in a nested path',
    method: 'POST',
    path: '/admin/tenants/SHOP/clients',
    body: {},
    status: 400,
    code: 'invalid_request',
    detail: 'params.tenant: must match pattern "^[a-z0-9][a-z0-9-]{0,62}$"',
  },
  {
    name: 'a malformed client id in the body',
    method: 'POST',
    path: '/admin/tenants/shop/clients',
    body: { clientId: 'a b' },
    status: 400,
    code: 'invalid_request',
    detail: 'body.clientId: must match pattern "^[A-Za-z0-9._~-]{3,128}$"',
  },
  {
    name: 'a malformed client id in the path',
    method: 'POST',
    path: '/admin/tenants/shop/clients/x/rotate-secret',
    status: 400,
    code: 'invalid_request',
    detail: 'params.clientId: must match pattern "^[A-Za-z0-9._~-]{3,128}$"',
  },
  {
    name: 'a client id already taken in another tenant',
    method: 'POST',
    path: '/admin/tenants/shop/clients',
    body: { clientId: 'other-app' },
    status: 409,
    code: 'conflict',
    detail: 'client other-app already exists',
  },
  // unknown tenant
  {
    name: 'a client for an unknown tenant',
    method: 'POST',
    path: '/admin/tenants/ghost/clients',
    body: {},
    status: 404,
    code: 'not_found',
    detail: 'tenant "ghost" does not exist',
  },
  {
    name: 'an IdP for an unknown tenant',
    method: 'PUT',
    path: '/admin/tenants/ghost/idps/google',
    body: { kind: 'google', clientId: 'g', clientSecret: 's' },
    status: 404,
    code: 'not_found',
    detail: 'tenant "ghost" does not exist',
  },
  {
    name: 'a user for an unknown tenant',
    method: 'POST',
    path: '/admin/tenants/ghost/users',
    body: { email: 'a@example.com' },
    status: 404,
    code: 'not_found',
    detail: 'tenant "ghost" does not exist',
  },
  {
    name: 'an update of an unknown tenant',
    method: 'PATCH',
    path: '/admin/tenants/ghost',
    body: { name: 'Ghost' },
    status: 404,
    code: 'not_found',
    detail: 'tenant "ghost" does not exist',
  },
  {
    name: 'an unknown route',
    method: 'PUT',
    path: '/admin/tenants',
    body: {},
    status: 404,
    code: 'not_found',
    detail: 'no admin route PUT /admin/tenants',
  },
  // import documents: validated whole, applied in one transaction
  {
    name: 'an import document of the wrong shape',
    method: 'POST',
    path: '/admin/import',
    body: { tenants: {} },
    status: 400,
    code: 'invalid_request',
    detail: 'body.tenants: must be array',
  },
  {
    name: 'an import document naming a client twice',
    method: 'POST',
    path: '/admin/import',
    body: {
      tenants: [
        { id: 'new-a', clients: [{ clientId: 'dup-app' }] },
        { id: 'new-b', clients: [{ clientId: 'dup-app' }] },
      ],
    },
    status: 400,
    code: 'invalid_request',
    detail: 'document.tenants.1.clients.0.clientId: client "dup-app" appears twice',
  },
  {
    name: 'an import document with a secret sealed under another master key',
    method: 'POST',
    path: '/admin/import',
    body: {
      tenants: [
        {
          id: 'new-a',
          idps: [{ id: 'google', kind: 'google', clientId: 'g', clientSecretEncrypted: 'v1.AAAA.BBBB.CCCC' }],
        },
      ],
    },
    status: 400,
    code: 'invalid_request',
    detail: "document.tenants.0.idps.0.clientSecretEncrypted: not sealed with this deployment's master key",
  },
  {
    name: 'an import document that fails half-way (a client id of another tenant)',
    method: 'POST',
    path: '/admin/import',
    body: {
      tenants: [
        {
          id: 'new-a',
          clients: [{ clientId: 'new-a-app' }],
          users: [{ email: 'new@example.com', password: 'long enough' }],
        },
        { id: 'shop', clients: [{ clientId: 'other-app' }] },
      ],
    },
    status: 409,
    code: 'conflict',
    detail: 'document.tenants.1.clients.0.clientId: client other-app belongs to another tenant',
  },
];

describe.each(storageKinds)('admin bad input on %s', (storage) => {
  let gh: RunningGatehouse;
  let api: ReturnType<typeof adminApi>;
  beforeAll(async () => {
    gh = await startGatehouse({ storage });
    api = adminApi(gh);
    await api.post('/admin/tenants', { id: 'shop' });
    await api.post('/admin/tenants', { id: 'other' });
    await api.post('/admin/tenants/other/clients', { clientId: 'other-app' });
    await api.post('/admin/tenants/shop/users', { email: 'taken@example.com' });
  });
  afterAll(() => gh.close());

  it.each(cases)('answers $status $code problem+json and writes nothing for $name', async (c) => {
    const response = await expectNoWrites(gh.storage.db, () => api.call(c.method, c.path, c.body, c.headers ?? {}));
    expect(response.status).toBe(c.status);
    expect(response.contentType).toBe('application/problem+json; charset=utf-8');
    expect(response.body).toEqual(problem(c.code, c.status, c.detail));
  });

  it('left no trace of the refused imports', async () => {
    const tenants = await gh.storage.db.selectFrom('tenants').select('id').orderBy('id').execute();
    expect(tenants.map((t) => t.id)).toEqual(['other', 'shop']);
  });
});
