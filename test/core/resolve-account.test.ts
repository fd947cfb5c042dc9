import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ExternalProfile } from '../../src/connectors/connector.js';
import type { Core } from '../../src/core/index.js';
import type { Tenant } from '../../src/core/tenants/tenant.js';
import { createTestClock } from '../../src/lib/clock.js';
import { linkIntent } from '../harness/accounts.js';
import { type RunningGatehouse, startGatehouse } from '../harness/gatehouse.js';
import { expectNoWrites } from '../harness/storage.js';

let gh: RunningGatehouse;
let core: Core;
let tenant: Tenant;
let autoTenant: Tenant;

const profile = (overrides: Partial<ExternalProfile> = {}): ExternalProfile => ({
  idp: 'google',
  kind: 'google',
  issuer: 'https://accounts.google.com',
  subject: `sub-${Math.random().toString(36).slice(2)}`,
  email: `u${Math.random().toString(36).slice(2)}@example.com`,
  emailVerified: true,
  givenName: 'Ada',
  familyName: 'Lovelace',
  displayName: 'Ada Lovelace',
  raw: { sub: 'x' },
  ...overrides,
});

beforeAll(async () => {
  gh = await startGatehouse();
  core = gh.core;
  tenant = await core.tenants.create({ id: 'resolve', policies: { linking: 'merge_needed', mfa: 'off' } });
  autoTenant = await core.tenants.create({
    id: 'resolve-auto',
    policies: { linking: 'auto_link_verified', mfa: 'off' },
  });
});
afterAll(async () => gh?.close());

/** A new identity signed up in `tenant`: the created user and identity. */
const signUp = async (p: ExternalProfile) => {
  const { resolution } = await core.accounts.resolve({
    tenant,
    profile: p,
    intent: { kind: 'signup' },
    connectionTrusted: false,
  });
  if (resolution.kind !== 'created') throw new Error(`expected created, got ${resolution.kind}`);
  return resolution;
};

