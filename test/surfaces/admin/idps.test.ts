import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningGatehouse, startGatehouse } from '../../harness/gatehouse.js';
import { storageKinds } from '../../harness/storage.js';
import { adminApi, problem } from './admin-api.js';

describe.each(storageKinds)('admin identity providers on %s', (storage) => {
  let gh: RunningGatehouse;
  let api: ReturnType<typeof adminApi>;
  beforeAll(async () => {
    gh = await startGatehouse({ storage });
    api = adminApi(gh);
    await api.post('/admin/tenants', { id: 'shop' });
  });
  afterAll(() => gh.close());

  const sealedSecret = async (id: string) =>
    (
      await gh.storage.db
        .selectFrom('idp_connections')
        .select('client_secret_enc')
        .where('tenant_id', '=', 'shop')
        .where('id', '=', id)
        .executeTakeFirstOrThrow()
    ).client_secret_enc;

  it('creates a connection with 201 on PUT, seals the secret at rest and never returns it', async () => {
    const response = await api.put('/admin/tenants/shop/idps/google', {
      kind: 'google',
      clientId: 'google-client.apps.example',
      clientSecret: 'google-app-secret-value',
      scopes: ['openid', 'email'],
      trustEmail: false,
    });
    expect(response.status).toBe(201);
    expect(response.body).toEqual({
      id: 'google',
      kind: 'google',
      clientId: 'google-client.apps.example',
      hasClientSecret: true,
      scopes: ['openid', 'email'],
      trustEmail: false,
      settings: {},
      callbackUrl: `${gh.url}/t/shop/SocialAuth/googleAuthCallback`,
    });
    const sealed = await sealedSecret('google');
    expect(sealed).toMatch(/^v1\./);
    expect(sealed).not.toContain('google-app-secret-value');
    expect(gh.secretBox.open(sealed as string)).toBe('google-app-secret-value');
  });

  it('replaces a connection with 200 on PUT and keeps the stored secret when none is given', async () => {
    const before = await sealedSecret('google');
    const response = await api.put('/admin/tenants/shop/idps/google', {
      kind: 'google',
      clientId: 'google-client-2.apps.example',
      emulator: 'http://127.0.0.1:9/_emulator',
    });
    expect(response.status).toBe(200);
    expect(response.body).toEqual({
      id: 'google',
      kind: 'google',
      clientId: 'google-client-2.apps.example',
      hasClientSecret: true,
      emulator: 'http://127.0.0.1:9/_emulator',
      trustEmail: false,
      settings: {},
      callbackUrl: `${gh.url}/t/shop/SocialAuth/googleAuthCallback`,
    });
    expect(await sealedSecret('google')).toBe(before);
  });

  it('lists and shows connections without secrets', async () => {
    await api.put('/admin/tenants/shop/idps/facebook', {
      kind: 'facebook',
      clientId: '1234',
      clientSecret: 'fb-secret',
    });
    const list = await api.get('/admin/tenants/shop/idps');
    expect(list.status).toBe(200);
    const items = (list.body as { items: { id: string }[] }).items;
    expect(items.map((i) => i.id)).toEqual(['facebook', 'google']);
    expect(JSON.stringify(list.body)).not.toMatch(/fb-secret|google-app-secret-value|v1\./);
    const one = await api.get('/admin/tenants/shop/idps/facebook');
    expect(one.status).toBe(200);
    expect(one.body).toEqual({
      id: 'facebook',
      kind: 'facebook',
      clientId: '1234',
      hasClientSecret: true,
      trustEmail: false,
      settings: {},
      // The one URL to register at Facebook, whoever starts the login.
      callbackUrl: `${gh.url}/t/shop/SocialAuth/facebookAuthCallback`,
    });
  });

  it('refuses an unknown provider kind with 400 and writes nothing', async () => {
    const response = await api.put('/admin/tenants/shop/idps/myspace', { kind: 'myspace', clientId: 'x' });
    expect(response.status).toBe(400);
    expect(response.body).toMatchObject({
      type: '/docs/errors#invalid_request',
      title: 'invalid_request',
      status: 400,
    });
    expect((response.body as { detail: string }).detail).toMatch(/^body\.kind: /);
    expect((await api.get('/admin/tenants/shop/idps/myspace')).status).toBe(404);
  });

  it('removes a connection on DELETE, then answers 404 for it', async () => {
    const response = await api.delete('/admin/tenants/shop/idps/facebook');
    expect(response.status).toBe(204);
    const gone = await api.get('/admin/tenants/shop/idps/facebook');
    expect(gone.status).toBe(404);
    expect(gone.body).toEqual(problem('not_found', 404, 'identity provider "facebook" does not exist'));
    expect((await api.delete('/admin/tenants/shop/idps/facebook')).status).toBe(404);
  });
});
