import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningGatehouse, startGatehouse } from '../../harness/gatehouse.js';
import { expectNoWrites } from '../../harness/storage.js';
import { obtainCode, password, postForm, redirectUri, setUpTenant, type TestTenant, webTokens } from './fixture.js';

let gatehouse: RunningGatehouse;
let tenant: TestTenant;
let tokenUrl: string;

beforeAll(async () => {
  gatehouse = await startGatehouse();
  tenant = await setUpTenant(gatehouse, 'refresh');
  tokenUrl = `${tenant.issuer}/token`;
});
afterAll(async () => {
  await gatehouse?.close();
});

const web = () => ({ basic: { clientId: tenant.web.clientId, secret: tenant.web.secret } });
const refresh = (refreshToken: string, extra: Record<string, string> = {}) =>
  postForm(tokenUrl, { grant_type: 'refresh_token', refresh_token: refreshToken, ...extra }, web());
const jtiOf = (accessToken: string): string =>
  String(JSON.parse(Buffer.from(accessToken.split('.')[1] ?? '', 'base64url').toString('utf8')).jti);
/** The family an access token was issued in (its `jti` is on the family's refresh token). */
const familyOf = async (accessToken: string): Promise<string> => {
  const row = await gatehouse.storage.db
    .selectFrom('refresh_tokens')
    .select('family_id')
    .where('access_jti', '=', jtiOf(accessToken))
    .executeTakeFirstOrThrow();
  return row.family_id;
};
/** Resolves once a backend running a statement that contains `text` waits for a lock; fails after 10 s. */
const waitingOnLock = async (text: string): Promise<void> => {
  for (let tries = 0; tries < 200; tries++) {
    const { rows } = await sql<{ n: number }>`
      select count(*)::int as n from pg_stat_activity
      where wait_event_type = 'Lock' and position(${text} in query) > 0`.execute(gatehouse.storage.db);
    if ((rows[0]?.n ?? 0) > 0) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`no statement with ${JSON.stringify(text)} waited for a lock`);
};
const active = async (token: string) =>
  ((await postForm(`${tenant.issuer}/introspect`, { token }, web())).body as { active: boolean }).active;

