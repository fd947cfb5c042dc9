import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestClock } from '../../../src/lib/clock.js';
import { apps, claimsOf, postForm, type SocialFixture, startSocialFixture } from '../../harness/social.js';
import { expectNoWrites, storageKinds } from '../../harness/storage.js';

const minute = 60_000;

/** The STS `ff_token`, proof of the account a provider grant links to: the same rules as RFC 8693 `actor_token`. */
describe.each(storageKinds)('POST /connect/token ff_token on %s', (kind) => {
  const clock = createTestClock();
  let f: SocialFixture;
  let tokenUrl: string;
  let other: { clientId: string; secret: string };

  beforeAll(async () => {
    f = await startSocialFixture({ tenantId: `sts-links-${kind}`, start: { storage: kind, clock } });
    tokenUrl = `${f.gh.url}/connect/token`;
    const created = await f.gh.core.clients.create(f.tenant.id, { name: 'other', grantTypes: ['password'] });
    other = { clientId: created.client.clientId, secret: created.clientSecret ?? '' };
  });
  afterAll(async () => f?.close());

  const credentials = (client?: { clientId: string; secret: string }) => ({
    client_id: client?.clientId ?? f.clientId,
    client_secret: client?.secret ?? f.clientSecret,
  });

  /** A user with a password and a fresh password sign-in at `client` (the fixture's by default). */
  const victim = async (client?: { clientId: string; secret: string }) => {
    const email = `victim-${randomUUID()}@example.com`;
    const user = await f.gh.core.users.create(f.tenant.id, { email, password: 'victim password', emailVerified: true });
    const signIn = await postForm(tokenUrl, {
      grant_type: 'password',
      username: email,
      password: 'victim password',
      ...credentials(client),
    });
    expect(signIn.status).toBe(200);
    return { user, accessToken: String(signIn.body.access_token), refreshToken: String(signIn.body.refresh_token) };
  };

  /** The attacker's own Facebook account, with an address nobody has here. */
  const attackerToken = async (sub = `fb-${randomUUID()}`) =>
    (await f.idp.mint('facebook', { clientId: apps.facebook, sub, email: `${sub}@evil.example`, emailVerified: true }))
      .access_token as string;

  const facebookGrant = (assertion: string, ffToken?: string) =>
    postForm(tokenUrl, {
      grant_type: 'Facebook',
      assertion,
      ...(ffToken === undefined ? {} : { ff_token: ffToken }),
      ...credentials(),
    });
  const refresh = (refreshToken: string) =>
    postForm(tokenUrl, { grant_type: 'refresh_token', refresh_token: refreshToken, ...credentials() });

  it("refuses a victim's access token obtained by another client, and links nothing", async () => {
    const { user, accessToken } = await victim(other);
    const refused = await expectNoWrites(f.gh.storage.db, async () =>
      facebookGrant(await attackerToken(), accessToken),
    );
    expect(refused).toMatchObject({
      status: 400,
      body: { error: 'invalid_grant', error_description: 'Invalid ff_token: it was issued to another client' },
    });
    expect(await f.gh.core.users.identities(user.id)).toEqual([]);
  });

  it('refuses an ff_token whose sign-in is older than the link window', async () => {
    const { user, accessToken } = await victim();
    clock.advance(5 * minute + 1000);
    const refused = await expectNoWrites(f.gh.storage.db, async () =>
      facebookGrant(await attackerToken(), accessToken),
    );
    expect(refused.body).toEqual({
      error: 'invalid_grant',
      error_description: 'Invalid ff_token: it is too old to link an account; sign in again',
    });
    expect(await f.gh.core.users.identities(user.id)).toEqual([]);
  });

  it('links with a fresh ff_token of the same client, once', async () => {
    const { user, accessToken } = await victim();
    const linked = await facebookGrant(await attackerToken(), accessToken);
    expect(linked.status).toBe(200);
    expect(claimsOf(linked.body.access_token)).toMatchObject({ sub: user.id, amr: ['external', 'facebook'] });
    const replayed = await expectNoWrites(f.gh.storage.db, async () =>
      facebookGrant(await attackerToken(), accessToken),
    );
    expect(replayed.body).toEqual({
      error: 'invalid_grant',
      error_description: 'Invalid ff_token: it has already been used',
    });
    expect(await f.gh.core.users.identities(user.id)).toHaveLength(1);
  });

  it('after an unlink, refuses the refresh tokens obtained through the identity and the ff_token that linked it', async () => {
    const { user, accessToken, refreshToken: ownRefreshToken } = await victim();
    const sub = `fb-${randomUUID()}`;
    const linked = await facebookGrant(await attackerToken(sub), accessToken);
    expect(linked.status).toBe(200);
    const signedIn = await facebookGrant(await attackerToken(sub));
    expect(claimsOf(signedIn.body.access_token).sub).toBe(user.id);

    const unlinked = await fetch(`${f.gh.url}/admin/tenants/${f.tenant.id}/users/${user.id}/identities/facebook`, {
      method: 'DELETE',
      headers: { authorization: `Bearer ${f.gh.adminToken}` },
    });
    expect(unlinked.status).toBe(204);

    for (const token of [linked.body.refresh_token, signedIn.body.refresh_token]) {
      expect(await refresh(String(token))).toMatchObject({
        status: 400,
        body: { error: 'invalid_grant', error_description: 'the refresh token has been revoked' },
      });
    }
    const relinked = await expectNoWrites(f.gh.storage.db, async () =>
      facebookGrant(await attackerToken(sub), accessToken),
    );
    expect(relinked.body).toEqual({
      error: 'invalid_grant',
      error_description: 'Invalid ff_token: it has already been used',
    });
    expect(await f.gh.core.users.identities(user.id)).toEqual([]);
    expect((await refresh(ownRefreshToken)).status).toBe(200);
  });

  it('revokes the refresh token of an account created from a newuser token when that identity is unlinked', async () => {
    const sub = `fb-${randomUUID()}`;
    const newUser = await facebookGrant(await attackerToken(sub));
    expect(claimsOf(newUser.body.access_token)).toMatchObject({ newuser: true });
    const created = await fetch(`${f.gh.url}/connect/accounts`, {
      method: 'POST',
      headers: { authorization: `Bearer ${String(newUser.body.access_token)}` },
    });
    expect(created.status).toBe(201);
    const account = (await created.json()) as { account: { id: string }; access_token: string; refresh_token: string };
    // A second way in: Google, linked with the fresh access token the account was created with.
    const google = (
      await f.idp.mint('google', { clientId: apps.google, sub: `g-${randomUUID()}`, email: `${sub}@evil.example` })
    ).id_token as string;
    const linked = await postForm(tokenUrl, {
      grant_type: 'Google',
      assertion: google,
      ff_token: account.access_token,
      ...credentials(),
    });
    expect(linked.status).toBe(200);

    const unlinked = await fetch(
      `${f.gh.url}/admin/tenants/${f.tenant.id}/users/${account.account.id}/identities/facebook`,
      {
        method: 'DELETE',
        headers: { authorization: `Bearer ${f.gh.adminToken}` },
      },
    );
    expect(unlinked.status).toBe(204);
    expect(await refresh(account.refresh_token)).toMatchObject({
      status: 400,
      body: { error: 'invalid_grant', error_description: 'the refresh token has been revoked' },
    });
    expect((await refresh(String(linked.body.refresh_token))).status).toBe(200);
  });
});
