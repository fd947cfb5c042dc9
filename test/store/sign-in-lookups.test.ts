import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signInReturningUsers } from '../../src/store/batched/returning-sign-ins.js';
import type { FamilyStart } from '../../src/store/combined/family-starts.js';
import { migrateToLatest } from '../../src/store/migrate.js';
import {
  expectNoWrites,
  insertTenantWithClients,
  openTestStorage,
  storageKinds,
  type TestStorage,
} from '../harness/storage.js';

describe.each(storageKinds)('signInReturningUsers on %s', (kind) => {
  let storage: TestStorage;
  const users: Record<string, string> = {};

  /** A tenant with a client and users, each linked to a Google identity `g-{name}`. */
  const seed = async (tenantId: string, names: Record<string, 'active' | 'disabled'>) => {
    const db = storage.db;
    await insertTenantWithClients(db, tenantId, ['app']);
    for (const [name, status] of Object.entries(names)) {
      const id = randomUUID();
      users[`${tenantId}/${name}`] = id;
      await db
        .insertInto('users')
        .values({ id, tenant_id: tenantId, email: `${name}@example.com`, email_verified: true, profile: '{}', status })
        .execute();
      await db
        .insertInto('identities')
        .values({
          id: randomUUID(),
          tenant_id: tenantId,
          user_id: id,
          idp: 'google',
          issuer: 'https://accounts.google.com',
          subject: `g-${name}`,
          email: `${name}@example.com`,
          email_verified: true,
          raw: '{}',
        })
        .execute();
    }
  };

  const start = (clientId: string): FamilyStart => {
    const now = new Date(Math.floor(Date.now() / 1000) * 1000);
    return {
      family: {
        id: `fam-${randomUUID()}`,
        client_id: clientId,
        scope: 'openid',
        auth_time: now,
        amr: ['external', 'google'],
        sid: null,
        expires_at: new Date(now.getTime() + 86_400_000),
      },
      token: {
        token_digest: `digest-${randomUUID()}`,
        access_jti: `jti-${randomUUID()}`,
        access_expires_at: new Date(now.getTime() + 600_000),
        expires_at: new Date(now.getTime() + 86_400_000),
      },
      now,
    };
  };

  const familiesOf = (userId: string) =>
    storage.db
      .selectFrom('token_families')
      .innerJoin('refresh_tokens', 'refresh_tokens.family_id', 'token_families.id')
      .select(['token_families.id', 'token_families.client_id', 'refresh_tokens.token_digest'])
      .where('token_families.user_id', '=', userId)
      .execute();

  beforeAll(async () => {
    storage = await openTestStorage(kind);
    await migrateToLatest(storage.db);
    await seed('one', { ada: 'active', bob: 'active', cy: 'disabled' });
    await seed('two', { ada: 'active' });
  });
  afterAll(async () => storage?.close());

  it('answers each lookup of a batch in order, and starts a family only for the active users that asked', async () => {
    const ada = start('one-app');
    const cy = start('one-app');
    const elsewhere = start('two-app');
    const answers = await signInReturningUsers(storage.db, [
      { tenantId: 'one', idp: 'google', subject: 'g-ada', start: ada },
      { tenantId: 'one', idp: 'google', subject: 'g-nobody', start: start('one-app') },
      { tenantId: 'one', idp: 'google', subject: 'g-bob' },
      { tenantId: 'one', idp: 'google', subject: 'g-cy', start: cy },
      { tenantId: 'two', idp: 'google', subject: 'g-ada', start: elsewhere },
      { tenantId: 'two', idp: 'google', subject: 'g-bob' },
    ]);
    expect(answers.map((a) => a && { user: a.user.id, status: a.user.status, started: a.familyStarted })).toEqual([
      { user: users['one/ada'], status: 'active', started: true },
      undefined,
      { user: users['one/bob'], status: 'active', started: false },
      { user: users['one/cy'], status: 'disabled', started: false },
      { user: users['two/ada'], status: 'active', started: true },
      undefined,
    ]);
    expect(answers[0]?.identity).toMatchObject({
      tenant_id: 'one',
      user_id: users['one/ada'],
      idp: 'google',
      subject: 'g-ada',
      issuer: 'https://accounts.google.com',
      email: 'ada@example.com',
      email_verified: true,
    });
    expect(answers[0]?.user).toMatchObject({ tenant_id: 'one', email: 'ada@example.com' });
    expect(await familiesOf(users['one/ada'] as string)).toEqual([
      { id: ada.family.id, client_id: 'one-app', token_digest: ada.token.token_digest },
    ]);
    expect(await familiesOf(users['two/ada'] as string)).toEqual([
      { id: elsewhere.family.id, client_id: 'two-app', token_digest: elsewhere.token.token_digest },
    ]);
    expect(await familiesOf(users['one/bob'] as string)).toEqual([]);
    expect(await familiesOf(users['one/cy'] as string)).toEqual([]);
  });

  it('writes nothing for any lookup of a batch when one of its families cannot be written', async () => {
    await expectNoWrites(storage.db, async () => {
      await expect(
        signInReturningUsers(storage.db, [
          { tenantId: 'one', idp: 'google', subject: 'g-bob', start: start('one-app') },
          { tenantId: 'two', idp: 'google', subject: 'g-ada', start: start('no-such-client') },
        ]),
      ).rejects.toMatchObject({ code: '23503' });
    });
  });
});
