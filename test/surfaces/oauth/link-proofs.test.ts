import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestClock } from '../../../src/lib/clock.js';
import { apps, claimsOf, postForm, type SocialFixture, startSocialFixture } from '../../harness/social.js';
import { expectNoWrites, storageKinds } from '../../harness/storage.js';

const exchangeGrant = 'urn:ietf:params:oauth:grant-type:token-exchange';
const idTokenType = 'urn:ietf:params:oauth:token-type:id_token';
const accessTokenType = 'urn:ietf:params:oauth:token-type:access_token';
const minute = 60_000;

/**
 * RFC 8693 `actor_token` as proof of the account to link an identity to: a leaked access token of the victim must not
 * become a lasting sign-in for someone else's identity provider account.
 */
describe.each(storageKinds)('token exchange link proofs on %s', (kind) => {
  const clock = createTestClock();
  let f: SocialFixture;
  let tokenUrl: string;
  /** A confidential client of the tenant other than the fixture's: where a victim's token may have leaked from. */
  let other: { clientId: string; secret: string };
  /** A public client (no secret) allowed token exchange. */
  let mobile: string;

  const secretOf = (clientId: string) => (clientId === f.clientId ? f.clientSecret : other.secret);

  beforeAll(async () => {
    f = await startSocialFixture({ tenantId: `links-${kind}`, start: { storage: kind, clock } });
    tokenUrl = `${f.gh.issuer(f.tenant.id)}/token`;
    const created = await f.gh.core.clients.create(f.tenant.id, { name: 'other', grantTypes: ['password'] });
    other = { clientId: created.client.clientId, secret: created.clientSecret ?? '' };
    mobile = (
      await f.gh.core.clients.create(f.tenant.id, {
        name: 'mobile',
        public: true,
        grantTypes: [exchangeGrant, 'refresh_token'],
      })
    ).client.clientId;
  });
  afterAll(async () => f?.close());

  const googleIdToken = async (sub: string, email: string) =>
    (await f.idp.mint('google', { clientId: apps.google, sub, email, emailVerified: true })).id_token as string;

  /** A user with a password, and an access token (with its refresh token) from a password sign-in at `clientId`. */
  const victim = async (clientId = f.clientId) => {
    const email = `victim-${randomUUID()}@example.com`;
    const user = await f.gh.core.users.create(f.tenant.id, { email, password: 'victim password', emailVerified: true });
    const signIn = await postForm(tokenUrl, {
      grant_type: 'password',
      client_id: clientId,
      client_secret: secretOf(clientId),
      username: email,
      password: 'victim password',
      scope: 'openid',
    });
    expect(signIn.status).toBe(200);
    return { user, accessToken: String(signIn.body.access_token), refreshToken: String(signIn.body.refresh_token) };
  };

  /** The attacker's own identity at the provider, with an address nobody has here. */
  const attackerIdToken = (sub = `attacker-${randomUUID()}`) => googleIdToken(sub, `${sub}@evil.example`);

  const exchange = (subjectToken: string, actorToken: string | undefined, client = { id: f.clientId, secret: true }) =>
    postForm(tokenUrl, {
      grant_type: exchangeGrant,
      client_id: client.id,
      ...(client.secret ? { client_secret: f.clientSecret } : {}),
      subject_token: subjectToken,
      subject_token_type: idTokenType,
      subject_issuer: 'google',
      scope: 'openid email',
      ...(actorToken === undefined ? {} : { actor_token: actorToken, actor_token_type: accessTokenType }),
    });
  const refresh = (refreshToken: string, client = { id: f.clientId, secret: true }) =>
    postForm(tokenUrl, {
      grant_type: 'refresh_token',
      refresh_token: refreshToken,
      client_id: client.id,
      ...(client.secret ? { client_secret: f.clientSecret } : {}),
    });
  const admin = (method: string, path: string) =>
    fetch(`${f.gh.url}/admin/tenants/${f.tenant.id}${path}`, {
      method,
      headers: { authorization: `Bearer ${f.gh.adminToken}` },
    });
  const refusalsAudited = async (userId: string): Promise<unknown[]> => {
    await f.gh.core.audit.flush();
    const listed = (await (await admin('GET', '/audit?limit=1000')).json()) as {
      items: { type: string; userId: string | null; clientId: string | null; details: Record<string, unknown> }[];
    };
    return listed.items
      .filter((e) => e.type === 'identity.link_refused' && e.userId === userId)
      .map((e) => ({ clientId: e.clientId, reason: e.details.reason }));
  };

  it("refuses a public client that presents a victim's access token obtained by another client, and links nothing", async () => {
    const { user, accessToken } = await victim(other.clientId);
    const subject = await attackerIdToken();
    const refused = await expectNoWrites(f.gh.storage.db, () =>
      exchange(subject, accessToken, { id: mobile, secret: false }),
    );
    expect(refused).toMatchObject({
      status: 400,
      body: { error: 'invalid_grant', error_description: 'the actor_token was not issued to this client' },
    });
    expect(await f.gh.core.users.identities(user.id)).toEqual([]);
    expect(await refusalsAudited(user.id)).toEqual([{ clientId: mobile, reason: 'wrong_client' }]);
  });

  it('refuses the same between two confidential clients: the token must be the presenting client’s own', async () => {
    const { user, accessToken } = await victim(other.clientId);
    const refused = await expectNoWrites(f.gh.storage.db, async () => exchange(await attackerIdToken(), accessToken));
    expect(refused.body).toEqual({
      error: 'invalid_grant',
      error_description: 'the actor_token was not issued to this client',
    });
    expect(await f.gh.core.users.identities(user.id)).toEqual([]);
  });

  it('refuses an access token whose sign-in is older than the link window, though the token is unexpired', async () => {
    const { user, accessToken } = await victim();
    clock.advance(5 * minute + 1000);
    const refused = await expectNoWrites(f.gh.storage.db, async () => exchange(await attackerIdToken(), accessToken));
    expect(refused).toMatchObject({
      status: 400,
      body: {
        error: 'invalid_grant',
        error_description: 'the actor_token is too old to link an identity: sign in again and use the new access token',
      },
    });
    // The token itself still works where it is meant to.
    const userinfo = await fetch(`${f.gh.issuer(f.tenant.id)}/userinfo`, {
      headers: { authorization: `Bearer ${accessToken}` },
    });
    expect(userinfo.status).toBe(200);
    expect(await refusalsAudited(user.id)).toEqual([{ clientId: f.clientId, reason: 'stale' }]);
  });

  it('refuses an access token refreshed after an old sign-in: a rotation is not a new sign-in', async () => {
    const { refreshToken } = await victim();
    clock.advance(10 * minute);
    const rotated = await refresh(refreshToken);
    expect(rotated.status).toBe(200);
    const refused = await exchange(await attackerIdToken(), String(rotated.body.access_token));
    expect(refused.body).toMatchObject({ error: 'invalid_grant', error_description: expect.stringMatching(/too old/) });
  });

  it('links with a fresh access token of the same client, once: the second use is refused and links nothing', async () => {
    const { user, accessToken } = await victim();
    const linked = await exchange(await attackerIdToken(), accessToken);
    expect(linked.status).toBe(200);
    expect(claimsOf(linked.body.access_token).sub).toBe(user.id);
    expect((await f.gh.core.users.identities(user.id)).map((i) => i.idp)).toEqual(['google']);

    const subject = await attackerIdToken();
    const replayed = await expectNoWrites(f.gh.storage.db, () => exchange(subject, accessToken));
    expect(replayed).toMatchObject({
      status: 400,
      body: { error: 'invalid_grant', error_description: 'the actor_token has already been used to link an identity' },
    });
    expect(await f.gh.core.users.identities(user.id)).toHaveLength(1);
    expect(await refusalsAudited(user.id)).toEqual([{ clientId: f.clientId, reason: 'replayed' }]);
  });

  it('links exactly one identity when one proof is presented by concurrent requests', async () => {
    const { user, accessToken } = await victim();
    const subjects = await Promise.all(Array.from({ length: 8 }, () => attackerIdToken()));
    const answers = await Promise.all(subjects.map((subject) => exchange(subject, accessToken)));
    expect(answers.filter((a) => a.status === 200)).toHaveLength(1);
    for (const refused of answers.filter((a) => a.status !== 200))
      expect(refused.body).toEqual({
        error: 'invalid_grant',
        error_description: 'the actor_token has already been used to link an identity',
      });
    expect(await f.gh.core.users.identities(user.id)).toHaveLength(1);
  });

  it('lets a public client link with a fresh access token issued to itself, once', async () => {
    const email = `mobile-${randomUUID()}@example.com`;
    const signUp = await exchange(await googleIdToken(`g-${randomUUID()}`, email), undefined, {
      id: mobile,
      secret: false,
    });
    expect(signUp.status).toBe(200);
    const userId = String(claimsOf(signUp.body.access_token).sub);
    const github = (
      await f.idp.mint('github', { clientId: apps.github, sub: `gh-${randomUUID()}`, email, emailVerified: true })
    ).access_token as string;
    const linked = await postForm(tokenUrl, {
      grant_type: exchangeGrant,
      client_id: mobile,
      subject_token: github,
      subject_token_type: accessTokenType,
      subject_issuer: 'github',
      actor_token: String(signUp.body.access_token),
      actor_token_type: accessTokenType,
    });
    expect(linked.status).toBe(200);
    expect(claimsOf(linked.body.access_token).sub).toBe(userId);
    expect((await f.gh.core.users.identities(userId)).map((i) => i.idp).sort()).toEqual(['github', 'google']);
    const again = await exchange(await attackerIdToken(), String(signUp.body.access_token), {
      id: mobile,
      secret: false,
    });
    expect(again.body).toMatchObject({ error: 'invalid_grant', error_description: expect.stringMatching(/already/) });
  });

  it('after an unlink, refuses the refresh tokens obtained through the identity and the proof that linked it', async () => {
    const { user, accessToken, refreshToken: ownRefreshToken } = await victim();
    const sub = `attacker-${randomUUID()}`;
    const linked = await exchange(await attackerIdToken(sub), accessToken);
    expect(linked.status).toBe(200);
    // The identity now signs in on its own, and gets refresh tokens of its own.
    const signedIn = await exchange(await attackerIdToken(sub), undefined);
    expect(signedIn.status).toBe(200);
    expect(claimsOf(signedIn.body.access_token).sub).toBe(user.id);
    const obtained = [String(linked.body.refresh_token), String(signedIn.body.refresh_token)];

    const unlinked = await admin('DELETE', `/users/${user.id}/identities/google`);
    expect(unlinked.status).toBe(204);

    for (const token of obtained) {
      const refused = await refresh(token);
      expect(refused).toMatchObject({
        status: 400,
        body: { error: 'invalid_grant', error_description: 'the refresh token has been revoked' },
      });
    }
    // The access token issued with them is revoked as well.
    const userinfo = await fetch(`${f.gh.issuer(f.tenant.id)}/userinfo`, {
      headers: { authorization: `Bearer ${String(signedIn.body.access_token)}` },
    });
    expect(userinfo.status).toBe(401);
    const relinked = await expectNoWrites(f.gh.storage.db, async () =>
      exchange(await attackerIdToken(sub), accessToken),
    );
    expect(relinked.body).toEqual({
      error: 'invalid_grant',
      error_description: 'the actor_token has already been used to link an identity',
    });
    expect(await f.gh.core.users.identities(user.id)).toEqual([]);
    // What the user obtained otherwise (their password sign-in) is untouched.
    expect((await refresh(ownRefreshToken)).status).toBe(200);
  });
});

