import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningGatehouse, startGatehouse } from '../../harness/gatehouse.js';
import { expectNoWrites, storageKinds } from '../../harness/storage.js';
import { adminApi, problem } from './admin-api.js';

describe.each(storageKinds)('admin tokens on %s', (storage) => {
  let gh: RunningGatehouse;
  let api: ReturnType<typeof adminApi>;
  const as = (token: string) => ({ authorization: `Bearer ${token}` });
  const create = async (body: unknown) => {
    const response = await api.post('/admin/admin-tokens', body);
    expect(response.status).toBe(201);
    return response.body as { id: string; token: string; tenant: string | null; scopes: string[] };
  };

  beforeAll(async () => {
    gh = await startGatehouse({ storage, config: { trustProxy: true } });
    api = adminApi(gh);
    for (const id of ['acme', 'globex']) expect((await api.post('/admin/tenants', { id })).status).toBe(201);
    expect((await api.post('/admin/tenants/globex/users', { email: 'hank@globex.example' })).status).toBe(201);
  });
  afterAll(() => gh.close());

  it('creates a token bound to one tenant and scopes, shows it once, and lists it without it', async () => {
    const created = await create({ tenant: 'acme', scopes: ['users:read'], name: 'acme support' });
    expect(created).toEqual({
      id: expect.stringMatching(/^at_/),
      name: 'acme support',
      tenant: 'acme',
      scopes: ['users:read'],
      createdAt: expect.any(String),
      revokedAt: null,
      token: expect.stringMatching(/^gh_at_[A-Za-z0-9_-]{43}$/),
    });
    const listed = await api.get('/admin/admin-tokens');
    expect(listed.status).toBe(200);
    const { token, ...view } = created;
    expect((listed.body as { items: unknown[] }).items).toContainEqual(view);
    expect(JSON.stringify(listed.body)).not.toContain(token);
    // Only the digest is stored.
    const stored = await gh.storage.db.selectFrom('admin_tokens').selectAll().where('id', '=', created.id).execute();
    expect(JSON.stringify(stored)).not.toContain(token);
  });

  it("lets a tenant's token read that tenant within its scopes, and nothing of another tenant (404, as if absent)", async () => {
    const { token } = await create({ tenant: 'acme', scopes: ['users:read'] });
    const call = (method: string, path: string, body?: unknown) => api.call(method, path, body, as(token));
    expect((await call('GET', '/admin/tenants/acme/users')).status).toBe(200);

    const other = await call('GET', '/admin/tenants/globex/users');
    const absent = await call('GET', '/admin/tenants/initech/users');
    expect(other).toMatchObject({ status: 404, body: problem('not_found', 404, 'tenant "globex" does not exist') });
    expect(absent).toMatchObject({ status: 404, body: problem('not_found', 404, 'tenant "initech" does not exist') });
    // Another tenant is 404 before the missing scope is even considered, and nothing is written.
    const write = await expectNoWrites(gh.storage.db, () =>
      call('POST', '/admin/tenants/globex/users', { email: 'mallory@globex.example' }),
    );
    expect(write.status).toBe(404);
    expect((await call('DELETE', '/admin/tenants/globex')).status).toBe(404);
  });

  it('answers 403 problem+json when the token lacks the scope, and writes nothing', async () => {
    const { token } = await create({ tenant: 'acme', scopes: ['users:read'] });
    const response = await expectNoWrites(gh.storage.db, () =>
      api.call('POST', '/admin/tenants/acme/users', { email: 'eve@acme.example' }, as(token)),
    );
    expect(response).toMatchObject({
      status: 403,
      contentType: 'application/problem+json; charset=utf-8',
      body: problem('forbidden', 403, 'this admin token lacks the scope users:write'),
    });
    expect((await api.call('GET', '/admin/tenants/acme/keys', undefined, as(token))).status).toBe(403);
    // Tokens, tenants and whole configurations are the operator's (or an every-tenant token's).
    expect((await api.call('GET', '/admin/admin-tokens', undefined, as(token))).status).toBe(403);
    expect((await api.call('POST', '/admin/tenants', { id: 'sneaky' }, as(token))).status).toBe(403);
    expect((await api.call('GET', '/admin/export', undefined, as(token))).status).toBe(403);
  });

  it('lists only its own tenant to a tenant token, and every tenant to a token of all', async () => {
    const one = await create({ tenant: 'acme', scopes: ['tenants:read'] });
    const all = await create({ scopes: ['tenants:read', 'users:read'] });
    const ids = async (token: string) =>
      ((await api.call('GET', '/admin/tenants', undefined, as(token))).body as { items: { id: string }[] }).items.map(
        (t) => t.id,
      );
    expect(await ids(one.token)).toEqual(['acme']);
    expect(await ids(all.token)).toEqual(['acme', 'globex']);
    expect((await api.call('GET', '/admin/tenants/globex/users', undefined, as(all.token))).status).toBe(200);
  });

  it('refuses a revoked token with 401, and audits creation and revocation without the token', async () => {
    const { id, token } = await create({ tenant: 'acme', scopes: ['users:read'] });
    const revoked = await api.delete(`/admin/admin-tokens/${id}`);
    expect(revoked).toMatchObject({ status: 200, body: { id, revokedAt: expect.any(String) } });
    const refused = await api.call('GET', '/admin/tenants/acme/users', undefined, as(token));
    expect(refused).toMatchObject({
      status: 401,
      body: problem('unauthorized', 401, 'a valid admin bearer token is required'),
    });
    expect(refused.headers.get('www-authenticate')).toBe('Bearer realm="gatehouse-admin"');
    expect((await api.delete('/admin/admin-tokens/at_nope')).status).toBe(404);

    const audit = (await api.get('/admin/tenants/acme/audit?limit=1000')).body as {
      items: { type: string; actor: string; details: { adminTokenId?: string } }[];
    };
    const mine = audit.items.filter((e) => e.details.adminTokenId === id).map((e) => [e.type, e.actor]);
    expect(mine).toEqual([
      ['admin_token.revoked', 'admin'],
      ['admin_token.created', 'admin'],
    ]);
    expect(JSON.stringify(audit)).not.toContain(token);
  });

  it('attributes what a stored token does to it in the audit trail', async () => {
    const { id, token } = await create({ tenant: 'acme', scopes: ['users:write'] });
    const created = await api.call('POST', '/admin/tenants/acme/users', { email: 'ivy@acme.example' }, as(token));
    expect(created.status).toBe(201);
    const audit = (await api.get('/admin/tenants/acme/audit')).body as { items: { type: string; actor: string }[] };
    expect(audit.items.find((e) => e.type === 'user.created')?.actor).toBe(`admin_token:${id}`);
  });

  it('refuses unknown scopes and unknown tenants, and writes nothing', async () => {
    const bad = await expectNoWrites(gh.storage.db, () =>
      api.post('/admin/admin-tokens', { tenant: 'acme', scopes: ['users:delete'] }),
    );
    expect(bad).toMatchObject({ status: 400, body: { title: 'invalid_request' } });
    const missing = await expectNoWrites(gh.storage.db, () =>
      api.post('/admin/admin-tokens', { tenant: 'initech', scopes: ['users:read'] }),
    );
    expect(missing).toMatchObject({ status: 404, body: problem('not_found', 404, 'tenant "initech" does not exist') });
  });
});

