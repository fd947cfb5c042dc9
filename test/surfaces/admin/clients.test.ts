import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sha256 } from '../../../src/lib/crypto.js';
import { type RunningGatehouse, startGatehouse } from '../../harness/gatehouse.js';
import { storageKinds } from '../../harness/storage.js';
import { adminApi, isoDate, problem } from './admin-api.js';

describe.each(storageKinds)('admin clients on %s', (storage) => {
  let gh: RunningGatehouse;
  let api: ReturnType<typeof adminApi>;
  let firstSecret = '';
  beforeAll(async () => {
    gh = await startGatehouse({ storage });
    api = adminApi(gh);
    await api.post('/admin/tenants', { id: 'shop' });
    await api.post('/admin/tenants', { id: 'other' });
  });
  afterAll(() => gh.close());

  const digestOf = async (clientId: string) =>
    (
      await gh.storage.db
        .selectFrom('clients')
        .select('secret_digest')
        .where('client_id', '=', clientId)
        .executeTakeFirst()
    )?.secret_digest;

  it('creates a confidential client and returns its secret once, storing only the SHA-256 digest', async () => {
    const response = await api.post('/admin/tenants/shop/clients', {
      clientId: 'shop-web',
      name: 'Shop web',
      redirectUris: ['https://shop.example/callback'],
      grantTypes: ['authorization_code', 'refresh_token'],
    });
    expect(response.status).toBe(201);
    const body = response.body as { clientSecret: string };
    expect(body).toEqual({
      clientId: 'shop-web',
      tenantId: 'shop',
      name: 'Shop web',
      public: false,
      redirectUris: ['https://shop.example/callback'],
      callbackUrls: [],
      grantTypes: ['authorization_code', 'refresh_token'],
      settings: {},
      createdAt: expect.stringMatching(isoDate),
      clientSecret: expect.stringMatching(/^[A-Za-z0-9_-]{43}$/),
    });
    firstSecret = body.clientSecret;
    expect(await digestOf('shop-web')).toBe(sha256(firstSecret));
    const authenticated = await gh.core.clients.authenticate(
      { method: 'client_secret_basic', clientId: 'shop-web', clientSecret: firstSecret },
      'shop',
    );
    expect(authenticated.clientId).toBe('shop-web');
  });

  it('accepts a native app’s reverse-domain scheme and a loopback redirect URI (RFC 8252)', async () => {
    const uris = ['com.example.shop:/oauth2redirect', 'com.example.shop://callback', 'http://127.0.0.1:7000/cb'];
    const response = await api.post('/admin/tenants/shop/clients', {
      clientId: 'shop-native',
      public: true,
      redirectUris: uris,
    });
    expect(response.status).toBe(201);
    expect(response.body).toMatchObject({ redirectUris: uris });
    expect((await api.call('DELETE', '/admin/tenants/shop/clients/shop-native', undefined, {})).status).toBe(204);
  });

  it('creates a public client without a secret', async () => {
    const response = await api.post('/admin/tenants/shop/clients', { clientId: 'shop-spa', public: true });
    expect(response.status).toBe(201);
    expect(response.body).toEqual({
      clientId: 'shop-spa',
      tenantId: 'shop',
      name: 'shop-spa',
      public: true,
      redirectUris: [],
      callbackUrls: [],
      grantTypes: ['authorization_code', 'refresh_token'],
      settings: {},
      createdAt: expect.stringMatching(isoDate),
    });
    expect(await digestOf('shop-spa')).toBeNull();
  });

  it('lists and shows clients without any secret', async () => {
    const list = await api.get('/admin/tenants/shop/clients');
    expect(list.status).toBe(200);
    const items = (list.body as { items: Record<string, unknown>[] }).items;
    expect(items.map((c) => c.clientId)).toEqual(['shop-spa', 'shop-web']);
    for (const item of items) expect(Object.keys(item)).not.toContain('clientSecret');
    const one = await api.get('/admin/tenants/shop/clients/shop-web');
    expect(one.status).toBe(200);
    expect(one.body).toEqual(items[1]);
    expect(JSON.stringify(list.body)).not.toContain(firstSecret);
  });

  it('answers 404 for a client of another tenant, as for an unknown one', async () => {
    const response = await api.get('/admin/tenants/other/clients/shop-web');
    expect(response.status).toBe(404);
    expect(response.body).toEqual(problem('not_found', 404, 'client "shop-web" does not exist in tenant other'));
    expect((await api.get('/admin/tenants/shop/clients/nobody')).status).toBe(404);
  });

  it('updates redirect URIs, callback URLs, grants and settings on PATCH', async () => {
    const response = await api.patch('/admin/tenants/shop/clients/shop-web', {
      redirectUris: ['https://shop.example/cb2'],
      callbackUrls: ['https://shop.example/after'],
      grantTypes: ['authorization_code'],
      settings: { accessTokenTtlSeconds: 600 },
    });
    expect(response.status).toBe(200);
    expect(response.body).toMatchObject({
      clientId: 'shop-web',
      redirectUris: ['https://shop.example/cb2'],
      callbackUrls: ['https://shop.example/after'],
      grantTypes: ['authorization_code'],
      settings: { accessTokenTtlSeconds: 600 },
    });
    const row = await gh.storage.db
      .selectFrom('clients')
      .selectAll()
      .where('client_id', '=', 'shop-web')
      .executeTakeFirstOrThrow();
    expect(row).toMatchObject({
      redirect_uris: ['https://shop.example/cb2'],
      callback_urls: ['https://shop.example/after'],
      grant_types: ['authorization_code'],
      settings: { accessTokenTtlSeconds: 600 },
      secret_digest: sha256(firstSecret),
    });
  });

  it('rotates a secret: the new one is returned once and the old one stops working', async () => {
    const response = await api.post('/admin/tenants/shop/clients/shop-web/rotate-secret');
    expect(response.status).toBe(200);
    const { clientSecret } = response.body as { clientSecret: string };
    expect(clientSecret).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(clientSecret).not.toBe(firstSecret);
    expect(await digestOf('shop-web')).toBe(sha256(clientSecret));
    expect((await api.get('/admin/tenants/shop/clients/shop-web')).body).not.toHaveProperty('clientSecret');
  });

  it('refuses to rotate the secret of a public client with 400', async () => {
    const response = await api.post('/admin/tenants/shop/clients/shop-spa/rotate-secret');
    expect(response.status).toBe(400);
    expect(response.body).toEqual(problem('invalid_request', 400, 'a public client has no secret'));
  });

  it('deletes a client on DELETE', async () => {
    const response = await api.delete('/admin/tenants/shop/clients/shop-spa');
    expect(response.status).toBe(204);
    expect(
      await gh.storage.db.selectFrom('clients').select('client_id').where('tenant_id', '=', 'shop').execute(),
    ).toEqual([{ client_id: 'shop-web' }]);
    expect((await api.delete('/admin/tenants/shop/clients/shop-spa')).status).toBe(404);
  });
});
