import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Rotation, rotateRefreshTokens } from '../../src/store/batched/refresh-rotations.js';
import { migrateToLatest } from '../../src/store/migrate.js';
import type { NewRefreshToken } from '../../src/store/repositories/refresh-tokens.js';
import {
  expectNoWrites,
  insertTenantWithClients,
  openTestStorage,
  storageKinds,
  type TestStorage,
} from '../harness/storage.js';

describe.each(storageKinds)('rotateRefreshTokens on %s', (kind) => {
  let storage: TestStorage;
  const hour = 3_600_000;
  const now = new Date(Math.floor(Date.now() / 1000) * 1000);

  /** A user of `tenantId` with a family of `tenantId-app` holding one refresh token; returns the token's digest. */
  const family = async (
    tenantId: string,
    o: {
      status?: 'active' | 'disabled';
      revoked?: boolean;
      consumed?: boolean;
      expired?: boolean;
      /** The family's absolute end, from now (default a week). */
      familyEndsIn?: number;
    } = {},
  ) => {
    const userId = randomUUID();
    await storage.db
      .insertInto('users')
      .values({
        id: userId,
        tenant_id: tenantId,
        email: `${userId}@example.com`,
        email_verified: true,
        profile: '{}',
        status: o.status ?? 'active',
      })
      .execute();
    const familyId = `fam-${randomUUID()}`;
    await storage.db
      .insertInto('token_families')
      .values({
        id: familyId,
        tenant_id: tenantId,
        client_id: `${tenantId}-app`,
        user_id: userId,
        scope: 'openid email',
        auth_time: now,
        amr: JSON.stringify(['external', 'google']),
        sid: 'sid-1',
        expires_at: new Date(now.getTime() + (o.familyEndsIn ?? 7 * 24 * hour)),
        revoked_at: o.revoked === true ? now : null,
      })
      .execute();
    const digest = `digest-${randomUUID()}`;
    await storage.db
      .insertInto('refresh_tokens')
      .values({
        token_digest: digest,
        family_id: familyId,
        tenant_id: tenantId,
        access_jti: `jti-${randomUUID()}`,
        access_expires_at: new Date(now.getTime() + hour),
        consumed_at: o.consumed === true ? now : null,
        expires_at: new Date(now.getTime() + (o.expired === true ? -hour : 24 * hour)),
      })
      .execute();
    return { userId, familyId, digest };
  };

  const next = (): NewRefreshToken => ({
    token_digest: `digest-${randomUUID()}`,
    access_jti: `jti-${randomUUID()}`,
    access_expires_at: new Date(now.getTime() + hour),
    expires_at: new Date(now.getTime() + 24 * hour),
  });
  const rotation = (tokenDigest: string, o: Partial<Rotation> = {}): Rotation => ({
    tokenDigest,
    tenantId: 'one',
    clientId: 'one-app',
    scope: [],
    now,
    next: next(),
    ...o,
  });
  const tokensOf = (familyId: string) =>
    storage.db
      .selectFrom('refresh_tokens')
      .select(['token_digest', 'consumed_at'])
      .where('family_id', '=', familyId)
      // The used one first (nulls sort last).
      .orderBy('consumed_at')
      .execute();

  beforeAll(async () => {
    storage = await openTestStorage(kind);
    await migrateToLatest(storage.db);
    await insertTenantWithClients(storage.db, 'one', ['app', 'other']);
    await insertTenantWithClients(storage.db, 'two', ['app', 'other']);
  });
  afterAll(async () => storage?.close());

  it('answers each rotation of a batch in order, and stores the next token only for the ones it consumed', async () => {
    const ada = await family('one');
    const bob = await family('one');
    const narrowed = await family('one');
    const off = await family('one', { status: 'disabled' });
    const refused = {
      unknown: rotation(`digest-${randomUUID()}`),
      otherTenant: rotation((await family('two')).digest),
      otherClient: rotation((await family('one')).digest, { clientId: 'one-other' }),
      wider: rotation((await family('one')).digest, { scope: ['openid', 'admin'] }),
      consumed: rotation((await family('one', { consumed: true })).digest),
      expired: rotation((await family('one', { expired: true })).digest),
      revoked: rotation((await family('one', { revoked: true })).digest),
      // The token itself is fresh; its family is past its absolute lifetime.
      familyEnded: rotation((await family('one', { familyEndsIn: 0 })).digest),
    };
    const kept = [
      { ...ada, asked: rotation(ada.digest) },
      { ...bob, asked: rotation(bob.digest) },
      { ...narrowed, asked: rotation(narrowed.digest, { scope: ['email'] }) },
    ];
    const [adaAsked, bobAsked, narrowedAsked] = kept.map((k) => k.asked) as [Rotation, Rotation, Rotation];
    const batch = [adaAsked, ...Object.values(refused), bobAsked, narrowedAsked, rotation(off.digest)];
    const answers = await rotateRefreshTokens(storage.db, batch);

    expect(answers.map((a) => a && { family: a.family.id, user: a.user?.id, status: a.user?.status })).toEqual([
      { family: ada.familyId, user: ada.userId, status: 'active' },
      ...Object.values(refused).map(() => undefined),
      { family: bob.familyId, user: bob.userId, status: 'active' },
      { family: narrowed.familyId, user: narrowed.userId, status: 'active' },
      { family: off.familyId, user: off.userId, status: 'disabled' },
    ]);
    expect(answers[0]?.family).toEqual({
      id: ada.familyId,
      user_id: ada.userId,
      scope: 'openid email',
      auth_time: now,
      amr: ['external', 'google'],
      sid: 'sid-1',
    });
    expect(answers[0]?.user).toMatchObject({ tenant_id: 'one', email: `${ada.userId}@example.com` });
    for (const { digest, familyId, asked } of kept) {
      expect(await tokensOf(familyId)).toEqual([
        { token_digest: digest, consumed_at: now },
        { token_digest: asked.next.token_digest, consumed_at: null },
      ]);
    }
    // The disabled user's token is used up, and no next token is stored for them.
    expect(await tokensOf(off.familyId)).toEqual([{ token_digest: off.digest, consumed_at: now }]);
    for (const refusedRotation of Object.values(refused)) {
      const stored = await storage.db
        .selectFrom('refresh_tokens')
        .select('token_digest')
        .where('token_digest', '=', refusedRotation.next.token_digest)
        .execute();
      expect(stored).toEqual([]);
    }
  });

  it("stores the next token to expire no later than its family's absolute end", async () => {
    const ada = await family('one', { familyEndsIn: 2 * hour });
    const [answer] = await rotateRefreshTokens(storage.db, [rotation(ada.digest)]);
    expect(answer?.family.id).toBe(ada.familyId);
    const stored = await storage.db
      .selectFrom('refresh_tokens')
      .select('expires_at')
      .where('family_id', '=', ada.familyId)
      .where('consumed_at', 'is', null)
      .executeTakeFirstOrThrow();
    expect(stored.expires_at).toEqual(new Date(now.getTime() + 2 * hour));
  });

  it('lets only one of two uses of one token in a batch win', async () => {
    const ada = await family('one');
    const first = rotation(ada.digest);
    const second = rotation(ada.digest);
    const answers = await rotateRefreshTokens(storage.db, [first, second]);
    expect(answers.filter((a) => a !== undefined).map((a) => a?.family.id)).toEqual([ada.familyId]);
    const winner = answers[0] === undefined ? second : first;
    expect(await tokensOf(ada.familyId)).toEqual([
      { token_digest: ada.digest, consumed_at: now },
      { token_digest: winner.next.token_digest, consumed_at: null },
    ]);
  });

  it('uses no token of a batch when one of its next tokens cannot be stored', async () => {
    const ada = await family('one');
    const bob = await family('one');
    // The next token's digest collides with a stored one: the insert fails, and with it the whole batch.
    const colliding = rotation(bob.digest, { next: { ...next(), token_digest: ada.digest } });
    await expectNoWrites(storage.db, async () => {
      await expect(rotateRefreshTokens(storage.db, [rotation(ada.digest), colliding])).rejects.toMatchObject({
        code: '23505',
      });
    });
    expect(await tokensOf(ada.familyId)).toEqual([{ token_digest: ada.digest, consumed_at: null }]);
    expect(await tokensOf(bob.familyId)).toEqual([{ token_digest: bob.digest, consumed_at: null }]);
  });
});
