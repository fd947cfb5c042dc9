import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isGatehouseError } from '../../../src/core/errors.js';
import { sha256 } from '../../../src/lib/crypto.js';
import { type RunningGatehouse, startGatehouse } from '../../harness/gatehouse.js';
import { expectNoWrites, storageKinds } from '../../harness/storage.js';
import { adminApi, isoDate, problem } from './admin-api.js';

interface UserBody {
  id: string;
  email: string | null;
  firstName: string | null;
  lastName: string | null;
  displayName: string | null;
  emailVerified: boolean;
  profile: Record<string, unknown>;
  passwordResetRequired: boolean;
}
interface Page {
  items: UserBody[];
  next: string | null;
}

const missing = '00000000-0000-4000-8000-00000000dead';

describe.each(storageKinds)('admin user care on %s', (storage) => {
  let gh: RunningGatehouse;
  let api: ReturnType<typeof adminApi>;
  const users: Record<string, UserBody> = {};

  const codeOf = async (action: Promise<unknown>): Promise<string | undefined> =>
    action.then(
      () => undefined,
      (error: unknown) => (isGatehouseError(error) ? error.code : String(error)),
    );

  beforeAll(async () => {
    gh = await startGatehouse({ storage });
    api = adminApi(gh);
    await api.post('/admin/tenants', { id: 'care' });
    for (const [key, body] of [
      ['ada', { email: 'ada.lovelace@example.com', firstName: 'Ada', lastName: 'Lovelace', password: 'analytical-1' }],
      [
        'alan',
        {
          email: 'alan@example.org',
          firstName: 'Alan',
          lastName: 'Turing',
          profile: { bio: 'b', metadata: { a: 1, b: 2 } },
        },
      ],
      ['adele', { email: 'adele@example.net', displayName: 'Grace Adele' }],
      ['grace', { email: 'grace@example.com', firstName: 'Grace', lastName: 'Hopper' }],
      ['ad_x', { email: 'ad_x@example.com' }],
    ] as const) {
      const response = await api.post('/admin/tenants/care/users', body);
      expect(response.status).toBe(201);
      users[key] = response.body as UserBody;
    }
  });
  afterAll(() => gh.close());

  describe('finding users', () => {
    it('finds the user with an exact email, compared normalised', async () => {
      const found = await api.get('/admin/tenants/care/users?email=ADA.Lovelace%40example.com');
      expect(found.status).toBe(200);
      expect((found.body as Page).items.map((u) => u.id)).toEqual([users.ada?.id]);
    });

    it('pages through an email prefix in email order with a cursor', async () => {
      const first = await api.get('/admin/tenants/care/users?prefix=AD&limit=2');
      expect(first.status).toBe(200);
      const page1 = first.body as Page;
      expect(page1.items.map((u) => u.email)).toEqual(['ad_x@example.com', 'ada.lovelace@example.com']);
      expect(page1.next).toEqual(expect.any(String));
      const second = await api.get(`/admin/tenants/care/users?prefix=ad&limit=2&cursor=${page1.next}`);
      const page2 = second.body as Page;
      expect(page2.items.map((u) => u.email)).toEqual(['adele@example.net']);
      expect(page2.next).toBeNull();
    });

    it('takes `_` and `%` in a prefix literally', async () => {
      const found = await api.get('/admin/tenants/care/users?prefix=ad_');
      expect((found.body as Page).items.map((u) => u.email)).toEqual(['ad_x@example.com']);
      const none = await api.get('/admin/tenants/care/users?prefix=%25');
      expect(none.body).toEqual({ items: [], next: null });
    });

    it('finds a part of an email or a name, in creation order, paged with a cursor', async () => {
      const first = await api.get('/admin/tenants/care/users?q=GRACE&limit=1');
      const page1 = first.body as Page;
      expect(page1.items.map((u) => u.id)).toEqual([users.adele?.id]);
      const second = await api.get(`/admin/tenants/care/users?q=grace&limit=1&cursor=${page1.next}`);
      const page2 = second.body as Page;
      expect(page2.items.map((u) => u.id)).toEqual([users.grace?.id]);
      const third = await api.get(`/admin/tenants/care/users?q=grace&limit=1&cursor=${page2.next}`);
      expect(third.body).toEqual({ items: [], next: null });
      const byDomain = await api.get('/admin/tenants/care/users?q=example.org');
      expect((byDomain.body as Page).items.map((u) => u.id)).toEqual([users.alan?.id]);
    });

    it('refuses two searches at once, a cursor without a search and a bad cursor with 400', async () => {
      for (const query of ['email=a%40b.c&prefix=a', 'prefix=a&q=b', 'cursor=abc', 'q=a&after=' + missing]) {
        const response = await api.get(`/admin/tenants/care/users?${query}`);
        expect(response.status, query).toBe(400);
        expect(response.contentType).toContain('application/problem+json');
        expect(response.body).toMatchObject({ title: 'invalid_request', status: 400 });
      }
      const badCursor = await api.get('/admin/tenants/care/users?q=a&cursor=bm90LWEtdXVpZA');
      expect(badCursor.status).toBe(400);
      expect(badCursor.body).toEqual(problem('invalid_request', 400, 'cursor: not a cursor'));
      expect((await api.get('/admin/tenants/care/users?q=')).status).toBe(400);
    });

    it('answers 404 for an unknown tenant', async () => {
      expect((await api.get('/admin/tenants/nowhere/users?q=a')).status).toBe(404);
    });
  });

  describe('PATCH users (merge patch)', () => {
    it('changes what it names and keeps what it leaves out; null clears; profile merges', async () => {
      const alan = users.alan as UserBody;
      const response = await api.patch(`/admin/tenants/care/users/${alan.id}`, {
        displayName: 'Alan M. Turing',
        lastName: null,
        profile: { metadata: { b: null, c: 3 } },
      });
      expect(response.status).toBe(200);
      expect(response.body).toMatchObject({
        id: alan.id,
        email: 'alan@example.org',
        firstName: 'Alan',
        lastName: null,
        displayName: 'Alan M. Turing',
        profile: { bio: 'b', metadata: { a: 1, c: 3 } },
        updatedAt: expect.stringMatching(isoDate),
      });
    });

    it('accepts application/merge-patch+json', async () => {
      const response = await api.call(
        'PATCH',
        `/admin/tenants/care/users/${users.alan?.id}`,
        { firstName: 'Alan Mathison' },
        { 'content-type': 'application/merge-patch+json' },
      );
      expect(response.status).toBe(200);
      expect(response.body).toMatchObject({ firstName: 'Alan Mathison', displayName: 'Alan M. Turing' });
    });

    it('a changed email is no longer verified unless the patch says so', async () => {
      const grace = users.grace as UserBody;
      await api.patch(`/admin/tenants/care/users/${grace.id}`, { emailVerified: true });
      const changed = await api.patch(`/admin/tenants/care/users/${grace.id}`, { email: 'Grace.Hopper@Example.com' });
      expect(changed.body).toMatchObject({ email: 'grace.hopper@example.com', emailVerified: false });
    });

    it('refuses bad input with 400, a taken email with 409 and an unknown user with 404, changing nothing', async () => {
      const alan = users.alan as UserBody;
      for (const body of [{ nickname: 'x' }, { email: 'not-an-email' }, { firstName: 42 }, { profile: 'x' }]) {
        const response = await expectNoWrites(gh.storage.db, () =>
          api.patch(`/admin/tenants/care/users/${alan.id}`, body),
        );
        expect(response.status, JSON.stringify(body)).toBe(400);
        expect(response.body).toMatchObject({ title: 'invalid_request', status: 400 });
      }
      const taken = await expectNoWrites(gh.storage.db, () =>
        api.patch(`/admin/tenants/care/users/${alan.id}`, { email: 'ADA.lovelace@example.com' }),
      );
      expect(taken.body).toEqual(problem('email_taken', 409, 'the email address is already in use'));
      const unknown = await expectNoWrites(gh.storage.db, () =>
        api.patch(`/admin/tenants/care/users/${missing}`, { firstName: 'x' }),
      );
      expect(unknown.status).toBe(404);
      expect(unknown.body).toMatchObject({ title: 'not_found' });
    });
  });

  describe('passwords', () => {
    it('a required reset makes a correct password answer password_reset_required, and a new password lifts it', async () => {
      const ada = users.ada as UserBody;
      const required = await api.post(`/admin/tenants/care/users/${ada.id}/require-password-reset`);
      expect(required.status).toBe(200);
      expect(required.body).toMatchObject({ passwordResetRequired: true });
      expect(await codeOf(gh.core.users.verifyCredentials('care', ada.email ?? '', 'analytical-1'))).toBe(
        'password_reset_required',
      );
      // A wrong password is still just wrong: the flag says nothing to someone without the password.
      expect(await codeOf(gh.core.users.verifyCredentials('care', ada.email ?? '', 'wrong-password'))).toBe(
        'invalid_grant',
      );
      const set = await api.post(`/admin/tenants/care/users/${ada.id}/password`, { password: 'difference-engine' });
      expect(set.status).toBe(200);
      expect(set.body).toMatchObject({ passwordResetRequired: false, hasPassword: true });
      expect(await gh.core.users.verifyCredentials('care', ada.email ?? '', 'difference-engine')).toMatchObject({
        id: ada.id,
      });
      expect(await codeOf(gh.core.users.verifyCredentials('care', ada.email ?? '', 'analytical-1'))).toBe(
        'invalid_grant',
      );
    });

    it('lifts a required reset with required: false', async () => {
      const ada = users.ada as UserBody;
      await api.post(`/admin/tenants/care/users/${ada.id}/require-password-reset`, { required: true });
      const lifted = await api.post(`/admin/tenants/care/users/${ada.id}/require-password-reset`, { required: false });
      expect(lifted.body).toMatchObject({ passwordResetRequired: false });
      expect(await gh.core.users.verifyCredentials('care', ada.email ?? '', 'difference-engine')).toMatchObject({
        id: ada.id,
      });
    });

    it('refuses a short password, a bad body and an unknown user, changing nothing', async () => {
      const ada = users.ada as UserBody;
      for (const body of [{ password: 'short' }, {}, { password: 'long-enough', extra: 1 }]) {
        const response = await expectNoWrites(gh.storage.db, () =>
          api.post(`/admin/tenants/care/users/${ada.id}/password`, body),
        );
        expect(response.status, JSON.stringify(body)).toBe(400);
      }
      const reset = await expectNoWrites(gh.storage.db, () =>
        api.post(`/admin/tenants/care/users/${ada.id}/require-password-reset`, { required: 'yes' }),
      );
      expect(reset.status).toBe(400);
      for (const path of ['password', 'require-password-reset']) {
        const response = await expectNoWrites(gh.storage.db, () =>
          api.post(`/admin/tenants/care/users/${missing}/${path}`, { password: 'long-enough-1' }),
        );
        expect(response.status, path).toBe(path === 'password' ? 404 : 400);
      }
      const unknownReset = await expectNoWrites(gh.storage.db, () =>
        api.post(`/admin/tenants/care/users/${missing}/require-password-reset`, {}),
      );
      expect(unknownReset.status).toBe(404);
    });
  });

  describe('second factors', () => {
    it('removes every factor of the user and no one else’s', async () => {
      const [ada, grace] = [users.ada as UserBody, users.grace as UserBody];
      const factor = (id: string, userId: string, kind: 'totp' | 'recovery_code') => ({
        id,
        tenant_id: 'care',
        user_id: userId,
        kind,
        secret_enc: kind === 'totp' ? gh.secretBox.seal('JBSWY3DPEHPK3PXP') : null,
        code_digest: kind === 'recovery_code' ? sha256(id) : null,
        confirmed_at: new Date(),
      });
      await gh.storage.db
        .insertInto('mfa_factors')
        .values([
          factor('10000000-0000-4000-8000-000000000001', ada.id, 'totp'),
          factor('10000000-0000-4000-8000-000000000002', ada.id, 'recovery_code'),
          factor('10000000-0000-4000-8000-000000000003', ada.id, 'recovery_code'),
          factor('10000000-0000-4000-8000-000000000004', grace.id, 'totp'),
        ])
        .execute();
      const response = await api.post(`/admin/tenants/care/users/${ada.id}/reset-mfa`);
      expect(response).toMatchObject({ status: 200, body: { removed: 3 } });
      const left = await gh.storage.db
        .selectFrom('mfa_factors')
        .select('user_id')
        .where('tenant_id', '=', 'care')
        .execute();
      expect(left).toEqual([{ user_id: grace.id }]);
      const unknown = await expectNoWrites(gh.storage.db, () =>
        api.post(`/admin/tenants/care/users/${missing}/reset-mfa`),
      );
      expect(unknown.status).toBe(404);
    });
  });

  describe('sessions', () => {
    const tenant = async () => await gh.core.tenants.require('care');

    it('lists a user’s sessions with the browser read from the user agent, and ends one with its token families', async () => {
      const grace = users.grace as UserBody;
      const firefox = await gh.core.sessions.start({
        tenant: await tenant(),
        userId: grace.id,
        amr: ['pwd'],
        authTime: new Date(),
        userAgent: 'Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:128.0) Gecko/20100101 Firefox/128.0',
        ip: '192.0.2.7',
      });
      const iphone = await gh.core.sessions.start({
        tenant: await tenant(),
        userId: grace.id,
        amr: ['pwd'],
        authTime: new Date(),
        userAgent:
          'Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1',
        ip: '198.51.100.9',
      });
      const client = await gh.core.clients.create('care', {
        clientId: 'care-web',
        redirectUris: ['https://app.example/cb'],
      });
      const family = (id: string, sid: string) => ({
        id,
        tenant_id: 'care',
        client_id: client.client.clientId,
        user_id: grace.id,
        scope: 'openid',
        auth_time: new Date(),
        amr: JSON.stringify(['pwd']),
        sid,
        identity_id: null,
        expires_at: new Date(Date.now() + 3600_000),
      });
      await gh.storage.db
        .insertInto('token_families')
        .values([family('fam-firefox', firefox.session.sid), family('fam-iphone', iphone.session.sid)])
        .execute();

      const listed = await api.get(`/admin/tenants/care/users/${grace.id}/sessions`);
      expect(listed.status).toBe(200);
      const items = (listed.body as { items: Record<string, unknown>[] }).items;
      expect(items).toHaveLength(2);
      expect(items).toContainEqual(
        expect.objectContaining({
          sid: firefox.session.sid,
          browser: 'Firefox',
          os: 'Windows',
          mobile: false,
          ip: '192.0.2.7',
          createdAt: expect.stringMatching(isoDate),
          lastSeenAt: expect.stringMatching(isoDate),
        }),
      );
      expect(items).toContainEqual(
        expect.objectContaining({ sid: iphone.session.sid, browser: 'Safari', os: 'iOS', mobile: true }),
      );

      const ended = await api.delete(`/admin/tenants/care/users/${grace.id}/sessions/${firefox.session.sid}`);
      expect(ended.status).toBe(204);
      expect(await gh.core.sessions.find(await tenant(), firefox.cookie)).toBeUndefined();
      expect(await gh.core.sessions.find(await tenant(), iphone.cookie)).toMatchObject({ sid: iphone.session.sid });
      const families = await gh.storage.db
        .selectFrom('token_families')
        .select(['id', 'revoked_at'])
        .where('user_id', '=', grace.id)
        .orderBy('id')
        .execute();
      expect(families).toEqual([
        { id: 'fam-firefox', revoked_at: expect.any(Date) },
        { id: 'fam-iphone', revoked_at: null },
      ]);

      const again = await expectNoWrites(gh.storage.db, () =>
        api.delete(`/admin/tenants/care/users/${grace.id}/sessions/${firefox.session.sid}`),
      );
      expect(again.status).toBe(404);
      // Another user's session is not this user's to end.
      const other = await expectNoWrites(gh.storage.db, () =>
        api.delete(`/admin/tenants/care/users/${users.ada?.id}/sessions/${iphone.session.sid}`),
      );
      expect(other.status).toBe(404);

      const all = await api.delete(`/admin/tenants/care/users/${grace.id}/sessions`);
      expect(all).toMatchObject({ status: 200, body: { ended: 1 } });
      expect(await gh.core.sessions.find(await tenant(), iphone.cookie)).toBeUndefined();
      const iphoneFamily = await gh.storage.db
        .selectFrom('token_families')
        .select('revoked_at')
        .where('id', '=', 'fam-iphone')
        .executeTakeFirstOrThrow();
      expect(iphoneFamily.revoked_at).toEqual(expect.any(Date));
    });

    it('answers 404 for an unknown user and 400 for a malformed id', async () => {
      expect((await api.get(`/admin/tenants/care/users/${missing}/sessions`)).status).toBe(404);
      expect((await api.delete(`/admin/tenants/care/users/${missing}/sessions`)).status).toBe(404);
      expect((await api.get('/admin/tenants/care/users/not-a-uuid/sessions')).status).toBe(400);
    });
  });

  describe('deleting a user', () => {
    it('deletes the user and everything theirs in one go; the audit keeps only a tombstone', async () => {
      const target = (
        await api.post('/admin/tenants/care/users', { email: 'leaving@example.com', password: 'goodbye-123' })
      ).body as UserBody;
      await gh.storage.db
        .insertInto('identities')
        .values({
          id: '20000000-0000-4000-8000-000000000001',
          tenant_id: 'care',
          user_id: target.id,
          idp: 'google',
          issuer: 'https://accounts.google.com',
          subject: 'leaving-1',
          email: 'leaving@example.com',
          email_verified: true,
          raw: JSON.stringify({}),
        })
        .execute();
      const started = await gh.core.sessions.start({
        tenant: await gh.core.tenants.require('care'),
        userId: target.id,
        amr: ['pwd'],
        authTime: new Date(),
      });
      const response = await api.delete(`/admin/tenants/care/users/${target.id}`);
      expect(response.status).toBe(204);
      for (const table of ['users', 'identities', 'sessions', 'token_families', 'mfa_factors'] as const) {
        const column = table === 'users' ? 'id' : 'user_id';
        const rows = await gh.storage.db.selectFrom(table).select(column).where(column, '=', target.id).execute();
        expect(rows, table).toEqual([]);
      }
      expect(await gh.core.sessions.find(await gh.core.tenants.require('care'), started.cookie)).toBeUndefined();
      await gh.core.audit.flush();
      const events = await gh.storage.db
        .selectFrom('audit_events')
        .selectAll()
        .where('type', '=', 'user.deleted')
        .execute();
      expect(events).toHaveLength(1);
      expect(events[0]).toMatchObject({ user_id: target.id, tenant_id: 'care', outcome: 'success' });
      expect(JSON.stringify(events[0])).not.toContain('leaving@example.com');

      const again = await expectNoWrites(gh.storage.db, () => api.delete(`/admin/tenants/care/users/${target.id}`));
      expect(again.status).toBe(404);
      expect((await api.delete('/admin/tenants/care/users/not-a-uuid')).status).toBe(400);
    });
  });
});
