import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { identitiesRepo } from '../../../src/store/repositories/identities.js';
import { type RunningGatehouse, startGatehouse } from '../../harness/gatehouse.js';
import { storageKinds } from '../../harness/storage.js';
import { adminApi, isoDate, problem } from './admin-api.js';

interface UserBody {
  id: string;
  email: string | null;
  status: string;
}

describe.each(storageKinds)('admin users on %s', (storage) => {
  let gh: RunningGatehouse;
  let api: ReturnType<typeof adminApi>;
  let ada: UserBody;
  beforeAll(async () => {
    gh = await startGatehouse({ storage });
    api = adminApi(gh);
    await api.post('/admin/tenants', { id: 'shop' });
  });
  afterAll(() => gh.close());

  it('creates a user with a normalised email and an argon2id password hash', async () => {
    const response = await api.post('/admin/tenants/shop/users', {
      email: '  Ada@Example.COM ',
      password: 'correct horse battery',
      emailVerified: true,
      firstName: 'Ada',
      lastName: 'Lovelace',
    });
    expect(response.status).toBe(201);
    ada = response.body as UserBody;
    expect(response.body).toEqual({
      id: expect.stringMatching(/^[0-9a-f-]{36}$/),
      tenantId: 'shop',
      email: 'ada@example.com',
      emailVerified: true,
      hasPassword: true,
      firstName: 'Ada',
      lastName: 'Lovelace',
      displayName: null,
      profile: {},
      status: 'active',
      passwordResetRequired: false,
      createdAt: expect.stringMatching(isoDate),
      updatedAt: expect.stringMatching(isoDate),
    });
    const row = await gh.storage.db.selectFrom('users').selectAll().where('id', '=', ada.id).executeTakeFirstOrThrow();
    expect(row.password_hash).toMatch(/^\$argon2id\$/);
    expect(await gh.core.users.verifyCredentials('shop', 'ada@example.com', 'correct horse battery')).toMatchObject({
      id: ada.id,
    });
  });

  it('refuses a second user with the same email with 409 email_taken', async () => {
    const response = await api.post('/admin/tenants/shop/users', { email: 'ADA@example.com' });
    expect(response.status).toBe(409);
    expect(response.body).toEqual(problem('email_taken', 409, 'the email address is already in use'));
  });

  it('pages through users in creation order with limit and after', async () => {
    for (const name of ['b', 'c', 'd']) await api.post('/admin/tenants/shop/users', { email: `${name}@example.com` });
    const first = await api.get('/admin/tenants/shop/users?limit=2');
    expect(first.status).toBe(200);
    const page1 = first.body as { items: UserBody[]; next: string };
    expect(page1.items.map((u) => u.email)).toEqual(['ada@example.com', 'b@example.com']);
    expect(page1.next).toBe(page1.items[1]?.id);
    const second = await api.get(`/admin/tenants/shop/users?limit=2&after=${page1.next}`);
    const page2 = second.body as { items: UserBody[]; next: string };
    expect(page2.items.map((u) => u.email)).toEqual(['c@example.com', 'd@example.com']);
    const third = await api.get(`/admin/tenants/shop/users?limit=2&after=${page2.next}`);
    expect(third.body).toEqual({ items: [], next: null });
    const all = await api.get('/admin/tenants/shop/users');
    expect(all.body).toMatchObject({ next: null });
    expect((all.body as { items: unknown[] }).items).toHaveLength(4);
  });

  it('finds the user with an email, compared normalised, and no one in another tenant', async () => {
    const found = await api.get('/admin/tenants/shop/users?email=ADA%40example.com');
    expect(found).toMatchObject({
      status: 200,
      body: { items: [{ id: ada.id, email: 'ada@example.com' }], next: null },
    });
    expect((found.body as { items: unknown[] }).items).toHaveLength(1);
    expect((await api.get('/admin/tenants/shop/users?email=nobody%40example.com')).body).toEqual({
      items: [],
      next: null,
    });
    await api.post('/admin/tenants', { id: 'other-shop' });
    expect((await api.get('/admin/tenants/other-shop/users?email=ada%40example.com')).body).toEqual({
      items: [],
      next: null,
    });
  });

  it('shows a user with their linked identities', async () => {
    await identitiesRepo.insert(gh.storage.db, {
      id: '00000000-0000-4000-8000-0000000000aa',
      tenant_id: 'shop',
      user_id: ada.id,
      idp: 'google',
      issuer: 'https://accounts.google.com',
      subject: '1234567890',
      email: 'ada@example.com',
      email_verified: true,
      raw: { sub: '1234567890' },
    });
    const response = await api.get(`/admin/tenants/shop/users/${ada.id}`);
    expect(response.status).toBe(200);
    expect(response.body).toEqual({
      ...ada,
      identities: [
        {
          id: '00000000-0000-4000-8000-0000000000aa',
          idp: 'google',
          issuer: 'https://accounts.google.com',
          subject: '1234567890',
          email: 'ada@example.com',
          emailVerified: true,
          createdAt: expect.stringMatching(isoDate),
          lastLoginAt: null,
        },
      ],
    });
  });

  it('disables and enables a user', async () => {
    const disabled = await api.post(`/admin/tenants/shop/users/${ada.id}/disable`);
    expect(disabled.status).toBe(200);
    expect(disabled.body).toMatchObject({ id: ada.id, status: 'disabled' });
    await expect(
      gh.core.users.verifyCredentials('shop', 'ada@example.com', 'correct horse battery'),
    ).rejects.toMatchObject({ code: 'user_disabled' });
    const enabled = await api.post(`/admin/tenants/shop/users/${ada.id}/enable`);
    expect(enabled.body).toMatchObject({ id: ada.id, status: 'active' });
    const row = await gh.storage.db
      .selectFrom('users')
      .select('status')
      .where('id', '=', ada.id)
      .executeTakeFirstOrThrow();
    expect(row.status).toBe('active');
  });

  it("answers 404 for another tenant's user, and leaves that user as it was", async () => {
    await api.post('/admin/tenants', { id: 'elsewhere' });
    const shown = await api.get(`/admin/tenants/elsewhere/users/${ada.id}`);
    expect(shown.status).toBe(404);
    expect(shown.body).toEqual(problem('not_found', 404, `user "${ada.id}" does not exist`));
    const disabled = await api.post(`/admin/tenants/elsewhere/users/${ada.id}/disable`);
    expect(disabled.status).toBe(404);
    expect((await api.get(`/admin/tenants/shop/users/${ada.id}`)).body).toMatchObject({ id: ada.id, status: 'active' });
  });

  it('answers 404 for an unknown user and 400 for a malformed user id or cursor', async () => {
    const unknown = await api.get('/admin/tenants/shop/users/00000000-0000-4000-8000-000000000000');
    expect(unknown.status).toBe(404);
    expect(unknown.body).toEqual(
      problem('not_found', 404, 'user "00000000-0000-4000-8000-000000000000" does not exist'),
    );
    const malformed = await api.post('/admin/tenants/shop/users/not-a-uuid/disable');
    expect(malformed.status).toBe(400);
    expect((malformed.body as { detail: string }).detail).toMatch(/^params\.userId: /);
    const cursor = await api.get('/admin/tenants/shop/users?after=00000000-0000-4000-8000-000000000000');
    expect(cursor.status).toBe(400);
    expect(cursor.body).toEqual(problem('invalid_request', 400, 'querystring.after: no such user'));
    const limit = await api.get('/admin/tenants/shop/users?limit=501');
    expect(limit.status).toBe(400);
    expect((limit.body as { detail: string }).detail).toMatch(/^querystring\.limit: /);
  });
});