describe.each(storageKinds)('absolute refresh-token lifetime on %s', (kind) => {
  const clock = createTestClock();
  let f: SocialFixture;
  let tokenUrl: string;
  let client: { clientId: string; secret: string };
  const hour = 60 * minute;

  beforeAll(async () => {
    f = await startSocialFixture({ tenantId: `absolute-${kind}`, start: { storage: kind, clock } });
    tokenUrl = `${f.gh.issuer(f.tenant.id)}/token`;
    const created = await f.gh.core.clients.create(f.tenant.id, {
      name: 'bounded',
      grantTypes: ['password', 'refresh_token'],
      settings: { refreshTokenTtlSeconds: 24 * 3600, refreshTokenAbsoluteTtlSeconds: 48 * 3600 },
    });
    client = { clientId: created.client.clientId, secret: created.clientSecret ?? '' };
  });
  afterAll(async () => f?.close());

  const form = (extra: Record<string, string>) =>
    postForm(tokenUrl, { client_id: client.clientId, client_secret: client.secret, ...extra });

  it('refuses a rotation past the family’s absolute end, though each refresh token is fresh', async () => {
    await f.gh.core.users.create(f.tenant.id, { email: 'long@example.com', password: 'long password' });
    const signIn = await form({ grant_type: 'password', username: 'long@example.com', password: 'long password' });
    let refreshToken = String(signIn.body.refresh_token);
    for (let i = 0; i < 2; i++) {
      clock.advance(20 * hour);
      const rotated = await form({ grant_type: 'refresh_token', refresh_token: refreshToken });
      expect(rotated.status).toBe(200);
      refreshToken = String(rotated.body.refresh_token);
    }
    // 40 hours in, the last token was issued now, but the family ends at 48 hours: 60 is past it.
    clock.advance(20 * hour);
    const refused = await form({ grant_type: 'refresh_token', refresh_token: refreshToken });
    expect(refused).toMatchObject({
      status: 400,
      body: { error: 'invalid_grant', error_description: 'the grant has reached its absolute lifetime: sign in again' },
    });
  });

  it('lets a refresh token issued just before the family’s end live only until it', async () => {
    await f.gh.core.users.create(f.tenant.id, { email: 'why@example.com', password: 'why password 1' });
    const signIn = await form({ grant_type: 'password', username: 'why@example.com', password: 'why password 1' });
    clock.advance(20 * hour);
    const rotated = await form({ grant_type: 'refresh_token', refresh_token: String(signIn.body.refresh_token) });
    clock.advance(20 * hour);
    const again = await form({ grant_type: 'refresh_token', refresh_token: String(rotated.body.refresh_token) });
    expect(again.status).toBe(200);
    // 47 hours: the token (issued at 40 hours) would live to 64, but not past its family's end at 48.
    clock.advance(7 * hour);
    const last = await form({ grant_type: 'refresh_token', refresh_token: String(again.body.refresh_token) });
    expect(last.status).toBe(200);
    clock.advance(2 * hour);
    const refused = await form({ grant_type: 'refresh_token', refresh_token: String(last.body.refresh_token) });
    expect(refused).toMatchObject({
      status: 400,
      body: { error: 'invalid_grant', error_description: 'the grant has reached its absolute lifetime: sign in again' },
    });
  });
});
