import { Secret, TOTP } from 'otpauth';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { sha256 } from '../../../src/lib/crypto.js';
import { knownMigrations } from '../../../src/store/migrate.js';
import { backedUpTables, dumpTables } from '../../harness/backup.js';
import { type RunningGatehouse, startGatehouse } from '../../harness/gatehouse.js';
import { apps, claimsOf, postForm, type SocialFixture, startSocialFixture } from '../../harness/social.js';
import { type StorageKind, storageKinds, tableCounts } from '../../harness/storage.js';
import { adminApi, problem } from './admin-api.js';

/** The schema migration of a store this code has brought up to date. */
const latestMigration = knownMigrations().at(-1);

vi.setConfig({ testTimeout: 120_000, hookTimeout: 120_000 });

const password = 'correct horse battery staple';
const otherEngine = (kind: StorageKind): StorageKind => (kind === 'pglite' ? 'postgres' : 'pglite');

/** Restores `archive` (text) through the admin API of `target`. */
const restore = (target: RunningGatehouse, archive: string) =>
  adminApi(target).call('POST', '/admin/restore', archive, { 'content-type': 'application/json' });

const auditOf = (gh: RunningGatehouse, type: string) =>
  gh.storage.db
    .selectFrom('audit_events')
    .select(['actor', 'outcome', 'tenant_id', 'ip'])
    .where('type', '=', type)
    .execute();