describe('POST /t/:tenant/token refresh_token', () => {
  it('rotates the refresh token on every use', async () => {
    const { tokens } = await webTokens(tenant);
    const first = await refresh(tokens.refresh_token);
    expect(first.status).toBe(200);
    const next = first.body as { refresh_token: string; access_token: string; id_token: string; scope: string };
    expect(next.refresh_token).not.toBe(tokens.refresh_token);
    expect(next.scope).toBe('openid email profile');
    expect(typeof next.id_token).toBe('string');
    const second = await refresh(next.refresh_token);
    expect(second.status).toBe(200);
  });

  it('revokes the whole family when a rotated refresh token is replayed', async () => {
    const { tokens } = await webTokens(tenant);
    const rotated = (await refresh(tokens.refresh_token)).body as { refresh_token: string; access_token: string };

    const reuse = await refresh(tokens.refresh_token);
    expect(reuse.status).toBe(400);
    expect(reuse.body).toEqual({
      error: 'invalid_grant',
      error_description: 'the refresh token has already been used',
    });

    const latest = await refresh(rotated.refresh_token);
    expect(latest.body).toEqual({ error: 'invalid_grant', error_description: 'the refresh token has been revoked' });
    expect(await active(tokens.access_token)).toBe(false);
    expect(await active(rotated.access_token)).toBe(false);
    expect(await active(rotated.refresh_token)).toBe(false);

    await gatehouse.core.audit.flush();
    const reused = (await gatehouse.core.audit.list(tenant.id)).filter((e) => e.type === 'refresh_token.reused');
    expect(reused).toHaveLength(1);
    expect(reused[0]?.details).toMatchObject({ familyRevoked: true });
  });

  it('never lets two concurrent uses of one refresh token both win, and revokes the family', async () => {
    const { tokens } = await webTokens(tenant);
    const results = await Promise.all(Array.from({ length: 5 }, () => refresh(tokens.refresh_token)));
    const winners = results.filter((r) => r.status === 200);
    expect(winners.length).toBeLessThanOrEqual(1);
    for (const loser of results.filter((r) => r.status !== 200)) {
      expect(loser.status).toBe(400);
      expect((loser.body as { error: string }).error).toBe('invalid_grant');
    }
    // The losers count as reuse (RFC 9700 §4.14.2): whatever the winner got is revoked with the family.
    for (const winner of winners) {
      const next = (winner.body as { refresh_token: string }).refresh_token;
      expect((await refresh(next)).body).toEqual({
        error: 'invalid_grant',
        error_description: 'the refresh token has been revoked',
      });
    }
  });

  it('rotates refresh tokens of different families used at the same time, each in its own family', async () => {
    const started = [];
    for (let i = 0; i < 12; i++) started.push((await webTokens(tenant)).tokens);
    const results = await Promise.all(started.map((tokens) => refresh(tokens.refresh_token)));
    for (const [i, result] of results.entries()) {
      expect(result.status).toBe(200);
      const body = result.body as { access_token: string; refresh_token: string };
      expect(await familyOf(body.access_token)).toBe(await familyOf(started[i]?.access_token as string));
      expect((await refresh(body.refresh_token)).status).toBe(200);
    }
  });

  it('narrows the scope of the new access token when asked, and refuses a wider one without using the token up', async () => {
    const { tokens } = await webTokens(tenant);
    const wider = await expectNoWrites(gatehouse.storage.db, () =>
      refresh(tokens.refresh_token, { scope: 'openid admin' }),
    );
    expect(wider.status).toBe(400);
    expect(wider.body).toEqual({ error: 'invalid_scope', error_description: 'scope "admin" exceeds what was granted' });
    const narrower = await refresh(tokens.refresh_token, { scope: 'openid' });
    expect(narrower.status).toBe(200);
    expect(narrower.body).toMatchObject({ scope: 'openid' });
  });

  it("refuses another client's refresh token without revoking it", async () => {
    const { tokens } = await webTokens(tenant);
    const response = await expectNoWrites(gatehouse.storage.db, () =>
      postForm(tokenUrl, {
        grant_type: 'refresh_token',
        refresh_token: tokens.refresh_token,
        client_id: tenant.spa.clientId,
      }),
    );
    expect(response.status).toBe(400);
    expect(response.body).toEqual({ error: 'invalid_grant', error_description: 'the refresh token is invalid' });
    expect((await refresh(tokens.refresh_token)).status).toBe(200);
  });

  it('refreshes for a public client that authenticates with its client_id only', async () => {
    const { code, verifier } = await obtainCode(tenant, tenant.spa.clientId);
    const issued = await postForm(tokenUrl, {
      grant_type: 'authorization_code',
      code,
      redirect_uri: redirectUri,
      code_verifier: verifier,
      client_id: tenant.spa.clientId,
    });
    const response = await postForm(tokenUrl, {
      grant_type: 'refresh_token',
      refresh_token: (issued.body as { refresh_token: string }).refresh_token,
      client_id: tenant.spa.clientId,
    });
    expect(response.status).toBe(200);
  });

  it('refuses a rotation that races the revocation of its family, and adds nothing to the family', async () => {
    const { tokens } = await webTokens(tenant);
    const familyId = await familyOf(tokens.access_token);
    let rotation: ReturnType<typeof refresh> | undefined;
    // A revocation under way: the family row is updated and not yet committed.
    await gatehouse.storage.db.transaction().execute(async (trx) => {
      await sql`update token_families set revoked_at = now() where id = ${familyId}`.execute(trx);
      rotation = refresh(tokens.refresh_token);
      await waitingOnLock('live as materialized (');
    });
    expect(await rotation).toMatchObject({
      status: 400,
      body: { error: 'invalid_grant', error_description: 'the refresh token has been revoked' },
    });
    const stored = await gatehouse.storage.db
      .selectFrom('refresh_tokens')
      .select(['access_jti', 'consumed_at'])
      .where('family_id', '=', familyId)
      .execute();
    expect(stored).toEqual([{ access_jti: expect.any(String), consumed_at: null }]);
  });

  it('revokes the access token of a rotation that was adding to the family while it was revoked', async () => {
    const { tokens } = await webTokens(tenant);
    const familyId = await familyOf(tokens.access_token);
    const racingJti = `racing-${familyId}`;
    let revocation: ReturnType<typeof postForm> | undefined;
    // A rotation under way: it holds the family as every writer of a family does, and has stored its next token.
    await gatehouse.storage.db.transaction().execute(async (trx) => {
      await sql`select id from token_families where id = ${familyId} for share`.execute(trx);
      await sql`
        insert into refresh_tokens (token_digest, family_id, tenant_id, access_jti, access_expires_at, created_at, expires_at)
        values (${`digest-${racingJti}`}, ${familyId}, ${tenant.id}, ${racingJti}, now() + interval '10 minutes', now(),
                now() + interval '1 day')`.execute(trx);
      revocation = postForm(`${tenant.issuer}/revoke`, { token: tokens.refresh_token }, web());
      await waitingOnLock('update token_families set revoked_at');
    });
    expect((await revocation)?.status).toBe(200);
    const listed = await gatehouse.storage.db
      .selectFrom('revoked_access_tokens')
      .select('jti')
      .where('jti', 'in', [racingJti, jtiOf(tokens.access_token)])
      .execute();
    expect(listed.map((row) => row.jti).sort()).toEqual([racingJti, jtiOf(tokens.access_token)].sort());
  });

  it("revokes a disabled user's refresh tokens, for good: enabling the user again revives none", async () => {
    const email = 'carol@refresh.example';
    const user = await gatehouse.core.users.create(tenant.id, { email, password });
    const mobile = { basic: { clientId: tenant.mobile.clientId, secret: tenant.mobile.secret } };
    const issued = await postForm(tokenUrl, { grant_type: 'password', username: email, password }, mobile);
    const { refresh_token } = issued.body as { refresh_token: string };
    await gatehouse.core.users.setStatus(tenant.id, user.id, 'disabled');

    const refused = await postForm(tokenUrl, { grant_type: 'refresh_token', refresh_token }, mobile);
    expect(refused).toMatchObject({
      status: 400,
      body: { error: 'invalid_grant', error_description: 'the refresh token has been revoked' },
    });
    await gatehouse.core.users.setStatus(tenant.id, user.id, 'active');
    const revived = await postForm(tokenUrl, { grant_type: 'refresh_token', refresh_token }, mobile);
    expect(revived).toMatchObject({
      status: 400,
      body: { error: 'invalid_grant', error_description: 'the refresh token has been revoked' },
    });
    const stored = await gatehouse.storage.db
      .selectFrom('refresh_tokens')
      .innerJoin('token_families', 'token_families.id', 'refresh_tokens.family_id')
      .select(['refresh_tokens.consumed_at', 'token_families.revoked_at'])
      .where('token_families.user_id', '=', user.id)
      .execute();
    // Only the presented token, unspent in a revoked family: nothing was issued into it.
    expect(stored).toHaveLength(1);
    expect(stored[0]).toMatchObject({ consumed_at: null, revoked_at: expect.any(Date) });
  });

  it('refuses an unknown refresh token and writes nothing', async () => {
    const response = await expectNoWrites(gatehouse.storage.db, () => refresh('made-up-token'));
    expect(response.status).toBe(400);
    expect(response.body).toEqual({ error: 'invalid_grant', error_description: 'the refresh token is invalid' });
  });
});