describe('admin API rate limits', () => {
  let gh: RunningGatehouse;
  let api: ReturnType<typeof adminApi>;
  beforeAll(async () => {
    gh = await startGatehouse({ storage: 'pglite', config: { trustProxy: true } });
    api = adminApi(gh);
  });
  afterAll(() => gh.close());

  it("locks an address after 10 failed authentications, even with the right token, but not the operator's address", async () => {
    const from = (ip: string, token: string) =>
      api.call('GET', '/admin/tenants', undefined, { authorization: `Bearer ${token}`, 'x-forwarded-for': ip });
    for (let i = 0; i < 10; i++)
      expect((await from('192.0.2.66', `wrong-token-${i}-0123456789abcdef`)).status).toBe(401);
    const locked = await from('192.0.2.66', gh.adminToken);
    expect(locked.status).toBe(429);
    expect(locked.contentType).toBe('application/problem+json; charset=utf-8');
    expect(locked.body).toMatchObject({ type: '/docs/errors#rate_limited', title: 'rate_limited', status: 429 });
    expect(Number(locked.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect((await from('192.0.2.67', gh.adminToken)).status).toBe(200);

    await gh.core.audit.flush();
    const events = await gh.storage.db
      .selectFrom('audit_events')
      .select(['type', 'outcome', 'ip', 'details'])
      .where('ip', '=', '192.0.2.66')
      .execute();
    expect(events.filter((e) => e.type === 'admin.auth_failed')).toHaveLength(10);
    expect(events.filter((e) => e.type === 'rate_limit.refused')).toEqual([
      {
        type: 'rate_limit.refused',
        outcome: 'failure',
        ip: '192.0.2.66',
        details: expect.objectContaining({ policy: 'admin_auth' }),
      },
    ]);
    expect(JSON.stringify(events)).not.toContain('wrong-token');
  });
});