describe('accounts.resolve', () => {
  it('creates the user and links the identity when a new identity signs up with an unknown email', async () => {
    const p = profile({ email: 'New.Person@Example.COM' });
    const { resolution } = await core.accounts.resolve({
      tenant,
      profile: p,
      intent: { kind: 'signup' },
      connectionTrusted: true,
    });
    expect(resolution.kind).toBe('created');
    if (resolution.kind !== 'created') return;
    expect(resolution.user).toMatchObject({
      email: 'new.person@example.com',
      emailVerified: true,
      firstName: 'Ada',
      lastName: 'Lovelace',
    });
    expect(resolution.identity).toMatchObject({ idp: 'google', subject: p.subject, userId: resolution.user.id });
  });

  it('signs in the linked user when the identity is already linked, whatever the intent', async () => {
    const p = profile();
    const created = await signUp(p);
    const again = await core.accounts.resolve({
      tenant,
      profile: p,
      intent: { kind: 'login' },
      connectionTrusted: false,
    });
    expect(again.resolution.kind).toBe('logged_in');
    expect(again.resolution.kind === 'logged_in' && again.resolution.user.id).toBe(created.user.id);
  });

  it('answers new_user_required and writes nothing when a login intent meets an unknown identity and email', async () => {
    const { resolution } = await expectNoWrites(gh.storage.db, () =>
      core.accounts.resolve({ tenant, profile: profile(), intent: { kind: 'login' }, connectionTrusted: true }),
    );
    expect(resolution.kind).toBe('new_user_required');
  });

  it('answers merge_needed and writes nothing when the email belongs to another user under merge_needed', async () => {
    await core.users.create(tenant.id, {
      email: 'taken@example.com',
      password: 'correct horse battery',
      emailVerified: true,
    });
    for (const intent of [{ kind: 'login' }, { kind: 'signup' }] as const) {
      const { resolution } = await expectNoWrites(gh.storage.db, () =>
        core.accounts.resolve({
          tenant,
          profile: profile({ email: 'TAKEN@example.com' }),
          intent,
          connectionTrusted: true,
        }),
      );
      expect(resolution).toEqual({ kind: 'merge_needed', email: 'taken@example.com' });
    }
  });

  it('links automatically under auto_link_verified only when both emails are verified and the connection is trusted', async () => {
    const owner = await core.users.create(autoTenant.id, {
      email: 'verified@example.com',
      emailVerified: true,
      password: 'a long password',
    });
    const unverifiedIdp = await core.accounts.resolve({
      tenant: autoTenant,
      profile: profile({ email: 'verified@example.com', emailVerified: false }),
      intent: { kind: 'login' },
      connectionTrusted: true,
    });
    // An address nobody proved answers as an unknown one would (no enumeration).
    expect(unverifiedIdp.resolution.kind).toBe('new_user_required');
    const untrusted = await core.accounts.resolve({
      tenant: autoTenant,
      profile: profile({ email: 'verified@example.com' }),
      intent: { kind: 'login' },
      connectionTrusted: false,
    });
    expect(untrusted.resolution.kind).toBe('new_user_required');
    const linked = await core.accounts.resolve({
      tenant: autoTenant,
      profile: profile({ email: 'verified@example.com' }),
      intent: { kind: 'login' },
      connectionTrusted: true,
    });
    expect(linked.resolution).toMatchObject({ kind: 'linked', automatic: true, user: { id: owner.id } });
  });

  it('never auto-links to an account whose own email is unverified (pre-registration takeover)', async () => {
    await core.users.create(autoTenant.id, {
      email: 'squatter@example.com',
      emailVerified: false,
      password: 'a long password',
    });
    const { resolution } = await core.accounts.resolve({
      tenant: autoTenant,
      profile: profile({ email: 'squatter@example.com' }),
      intent: { kind: 'login' },
      connectionTrusted: true,
    });
    expect(resolution).toEqual({ kind: 'merge_needed', email: 'squatter@example.com' });
  });

  it('answers email_missing when the IdP gave no email and none was supplied', async () => {
    const { email: _omit, ...noEmail } = profile();
    for (const intent of [{ kind: 'login' }, { kind: 'signup' }] as const) {
      const { resolution } = await expectNoWrites(gh.storage.db, () =>
        core.accounts.resolve({ tenant, profile: noEmail, intent, connectionTrusted: true }),
      );
      expect(resolution).toEqual({ kind: 'email_missing', idp: 'google' });
    }
  });

  it('creates the user with a supplied email, unverified, when the IdP gave none', async () => {
    const { email: _omit, ...noEmail } = profile();
    const { resolution } = await core.accounts.resolve({
      tenant,
      profile: noEmail,
      intent: { kind: 'signup', profile: { email: 'Supplied@Example.com', firstName: 'Grace' } },
      connectionTrusted: true,
    });
    expect(resolution).toMatchObject({
      kind: 'created',
      user: { email: 'supplied@example.com', emailVerified: false, firstName: 'Grace' },
    });
  });

  it('links to the proven user, and refuses an identity already linked to someone else', async () => {
    const alice = await core.users.create(tenant.id, { email: 'alice@example.com', password: 'alice password 1' });
    const bob = await core.users.create(tenant.id, { email: 'bob@example.com', password: 'bob password 12' });
    const p = profile({ email: 'alice@example.com' });
    const linked = await core.accounts.resolve({
      tenant,
      profile: p,
      intent: await linkIntent(core, tenant, alice.id),
      connectionTrusted: false,
    });
    expect(linked.resolution).toMatchObject({ kind: 'linked', automatic: false, user: { id: alice.id } });
    const toBob = await linkIntent(core, tenant, bob.id);
    const elsewhere = await expectNoWrites(gh.storage.db, () =>
      core.accounts.resolve({ tenant, profile: p, intent: toBob, connectionTrusted: false }),
    );
    expect(elsewhere.resolution).toEqual({ kind: 'already_linked_elsewhere' });
    const sameUser = await core.accounts.resolve({
      tenant,
      profile: p,
      intent: await linkIntent(core, tenant, alice.id),
      connectionTrusted: false,
    });
    expect(sameUser.resolution.kind).toBe('logged_in');
  });

  it("refuses to link an identity whose email is another user's address to the prover", async () => {
    const carol = await core.users.create(tenant.id, { email: 'carol@example.com', password: 'carol password' });
    await core.users.create(tenant.id, { email: 'dave@example.com', password: 'dave password 1' });
    const toCarol = await linkIntent(core, tenant, carol.id);
    const { resolution } = await expectNoWrites(gh.storage.db, () =>
      core.accounts.resolve({
        tenant,
        profile: profile({ email: 'dave@example.com' }),
        intent: toCarol,
        connectionTrusted: true,
      }),
    );
    expect(resolution).toEqual({ kind: 'merge_needed', email: 'dave@example.com' });
  });

  it('refuses a disabled user', async () => {
    const p = profile();
    const created = await signUp(p);
    await core.users.setStatus(tenant.id, created.user.id, 'disabled');
    await expectNoWrites(gh.storage.db, () =>
      expect(
        core.accounts.resolve({ tenant, profile: p, intent: { kind: 'login' }, connectionTrusted: false }),
      ).rejects.toMatchObject({
        code: 'user_disabled',
      }),
    );
  });

  it('resolves returning identities that arrive together each to its own user, and refuses only the disabled one', async () => {
    const profiles = Array.from({ length: 8 }, () => profile());
    const created: Awaited<ReturnType<typeof signUp>>[] = [];
    for (const p of profiles) created.push(await signUp(p));
    const off = profile();
    await core.users.setStatus(tenant.id, (await signUp(off)).user.id, 'disabled');
    const login = (p: ExternalProfile) =>
      core.accounts.resolve({ tenant, profile: p, intent: { kind: 'login' }, connectionTrusted: false });

    const [refused, unknown, ...known] = await Promise.allSettled([
      login(off),
      login(profile()),
      ...profiles.map(login),
    ]);
    expect(refused).toMatchObject({ status: 'rejected', reason: { code: 'user_disabled' } });
    expect(unknown).toMatchObject({ status: 'fulfilled', value: { resolution: { kind: 'new_user_required' } } });
    known.forEach((outcome, i) => {
      expect(outcome).toMatchObject({
        status: 'fulfilled',
        value: {
          resolution: {
            kind: 'logged_in',
            user: { id: created[i]?.user.id },
            identity: { id: created[i]?.identity.id, subject: profiles[i]?.subject },
          },
        },
      });
    });
  });

  it("moves a known identity's last_login_at only when the work that follows its sign-in succeeds", async () => {
    const p = profile();
    const created = await signUp(p);
    const lastLogin = async () =>
      (
        await gh.storage.db
          .selectFrom('identities')
          .select('last_login_at')
          .where('id', '=', created.identity.id)
          .executeTakeFirstOrThrow()
      ).last_login_at;
    expect(await lastLogin()).toBeNull();
    // Work passed to resolve gets the tenant's signing keys ready first (created on first use).
    await core.keys.warm(tenant.id);

    await expectNoWrites(gh.storage.db, () =>
      expect(
        core.accounts.resolve({ tenant, profile: p, intent: { kind: 'login' }, connectionTrusted: false }, async () => {
          throw new Error('issuing failed');
        }),
      ).rejects.toThrow('issuing failed'),
    );
    await core.accounts.flushSignInTimes();
    expect(await lastLogin()).toBeNull();

    const signedIn = await core.accounts.resolve(
      { tenant, profile: p, intent: { kind: 'login' }, connectionTrusted: false },
      async (_db, resolution) => resolution.user.id,
    );
    expect(signedIn.resolution.kind).toBe('logged_in');
    expect(signedIn.result).toBe(created.user.id);
    // Returning users' sign-in times are written in batches.
    await core.accounts.flushSignInTimes();
    const moved = await lastLogin();
    expect(moved).toBeInstanceOf(Date);
    expect(signedIn.resolution.kind === 'logged_in' && signedIn.resolution.identity.lastLoginAt).toEqual(moved);
  });

  it("stamps a returning identity's last_login_at with the core's clock, with or without a transaction", async () => {
    const clock = createTestClock(new Date('2031-05-06T07:08:09.123Z'));
    const timed = await startGatehouse({ clock });
    try {
      const shop = await timed.core.tenants.create({
        id: 'resolve-clock',
        policies: { linking: 'merge_needed', mfa: 'off' },
      });
      const p = profile();
      const input = { tenant: shop, profile: p, intent: { kind: 'login' as const }, connectionTrusted: false };
      await timed.core.accounts.resolve({ ...input, intent: { kind: 'signup' } });
      const lastLogin = async () =>
        (
          await timed.storage.db
            .selectFrom('identities')
            .select('last_login_at')
            .where('subject', '=', p.subject)
            .executeTakeFirstOrThrow()
        ).last_login_at;

      const known = await timed.core.accounts.resolve(input);
      await timed.core.accounts.flushSignInTimes();
      expect(known.resolution).toMatchObject({ kind: 'logged_in', identity: { lastLoginAt: clock.now() } });
      expect(await lastLogin()).toEqual(clock.now());

      clock.advance(60_000);
      const inTransaction = await timed.storage.db
        .transaction()
        .execute((trx) => timed.core.accounts.resolve(input, undefined, trx));
      expect(inTransaction.resolution).toMatchObject({ kind: 'logged_in', identity: { lastLoginAt: clock.now() } });
      expect(await lastLogin()).toEqual(clock.now());
    } finally {
      await timed.close();
    }
  });

  it('creates exactly one user and one identity when 50 first logins of one identity race', async () => {
    const p = profile();
    const results = await Promise.allSettled(
      Array.from({ length: 50 }, () =>
        core.accounts.resolve({ tenant, profile: p, intent: { kind: 'signup' }, connectionTrusted: false }),
      ),
    );
    // Every one of them signs in: one creates the account, the 49 others find it (none is refused a conflict).
    const outcomes = results.map((r) =>
      r.status === 'fulfilled' ? r.value.resolution.kind : `refused: ${String((r.reason as Error).message)}`,
    );
    expect(outcomes.filter((kind) => kind === 'created')).toHaveLength(1);
    expect(outcomes.filter((kind) => kind === 'logged_in')).toHaveLength(49);
    const userIds = new Set<string>();
    for (const r of results) {
      if (
        r.status === 'fulfilled' &&
        (r.value.resolution.kind === 'created' || r.value.resolution.kind === 'logged_in')
      )
        userIds.add(r.value.resolution.user.id);
    }
    expect(userIds.size).toBe(1);
    const identities = await gh.storage.db
      .selectFrom('identities')
      .selectAll()
      .where('subject', '=', p.subject)
      .execute();
    expect(identities).toHaveLength(1);
    const users = await gh.storage.db
      .selectFrom('users')
      .selectAll()
      .where('email', '=', p.email?.toLowerCase() ?? '')
      .execute();
    expect(users).toHaveLength(1);
  });

  it('leaves no user behind when the work after creating the user fails', async () => {
    const p = profile({ email: 'rollback@example.com' });
    // A real database fault: a trigger that rejects this identity's insert, after the user row was written.
    await sql`CREATE FUNCTION reject_identity() RETURNS trigger AS $$ BEGIN RAISE EXCEPTION 'injected fault'; END $$ LANGUAGE plpgsql`.execute(
      gh.storage.db,
    );
    await sql`CREATE TRIGGER reject_identity BEFORE INSERT ON identities FOR EACH ROW WHEN (NEW.subject = ${sql.lit(p.subject)}) EXECUTE FUNCTION reject_identity()`.execute(
      gh.storage.db,
    );
    await expect(
      expectNoWrites(gh.storage.db, () =>
        core.accounts.resolve({ tenant, profile: p, intent: { kind: 'signup' }, connectionTrusted: false }),
      ),
    ).rejects.toThrow(/injected fault/);
    expect(await core.users.findByEmail(tenant.id, 'rollback@example.com')).toBeUndefined();
    await sql`DROP TRIGGER reject_identity ON identities`.execute(gh.storage.db);

    // And when the caller's own work (issuing tokens) fails inside the transaction.
    const p2 = profile({ email: 'rollback2@example.com' });
    await expect(
      core.accounts.resolve({ tenant, profile: p2, intent: { kind: 'signup' }, connectionTrusted: false }, async () => {
        throw new Error('token issuance failed');
      }),
    ).rejects.toThrow('token issuance failed');
    expect(await core.users.findByEmail(tenant.id, 'rollback2@example.com')).toBeUndefined();
  });
});

describe('accounts.unlink', () => {
  it("refuses to remove a user's last way to sign in, and removes a link when another remains", async () => {
    const p = profile();
    const created = await signUp(p);
    const user = created.user;
    await expect(core.accounts.unlink(tenant.id, user.id, 'google', 'admin')).rejects.toMatchObject({
      code: 'last_login_method',
    });
    await core.accounts.resolve({
      tenant,
      profile: profile({ idp: 'github', kind: 'github', issuer: 'https://github.com', email: user.email ?? '' }),
      intent: await linkIntent(core, tenant, user.id),
      connectionTrusted: false,
    });
    await core.accounts.unlink(tenant.id, user.id, 'google', 'admin');
    expect((await core.users.identities(user.id)).map((i) => i.idp)).toEqual(['github']);
    await expect(core.accounts.unlink(tenant.id, user.id, 'google', 'admin')).rejects.toMatchObject({
      code: 'not_found',
    });
  });
});
