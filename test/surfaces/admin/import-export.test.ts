import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sha256 } from '../../../src/lib/crypto.js';
import { type RunningGatehouse, startGatehouse } from '../../harness/gatehouse.js';
import { expectNoWrites, storageKinds, tableCounts } from '../../harness/storage.js';
import { adminApi } from './admin-api.js';

const clientSecret = 'an-operator-chosen-secret-0123456789';
const idpSecret = 'google-app-secret-value';
const password = 'correct horse battery staple';

/** A document with every kind of thing, secrets in plaintext (the form an operator writes). */
const document = {
  tenants: [
    {
      id: 'acme',
      name: 'Acme',
      policies: { linking: 'auto_link_verified', mfa: 'social' },
      clients: [
        {
          clientId: 'acme-web',
          clientSecret,
          redirectUris: ['https://acme.example/callback'],
          callbackUrls: ['https://acme.example/after-login'],
          grantTypes: ['authorization_code', 'refresh_token', 'password'],
        },
        {
          clientId: 'acme-spa',
          public: true,
          redirectUris: ['http://localhost:5173/cb'],
          callbackUrls: [],
          grantTypes: ['authorization_code'],
        },
      ],
      idps: [
        {
          id: 'google',
          kind: 'google',
          clientId: 'acme.apps.googleusercontent.com',
          clientSecret: idpSecret,
          scopes: ['openid', 'email'],
          trustEmail: true,
        },
        {
          id: 'corp',
          kind: 'oidc',
          clientId: 'gatehouse',
          clientSecret: 'corp-secret',
          settings: { issuer: 'https://id.corp.example' },
        },
      ],
      users: [
        { email: 'Ada@Example.com', password, emailVerified: true, firstName: 'Ada', lastName: 'Lovelace' },
        { email: 'grace@example.com' },
      ],
    },
    { id: 'beta', name: 'Beta' },
  ],
};

const counts = (created: number, updated: number, unchanged: number) => ({ created, updated, unchanged });

