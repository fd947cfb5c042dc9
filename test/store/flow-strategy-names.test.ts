import { randomUUID } from 'node:crypto';
import { Migrator } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sha256 } from '../../src/lib/crypto.js';
import { schemaOf } from '../../src/store/database.js';
import { migrateToLatest } from '../../src/store/migrate.js';
import { migrations } from '../../src/store/migrations/index.js';
import { type RunningGatehouse, startGatehouse } from '../harness/gatehouse.js';

/** Migration 0009: flows stored under the Security API's mechanism names finish under the strategy names. */
let gatehouse: RunningGatehouse;
const tenantId = 'names';
const clientId = 'names-app';

beforeAll(async () => {
  gatehouse = await startGatehouse();
  await gatehouse.core.tenants.create({ id: tenantId, policies: { mfa: 'all' } });
  await gatehouse.core.clients.create(tenantId, { clientId, public: true });
});
afterAll(async () => {
  await gatehouse?.close();
});

const migrator = () => {
  const db = gatehouse.storage.db;
  return new Migrator({
    db,
    provider: { getMigrations: async () => migrations },
    migrationTableName: 'gatehouse_migrations',
    migrationLockTableName: 'gatehouse_migrations_lock',
    migrationTableSchema: schemaOf(db),
  });
};

const claimsOf = (jwt: string): Record<string, unknown> =>
  JSON.parse(Buffer.from(jwt.split('.')[1] ?? '', 'base64url').toString('utf8')) as Record<string, unknown>;

describe('migration 0009-flow-kinds-and-strategy-names', () => {
  it('finishes, through the Security API, a flow stored before the upgrade with the old mechanism names', async () => {
    const { core } = gatehouse;
    const db = gatehouse.storage.db;
    const user = await core.users.create(tenantId, { email: 'before@names.example', password: 'an old password' });
    const tenant = await core.tenants.require(tenantId);
    const codes = await core.mfa.enrolment.regenerateRecoveryCodes(tenant, user.id, {
      authTime: new Date(),
      amr: ['pwd'],
    });

    // Back to the schema before the upgrade, and a flow written as the code before it wrote one: a password sign-in
    // past its password, waiting for a second factor, its package under the Security API's names.
    const down = await migrator().migrateTo('0008-consent');
    expect(down.error).toBeUndefined();
    expect(down.results?.map((r) => r.migrationName).at(-1)).toBe('0009-flow-kinds-and-strategy-names');
    const sessionId = `session-${randomUUID()}`;
    const flowId = randomUUID();
    const now = new Date();
    await db
      .insertInto('login_flows')
      .values({
        id: flowId,
        tenant_id: tenantId,
        state_digest: sha256(`${tenantId}-${randomUUID()}`),
        session_digest: sha256(sessionId),
        status: 'mfa_pending',
        first_factor: 'password',
        target: JSON.stringify({ kind: 'security_api', clientId }),
        client_id: clientId,
        user_id: user.id,
        username: 'before@names.example',
        amr: JSON.stringify(['pwd']),
        auth_time: now,
        mfa_package: JSON.stringify({
          challenges: [
            { mechanisms: [{ id: 'choice-up', name: 'UP' }] },
            {
              mechanisms: [
                { id: 'choice-email', name: 'EMAIL', partialAddress: 'names.example' },
                { id: 'choice-oath', name: 'OATH' },
                { id: 'choice-recovery', name: 'RECOVERY' },
              ],
            },
          ],
        }),
        mfa_step: 1,
        expires_at: new Date(now.getTime() + 10 * 60 * 1000),
      } as never)
      .execute();

    expect((await migrateToLatest(db))[0]).toBe('0009-flow-kinds-and-strategy-names');
    const upgraded = await db.selectFrom('login_flows').selectAll().where('id', '=', flowId).executeTakeFirstOrThrow();
    expect(upgraded.kind).toBe('login');
    expect(upgraded.mfa_package?.challenges.map((c) => c.mechanisms.map((m) => m.name))).toEqual([
      ['password'],
      ['email_code', 'totp', 'recovery_code'],
    ]);
    expect(upgraded.target).toEqual({
      kind: 'api',
      clientId,
      scope: ['openid', 'profile', 'email'],
      grantType: 'security_api',
    });

    const response = await fetch(`${gatehouse.url}/Security/AdvanceAuthentication`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        TenantId: tenantId,
        SessionId: sessionId,
        MechanismId: 'choice-recovery',
        Action: 'Answer',
        Answer: codes[0],
      }),
    });
    expect(response.status).toBe(200);
    const body = (await response.json()) as { success: boolean; Result: { Summary: string; Auth: string } };
    expect(body).toMatchObject({ success: true, Result: { Summary: 'LoginSuccess', UserId: user.id } });
    const claims = claimsOf(body.Result.Auth);
    expect(claims).toMatchObject({ sub: user.id, amr: ['pwd', 'otp', 'mfa'] });
    expect(String(claims.scope).split(' ').sort()).toEqual(['email', 'openid', 'profile']);
    const finished = await db.selectFrom('login_flows').selectAll().where('id', '=', flowId).executeTakeFirstOrThrow();
    expect(finished.status).toBe('complete');
  });

  it('leaves a flow with no steps and a hosted-pages target as it was, but for its kind', async () => {
    const db = gatehouse.storage.db;
    expect((await migrator().migrateTo('0008-consent')).error).toBeUndefined();
    const flowId = randomUUID();
    const target = {
      kind: 'oauth_authorize',
      requestId: 'r1',
      clientId,
      signInPage: `${gatehouse.url}/t/${tenantId}/sign-in/r1`,
    };
    await db
      .insertInto('login_flows')
      .values({
        id: flowId,
        tenant_id: tenantId,
        state_digest: sha256(`${tenantId}-${randomUUID()}`),
        status: 'at_idp',
        first_factor: 'upstream',
        target: JSON.stringify(target),
        client_id: clientId,
        amr: JSON.stringify([]),
        expires_at: new Date(Date.now() + 60_000),
      } as never)
      .execute();
    expect((await migrateToLatest(db))[0]).toBe('0009-flow-kinds-and-strategy-names');
    const row = await db.selectFrom('login_flows').selectAll().where('id', '=', flowId).executeTakeFirstOrThrow();
    expect(row).toMatchObject({ kind: 'login', target, mfa_package: null, status: 'at_idp' });
  });
});
