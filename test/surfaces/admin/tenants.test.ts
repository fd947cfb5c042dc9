import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningGatehouse, startGatehouse } from '../../harness/gatehouse.js';
import { storageKinds } from '../../harness/storage.js';
import { adminApi, isoDate } from './admin-api.js';

describe.each(storageKinds)('admin tenants on %s', (storage) => {
  let gh: RunningGatehouse;
  let api: ReturnType<typeof adminApi>;
  beforeAll(async () => {
    gh = await startGatehouse({ storage });
    api = adminApi(gh);
  });
  afterAll(() => gh.close());

  it('creates a tenant with default policies when POST /admin/tenants gets an id and a name', async () => {
    const response = await api.post('/admin/tenants', { id: 'acme', name: 'Acme Inc.' });
    expect(response.status).toBe(201);
    expect(response.contentType).toMatch(/^application\/json/);
    expect(response.body).toEqual({
      id: 'acme',
      name: 'Acme Inc.',
      policies: { linking: 'merge_needed', mfa: 'off' },
      hostnames: [],
      createdAt: expect.stringMatching(isoDate),
    });
    const row = await gh.storage.db
      .selectFrom('tenants')
      .selectAll()
      .where('id', '=', 'acme')
      .executeTakeFirstOrThrow();
    expect(row).toMatchObject({ name: 'Acme Inc.', policies: { linking: 'merge_needed', mfa: 'off' }, hostnames: [] });
  });

  it('refuses a second tenant with the same id with 409 conflict', async () => {
    const response = await api.post('/admin/tenants', { id: 'acme' });
    expect(response.status).toBe(409);
    expect(response.body).toEqual({
      type: '/docs/errors#conflict',
      title: 'conflict',
      status: 409,
      detail: 'tenant acme already exists',
    });
  });

  it('lists tenants in id order and shows one', async () => {
    await api.post('/admin/tenants', { id: 'beta', policies: { linking: 'auto_link_verified' } });
    const list = await api.get('/admin/tenants');
    expect(list.status).toBe(200);
    expect(list.body).toEqual({
      items: [
        expect.objectContaining({ id: 'acme', name: 'Acme Inc.' }),
        {
          id: 'beta',
          name: 'beta',
          policies: { linking: 'auto_link_verified', mfa: 'off' },
          hostnames: [],
          createdAt: expect.stringMatching(isoDate),
        },
      ],
    });
    const one = await api.get('/admin/tenants/beta');
    expect(one.status).toBe(200);
    expect(one.body).toEqual((list.body as { items: unknown[] }).items[1]);
  });

  it('updates the name, merges policies and replaces host names on PATCH', async () => {
    const response = await api.patch('/admin/tenants/acme', {
      name: 'Acme',
      policies: { mfa: 'social' },
      hostnames: ['login.acme.test'],
    });
    expect(response.status).toBe(200);
    expect(response.body).toEqual({
      id: 'acme',
      name: 'Acme',
      policies: { linking: 'merge_needed', mfa: 'social' },
      hostnames: ['login.acme.test'],
      createdAt: expect.stringMatching(isoDate),
    });
    const row = await gh.storage.db
      .selectFrom('tenants')
      .selectAll()
      .where('id', '=', 'acme')
      .executeTakeFirstOrThrow();
    expect(row.policies).toEqual({ linking: 'merge_needed', mfa: 'social' });
    expect(row.hostnames).toEqual(['login.acme.test']);
  });

  it('deletes a tenant with everything in it on DELETE, then answers 404 for it', async () => {
    await api.post('/admin/tenants/beta/clients', { clientId: 'beta-app' });
    const response = await api.delete('/admin/tenants/beta');
    expect(response.status).toBe(204);
    expect(response.body).toBeNull();
    expect(await gh.storage.db.selectFrom('clients').selectAll().where('tenant_id', '=', 'beta').execute()).toEqual([]);
    const gone = await api.get('/admin/tenants/beta');
    expect(gone.status).toBe(404);
    expect(gone.body).toEqual({
      type: '/docs/errors#not_found',
      title: 'not_found',
      status: 404,
      detail: 'tenant "beta" does not exist',
    });
    expect((await api.delete('/admin/tenants/beta')).status).toBe(404);
  });

  it('records every change in the audit trail, attributed to admin', async () => {
    const events = await api.get('/admin/tenants/acme/audit');
    expect(events.status).toBe(200);
    expect((events.body as { items: { type: string; actor: string }[] }).items.map((e) => [e.type, e.actor])).toEqual([
      ['tenant.updated', 'admin'],
      ['tenant.created', 'admin'],
    ]);
  });
});