describe.each(storageKinds)('admin import and export on %s', (storage) => {
  let source: RunningGatehouse;
  let target: RunningGatehouse;
  let exported: unknown;
  beforeAll(async () => {
    [source, target] = await Promise.all([startGatehouse({ storage }), startGatehouse({ storage })]);
  });
  afterAll(async () => {
    await Promise.all([source.close(), target.close()]);
  });

  it('imports a document with plaintext secrets, hashing and sealing them', async () => {
    const response = await adminApi(source).post('/admin/import', document);
    expect(response.status).toBe(200);
    expect(response.body).toEqual({
      tenants: counts(2, 0, 0),
      clients: counts(2, 0, 0),
      idps: counts(2, 0, 0),
      users: counts(2, 0, 0),
      secrets: [],
    });
    const client = await source.storage.db
      .selectFrom('clients')
      .selectAll()
      .where('client_id', '=', 'acme-web')
      .executeTakeFirstOrThrow();
    expect(client.secret_digest).toBe(sha256(clientSecret));
    const user = await source.core.users.verifyCredentials('acme', 'ada@example.com', password);
    expect(user).toMatchObject({ emailVerified: true, firstName: 'Ada', lastName: 'Lovelace' });
    expect((await source.core.connections.config('acme', 'google')).clientSecret).toBe(idpSecret);
  });

  it('changes nothing when the same document is applied again', async () => {
    const response = await expectNoWrites(source.storage.db, () => adminApi(source).post('/admin/import', document));
    expect(response.body).toEqual({
      tenants: counts(0, 0, 2),
      clients: counts(0, 0, 2),
      idps: counts(0, 0, 2),
      users: counts(0, 0, 2),
      secrets: [],
    });
  });

  it('exports secrets only as digests, sealed values and argon2id hashes', async () => {
    const response = await adminApi(source).get('/admin/export');
    expect(response.status).toBe(200);
    exported = response.body;
    const text = JSON.stringify(exported);
    for (const secret of [clientSecret, idpSecret, 'corp-secret', password]) expect(text).not.toContain(secret);
    expect(exported).toEqual({
      version: 1,
      tenants: [
        {
          id: 'acme',
          name: 'Acme',
          policies: { linking: 'auto_link_verified', mfa: 'social' },
          hostnames: [],
          clients: [
            {
              clientId: 'acme-spa',
              name: 'acme-spa',
              public: true,
              redirectUris: ['http://localhost:5173/cb'],
              callbackUrls: [],
              grantTypes: ['authorization_code'],
              settings: {},
            },
            {
              clientId: 'acme-web',
              name: 'acme-web',
              public: false,
              clientSecretDigest: sha256(clientSecret),
              redirectUris: ['https://acme.example/callback'],
              callbackUrls: ['https://acme.example/after-login'],
              grantTypes: ['authorization_code', 'refresh_token', 'password'],
              settings: {},
            },
          ],
          idps: [
            {
              id: 'corp',
              kind: 'oidc',
              clientId: 'gatehouse',
              clientSecretEncrypted: expect.stringMatching(/^v1\./),
              trustEmail: false,
              // stored with the kind's defaults
              settings: {
                issuer: 'https://id.corp.example',
                pkce: true,
                tokenEndpointAuthMethod: 'client_secret_basic',
                userinfo: true,
              },
            },
            {
              id: 'google',
              kind: 'google',
              clientId: 'acme.apps.googleusercontent.com',
              clientSecretEncrypted: expect.stringMatching(/^v1\./),
              scopes: ['openid', 'email'],
              trustEmail: true,
              settings: {},
            },
          ],
          users: [
            {
              email: 'ada@example.com',
              passwordHash: expect.stringMatching(/^\$argon2id\$/),
              emailVerified: true,
              firstName: 'Ada',
              lastName: 'Lovelace',
              status: 'active',
            },
            { email: 'grace@example.com', emailVerified: false, status: 'active' },
          ],
        },
        {
          id: 'beta',
          name: 'Beta',
          policies: { linking: 'merge_needed', mfa: 'off' },
          hostnames: [],
          clients: [],
          idps: [],
          users: [],
        },
      ],
    });
    const one = await adminApi(source).get('/admin/export?tenant=beta');
    expect(one.body).toEqual({ version: 1, tenants: [(exported as { tenants: unknown[] }).tenants[1]] });
  });

  it('reproduces the configuration on an empty store: the exports are equal and the secrets still work', async () => {
    const response = await adminApi(target).post('/admin/import', exported);
    expect(response.status).toBe(200);
    expect(response.body).toMatchObject({ tenants: counts(2, 0, 0), clients: counts(2, 0, 0), secrets: [] });
    expect((await adminApi(target).get('/admin/export')).body).toEqual(exported);
    const client = await target.core.clients.authenticate(
      { method: 'client_secret_post', clientId: 'acme-web', clientSecret },
      'acme',
    );
    expect(client.clientId).toBe('acme-web');
    await expect(target.core.users.verifyCredentials('acme', 'ada@example.com', password)).resolves.toMatchObject({
      email: 'ada@example.com',
    });
    expect((await target.core.connections.config('acme', 'google')).clientSecret).toBe(idpSecret);
    const again = await expectNoWrites(target.storage.db, () => adminApi(target).post('/admin/import', exported));
    expect(again.body).toMatchObject({ tenants: counts(0, 0, 2), idps: counts(0, 0, 2), users: counts(0, 0, 2) });
  });

  it('updates what differs and generates a secret, shown once, for a new confidential client without one', async () => {
    const before = await tableCounts(target.storage.db);
    const response = await adminApi(target).post('/admin/import', {
      tenants: [
        {
          id: 'acme',
          policies: { mfa: 'off' },
          clients: [
            { clientId: 'acme-web', redirectUris: ['https://acme.example/new-callback'] },
            { clientId: 'acme-cli' },
          ],
          users: [{ email: 'grace@example.com', status: 'disabled', password: 'a brand new password' }],
        },
      ],
    });
    expect(response.body).toEqual({
      tenants: counts(0, 1, 0),
      clients: counts(1, 1, 0),
      idps: counts(0, 0, 0),
      users: counts(0, 1, 0),
      secrets: [{ tenant: 'acme', clientId: 'acme-cli', clientSecret: expect.stringMatching(/^[A-Za-z0-9_-]{43}$/) }],
    });
    const { secrets } = response.body as { secrets: { clientSecret: string }[] };
    const row = await target.storage.db
      .selectFrom('clients')
      .selectAll()
      .where('client_id', '=', 'acme-cli')
      .executeTakeFirstOrThrow();
    expect(row.secret_digest).toBe(sha256(secrets[0]?.clientSecret ?? ''));
    const web = await target.storage.db
      .selectFrom('clients')
      .selectAll()
      .where('client_id', '=', 'acme-web')
      .executeTakeFirstOrThrow();
    expect(web).toMatchObject({
      redirect_uris: ['https://acme.example/new-callback'],
      secret_digest: sha256(clientSecret),
    });
    expect(await tableCounts(target.storage.db)).toEqual({ ...before, clients: (before.clients ?? 0) + 1 });
    const tenant = await target.storage.db
      .selectFrom('tenants')
      .selectAll()
      .where('id', '=', 'acme')
      .executeTakeFirstOrThrow();
    expect(tenant.policies).toEqual({ linking: 'auto_link_verified', mfa: 'off' });
    const grace = await target.storage.db
      .selectFrom('users')
      .selectAll()
      .where('email', '=', 'grace@example.com')
      .executeTakeFirstOrThrow();
    expect(grace.status).toBe('disabled');
    expect(grace.password_hash).toMatch(/^\$argon2id\$/);
  });
});