describe.each(storageKinds)('GET /admin/backup and POST /admin/restore, from %s', (source) => {
  let f: SocialFixture;
  let archive: string;
  let before: Record<string, unknown[]>;
  const socialSub = { value: '' };
  const passwordUser = { id: '', email: 'pat@backup.example' };
  let liveAccessToken: string;
  let revokedAccessToken: string;

  const tokenUrl = (gh: RunningGatehouse) => `${gh.issuer(f.tenant.id)}/token`;
  const client = () => ({ client_id: f.clientId, client_secret: f.clientSecret });
  const exchangeGoogle = async (gh: RunningGatehouse) => {
    const { id_token } = await f.idp.mint('google', {
      clientId: apps.google,
      sub: 'g-ada',
      email: 'ada@backup.example',
      emailVerified: true,
    });
    return postForm(tokenUrl(gh), {
      grant_type: 'urn:ietf:params:oauth:grant-type:token-exchange',
      subject_token: String(id_token),
      subject_token_type: 'urn:ietf:params:oauth:token-type:id_token',
      subject_issuer: 'google',
      scope: 'openid email',
      ...client(),
    });
  };
  const passwordGrant = (gh: RunningGatehouse, secret = password) =>
    postForm(tokenUrl(gh), {
      grant_type: 'password',
      username: passwordUser.email,
      password: secret,
      scope: 'openid',
      ...client(),
    });
  const userinfo = async (gh: RunningGatehouse, accessToken: string) => {
    const response = await fetch(`${gh.issuer(f.tenant.id)}/userinfo`, {
      headers: { authorization: `Bearer ${accessToken}` },
    });
    return { status: response.status, body: (await response.json()) as Record<string, unknown> };
  };

  beforeAll(async () => {
    f = await startSocialFixture({ tenantId: 'kept', start: { storage: source } });
    // A social user (user + linked identity), a password user with TOTP and recovery codes, signing keys, a revoked
    // access token: a row in every table a backup holds.
    const social = await exchangeGoogle(f.gh);
    expect(social.status).toBe(200);
    socialSub.value = String(claimsOf(social.body.access_token).sub);
    const user = await f.gh.core.users.create(f.tenant.id, {
      email: passwordUser.email,
      password,
      emailVerified: true,
    });
    passwordUser.id = user.id;
    const { secret } = await f.gh.core.mfa.enrolment.beginTotp(f.tenant, user, { authTime: new Date(), amr: ['pwd'] });
    const code = TOTP.generate({ secret: Secret.fromBase32(secret) });
    await f.gh.core.mfa.enrolment.confirmTotp(f.tenant.id, user.id, code);
    const signedIn = await passwordGrant(f.gh);
    expect(signedIn.status).toBe(200);
    liveAccessToken = String(signedIn.body.access_token);
    revokedAccessToken = String((await passwordGrant(f.gh)).body.access_token);
    expect(
      (await postForm(`${f.gh.issuer(f.tenant.id)}/revoke`, { token: revokedAccessToken, ...client() })).status,
    ).toBe(200);
    // A second Google account linked to the password user with its fresh access token (a spent link proof).
    const { id_token: patGoogle } = await f.idp.mint('google', {
      clientId: apps.google,
      sub: 'g-pat',
      email: 'pat.google@backup.example',
      emailVerified: true,
    });
    const linked = await postForm(tokenUrl(f.gh), {
      grant_type: 'urn:ietf:params:oauth:grant-type:token-exchange',
      subject_token: String(patGoogle),
      subject_token_type: 'urn:ietf:params:oauth:token-type:id_token',
      subject_issuer: 'google',
      actor_token: liveAccessToken,
      actor_token_type: 'urn:ietf:params:oauth:token-type:access_token',
      scope: 'openid',
      ...client(),
    });
    expect(linked.status).toBe(200);
    expect(claimsOf(linked.body.access_token).sub).toBe(passwordUser.id);
    // A stored admin token, and the scopes the password user allowed a client.
    await f.gh.core.adminTokens.create({ tenant: f.tenant.id, scopes: ['users:read'] }, { actor: 'admin' });
    await f.gh.storage.db
      .insertInto('consent_grants')
      .values({ user_id: passwordUser.id, client_id: f.clientId, tenant_id: f.tenant.id, scope: 'openid' })
      .execute();
    before = await dumpTables(f.gh.storage.db);
    for (const [table, rows] of Object.entries(before)) expect(rows.length, table).toBeGreaterThan(0);
  });
  afterAll(() => f?.close());

  it('answers only the admin token', async () => {
    const anonymous = await fetch(`${f.gh.url}/admin/backup`);
    expect(anonymous.status).toBe(401);
    expect(anonymous.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    const restoring = await adminApi(f.gh).call('POST', '/admin/restore', '{}', {
      authorization: 'Bearer not-the-admin-token-0123456789',
      'content-type': 'application/json',
    });
    expect(restoring).toMatchObject({ status: 401, body: { title: 'unauthorized' } });
  });

  it('streams a versioned archive of every durable table, secrets as stored, as an attachment', async () => {
    const response = await fetch(`${f.gh.url}/admin/backup`, {
      headers: { authorization: `Bearer ${f.gh.adminToken}` },
    });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^application\/json/);
    expect(response.headers.get('content-disposition')).toMatch(/^attachment; filename="gatehouse-backup-.+\.json"$/);
    archive = await response.text();
    await f.gh.core.audit.flush();
    expect(await auditOf(f.gh, 'backup.taken')).toEqual([
      { actor: 'admin', outcome: 'success', tenant_id: null, ip: '127.0.0.1' },
    ]);
    const parsed = JSON.parse(archive) as { format: string; migration: string; tables: Record<string, unknown[]> };
    expect(parsed).toMatchObject({ format: 'gatehouse-backup/1', migration: latestMigration });
    expect(Object.keys(parsed.tables)).toEqual(Object.keys(backedUpTables));
    for (const [table, rows] of Object.entries(before)) expect(parsed.tables[table], table).toHaveLength(rows.length);
    // Nothing in the clear: the client secret, the IdP secrets, the password.
    for (const secret of [f.clientSecret, 'google-secret', 'github-secret', password])
      expect(archive).not.toContain(secret);
  });

  describe.each([source, otherEngine(source)])('into an empty store on %s', (target) => {
    let to: RunningGatehouse;
    beforeAll(async () => {
      // The deployment restored is the same deployment: the same public URL, so the same issuers.
      to = await startGatehouse({ storage: target, config: { publicUrl: f.gh.url } });
    });
    afterAll(() => to?.close());

    it('refuses a corrupt, truncated or newer archive, writing nothing', async () => {
      const empty = await tableCounts(to.storage.db);
      const corrupt = archive.replace(/"password_hash":"\$argon2id\$[^"]*?(.)"/, (match, last: string) =>
        match.replace(`${last}"`, `${last === 'A' ? 'B' : 'A'}"`),
      );
      expect(corrupt).not.toBe(archive);
      const cases: [string, string][] = [
        [corrupt, 'the archive is corrupt: its content does not match its sha256'],
        [
          archive.replace('"gatehouse-backup/1"', '"gatehouse-backup/2"'),
          "the archive's format gatehouse-backup/2 is newer than this Gatehouse reads (gatehouse-backup/1); restore with a newer Gatehouse",
        ],
        [
          archive.replace(`"migration":"${latestMigration}"`, '"migration":"9999-from-the-future"'),
          `the archive was taken at schema migration 9999-from-the-future, which this Gatehouse does not have (its latest is ${latestMigration}); restore with a newer Gatehouse`,
        ],
      ];
      for (const [body, detail] of cases) {
        const response = await restore(to, body);
        expect(response).toMatchObject({ status: 400, contentType: 'application/problem+json; charset=utf-8' });
        expect(response.body).toEqual(problem('invalid_request', 400, detail));
      }
      const truncated = await restore(to, archive.slice(0, Math.floor(archive.length / 2)));
      expect(truncated).toMatchObject({ status: 400, body: { title: 'invalid_request' } });
      // Edited by hand, with the digest computed again: refused all the same, before or while writing.
      const edited = (edit: (tables: Record<string, Record<string, unknown>[]>) => void) => {
        const { sha256: _digest, ...body } = JSON.parse(archive) as { sha256: string; tables: Record<string, never> };
        edit(body.tables);
        return JSON.stringify({ ...body, sha256: sha256(JSON.stringify(body)) });
      };
      const badColumn = await restore(
        to,
        edited((tables) => {
          tables.users = (tables.users ?? []).map(({ id, ...rest }) => ({ 'users.id': id, ...rest }));
        }),
      );
      expect(badColumn).toMatchObject({
        status: 400,
        body: { detail: expect.stringMatching(/^archive\.tables\.users\.0/) },
      });
      const orphans = await restore(
        to,
        edited((tables) => {
          tables.users = [];
        }),
      );
      expect(orphans).toMatchObject({
        status: 400,
        body: { detail: expect.stringMatching(/^archive\.tables\.identities: the rows do not fit the table \(/) },
      });
      expect(await tableCounts(to.storage.db)).toEqual(empty);
    });

    it('restores every row of every table as it was', async () => {
      const response = await restore(to, archive);
      expect(response.status).toBe(200);
      expect(response.body).toEqual({
        format: 'gatehouse-backup/1',
        migration: latestMigration,
        takenAt: expect.any(String),
        restored: Object.fromEntries(Object.entries(before).map(([table, rows]) => [table, rows.length])),
      });
      expect(await dumpTables(to.storage.db)).toEqual(before);
      await to.core.audit.flush();
      expect(await auditOf(to, 'backup.restored')).toEqual([
        { actor: 'admin', outcome: 'success', tenant_id: null, ip: '127.0.0.1' },
      ]);
    });

    it('signs the social user in as before: same sub, no merge needed, no new user', async () => {
      const users = (await tableCounts(to.storage.db)).users;
      const again = await exchangeGoogle(to);
      expect(again.status).toBe(200);
      expect(claimsOf(again.body.access_token).sub).toBe(socialSub.value);
      expect((await tableCounts(to.storage.db)).users).toBe(users);
    });

    it("accepts the password user's password, the old signing keys' tokens, and still refuses a revoked token", async () => {
      const signedIn = await passwordGrant(to);
      expect(signedIn.status).toBe(200);
      expect(claimsOf(signedIn.body.access_token).sub).toBe(passwordUser.id);
      expect((await passwordGrant(to, 'not the password')).status).toBe(400);
      expect(await userinfo(to, liveAccessToken)).toMatchObject({ status: 200, body: { sub: passwordUser.id } });
      expect(await userinfo(to, revokedAccessToken)).toMatchObject({
        status: 401,
        body: { error: 'invalid_token', error_description: 'the access token has been revoked' },
      });
    });

    it('refuses a store that is no longer empty, writing nothing', async () => {
      const counts = await tableCounts(to.storage.db);
      const response = await restore(to, archive);
      expect(response.status).toBe(409);
      expect(response.body).toMatchObject({ title: 'conflict' });
      expect(String((response.body as { detail: string }).detail)).toMatch(
        /^the store is not empty \(tenants, .* hold rows\): restore only into a new, empty store$/,
      );
      expect(await tableCounts(to.storage.db)).toEqual(counts);
    });
  });

  it('refuses an archive sealed with another master key, writing nothing', async () => {
    const other = await startGatehouse({ storage: source, config: { masterKey: '1'.repeat(64) } });
    try {
      const empty = await tableCounts(other.storage.db);
      const response = await restore(other, archive);
      expect(response.status).toBe(400);
      expect(response.body).toEqual(
        problem(
          'invalid_request',
          400,
          'the archive was sealed with another master key: restore with the GATEHOUSE_MASTER_KEY of the deployment it was taken from',
        ),
      );
      expect(await tableCounts(other.storage.db)).toEqual(empty);
    } finally {
      await other.close();
    }
  });

  it('refuses a configuration export, pointing at import', async () => {
    const exported = await adminApi(f.gh).get('/admin/export');
    const response = await restore(f.gh, JSON.stringify(exported.body));
    expect(response.body).toEqual(
      problem('invalid_request', 400, 'not a Gatehouse backup but a configuration document: apply it with import'),
    );
  });
});
