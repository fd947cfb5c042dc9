import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningGatehouse, startGatehouse } from '../../harness/gatehouse.js';
import { storageKinds } from '../../harness/storage.js';
import { adminApi, isoDate } from './admin-api.js';

interface KeyBody {
  kid: string;
  state: string;
}

describe.each(storageKinds)('admin signing keys and audit on %s', (storage) => {
  let gh: RunningGatehouse;
  let api: ReturnType<typeof adminApi>;
  beforeAll(async () => {
    gh = await startGatehouse({ storage });
    api = adminApi(gh);
    await api.post('/admin/tenants', { id: 'shop' });
  });
  afterAll(() => gh.close());

  it('lists an active and a next key of each algorithm, RS256 and ES256, public facts only', async () => {
    const response = await api.get('/admin/tenants/shop/keys');
    expect(response.status).toBe(200);
    const items = (response.body as { items: KeyBody[] }).items;
    const key = (alg: string, state: 'active' | 'next') => ({
      kid: expect.any(String),
      alg,
      state,
      createdAt: expect.stringMatching(isoDate),
      activatedAt: state === 'active' ? expect.stringMatching(isoDate) : null,
      retiredAt: null,
    });
    expect(items).toEqual([key('RS256', 'active'), key('RS256', 'next'), key('ES256', 'active'), key('ES256', 'next')]);
    expect(JSON.stringify(response.body)).not.toMatch(/private|BEGIN|v1\./);
  });

  it('rotates every algorithm at once: next becomes active, active retires and a new next appears', async () => {
    const before = ((await api.get('/admin/tenants/shop/keys')).body as { items: (KeyBody & { alg: string })[] }).items;
    const response = await api.post('/admin/tenants/shop/keys/rotate');
    expect(response.status).toBe(200);
    const after = (response.body as { items: (KeyBody & { alg: string })[] }).items;
    const state = (kid: string | undefined) => after.find((k) => k.kid === kid)?.state;
    for (const alg of ['RS256', 'ES256']) {
      const of = before.filter((k) => k.alg === alg);
      expect(state(of.find((k) => k.state === 'active')?.kid)).toBe('retired');
      expect(state(of.find((k) => k.state === 'next')?.kid)).toBe('active');
      expect(after.filter((k) => k.alg === alg && k.state === 'next')).toHaveLength(1);
      expect(after.filter((k) => k.alg === alg && k.state === 'active')).toHaveLength(1);
    }
    const rows = await gh.storage.db
      .selectFrom('signing_keys')
      .select(['kid', 'state'])
      .where('tenant_id', '=', 'shop')
      .execute();
    expect(rows).toHaveLength(6);
    const jwks = await gh.core.keys.jwks('shop');
    expect(jwks.keys.map((k) => k.kid).sort()).toEqual(after.map((k) => k.kid).sort());
  });

  it('lists recent audit events newest first, honouring limit', async () => {
    await api.post('/admin/tenants/shop/clients', { clientId: 'audited-app' });
    const response = await api.get('/admin/tenants/shop/audit?limit=2');
    expect(response.status).toBe(200);
    expect(response.body).toEqual({
      items: [
        {
          id: expect.stringMatching(/^\d+$/),
          type: 'client.created',
          outcome: 'success',
          actor: 'admin',
          clientId: 'audited-app',
          idp: null,
          userId: null,
          ip: '127.0.0.1',
          details: {},
          createdAt: expect.stringMatching(isoDate),
        },
        expect.objectContaining({ type: 'keys.rotated', actor: 'admin', details: { active: expect.any(String) } }),
      ],
    });
    const all = await api.get('/admin/tenants/shop/audit');
    expect((all.body as { items: { type: string }[] }).items.map((e) => e.type)).toEqual([
      'client.created',
      'keys.rotated',
      'tenant.created',
    ]);
  });

  it('answers 404 for the keys or audit of an unknown tenant, without creating keys', async () => {
    expect((await api.get('/admin/tenants/ghost/keys')).status).toBe(404);
    expect((await api.post('/admin/tenants/ghost/keys/rotate')).status).toBe(404);
    expect((await api.get('/admin/tenants/ghost/audit')).status).toBe(404);
    const rows = await gh.storage.db
      .selectFrom('signing_keys')
      .select('kid')
      .where('tenant_id', '=', 'ghost')
      .execute();
    expect(rows).toEqual([]);
  });
});
