/**
 * The STS "Login with Facebook" document's scenarios, one test each, named after its table rows.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestClock } from '../../../src/lib/clock.js';
import { apps, claimsOf, postForm, type SocialFixture, startSocialFixture } from '../../harness/social.js';
import { expectNoWrites } from '../../harness/storage.js';

// Starts at the real time: the emulated Facebook dates its tokens by the wall clock.
const clock = createTestClock(new Date());
let f: SocialFixture;
let tokenUrl: string;

const facebookToken = async (sub: string, email?: string, clientId: string = apps.facebook) =>
  (
    await f.idp.mint('facebook', {
      clientId,
      sub,
      ...(email === undefined ? {} : { email, emailVerified: true }),
      name: 'Fiona Book',
    })
  ).access_token as string;

const grant = (assertion: string, extra: Record<string, string> = {}) =>
  postForm(tokenUrl, {
    grant_type: 'Facebook',
    client_id: f.clientId,
    client_secret: f.clientSecret,
    assertion,
    scope: 'api',
    ...extra,
  });

beforeAll(async () => {
  f = await startSocialFixture({ tenantId: 'sts-seed', start: { clock } });
  tokenUrl = `${f.gh.url}/connect/token`;
});
afterAll(async () => f?.close());

describe('POST /connect/token grant_type=Facebook (the STS document)', () => {
  it('Every time this grant type is used a request is made to Facebook to verify the user (a token verified in the last minute excepted).', async () => {
    const token = await facebookToken('fb-verify-1', 'verify@example.com');
    const ok = await grant(token);
    expect(ok.status).toBe(200);
    expect(claimsOf(ok.body.access_token)).toMatchObject({ newuser: true, idp_sub: 'fb-verify-1' });
    // A token Facebook issued to another app is refused: the check asks Facebook whose token it is.
    const foreign = await expectNoWrites(f.gh.storage.db, async () =>
      grant(await facebookToken('fb-verify-2', 'v2@example.com', 'another-app')),
    );
    expect(foreign.status).toBe(400);
    expect(foreign.body.error).toBe('invalid_grant');

    const fresh = await facebookToken('fb-verify-3', 'v3@example.com');
    await f.idp.control({ provider: 'facebook', mode: 'down' });
    try {
      // With Facebook down, a token not yet verified cannot be: 502, never a token.
      const down = await grant(fresh);
      expect(down.status).toBe(502);
      expect(down.body).toMatchObject({ error: 'temporarily_unavailable' });
      // The token verified a moment ago is answered from that check, without asking Facebook.
      const again = await grant(token);
      expect(again.status).toBe(200);
      expect(claimsOf(again.body.access_token)).toMatchObject({ newuser: true, idp_sub: 'fb-verify-1' });
      // Past the minute a check is kept, the same token is asked of Facebook again.
      clock.advance(61_000);
      const later = await grant(token);
      expect(later.status).toBe(502);
      expect(later.body).toMatchObject({ error: 'temporarily_unavailable' });
    } finally {
      await f.idp.control({ provider: 'facebook', mode: 'normal' });
    }
  });

  it('Merge needed error.', async () => {
    await f.gh.core.users.create(f.tenant.id, {
      email: 'existing@example.com',
      password: 'existing password',
      emailVerified: true,
    });
    const response = await expectNoWrites(f.gh.storage.db, async () =>
      grant(await facebookToken('fb-merge', 'Existing@Example.com')),
    );
    expect(response.status).toBe(400);
    expect(response.body).toEqual({
      error: 'invalid_grant',
      error_description: 'Merge needed for email existing@example.com',
    });
  });

  it('Create a new account.', async () => {
    const response = await expectNoWrites(f.gh.storage.db, async () =>
      grant(await facebookToken('fb-new', 'newcomer@example.com')),
    );
    expect(response.status).toBe(200);
    const claims = claimsOf(response.body.access_token);
    expect(claims).toMatchObject({
      newuser: true,
      scope: 'account:create',
      email: 'newcomer@example.com',
      idp: 'facebook',
      idp_sub: 'fb-new',
    });
    expect(response.body.refresh_token).toBeUndefined();

    // The one thing it can do: create the account, once.
    const created = await fetch(`${f.gh.url}/connect/accounts`, {
      method: 'POST',
      headers: { authorization: `Bearer ${response.body.access_token as string}`, 'content-type': 'application/json' },
      body: JSON.stringify({ firstName: 'New', lastName: 'Comer', scope: 'api' }),
    });
    expect(created.status).toBe(201);
    const body = (await created.json()) as Record<string, unknown>;
    expect(body.account).toMatchObject({
      email: 'newcomer@example.com',
      email_verified: true,
      given_name: 'New',
      family_name: 'Comer',
    });
    expect(claimsOf(body.access_token)).toMatchObject({ amr: ['external', 'facebook'], scope: 'api' });
    expect(typeof body.refresh_token).toBe('string');

    const replay = await fetch(`${f.gh.url}/connect/accounts`, {
      method: 'POST',
      headers: { authorization: `Bearer ${response.body.access_token as string}`, 'content-type': 'application/json' },
      body: '{}',
    });
    expect(replay.status).toBe(401);
    expect(await replay.json()).toEqual({
      error: 'invalid_token',
      error_description: 'the access token has been revoked',
    });

    // The newuser token is not an access token of any user: userinfo refuses it.
    const userinfo = await fetch(`${f.gh.issuer(f.tenant.id)}/userinfo`, {
      headers: { authorization: `Bearer ${response.body.access_token as string}` },
    });
    expect(userinfo.status).toBe(401);
  });

  it('User login.', async () => {
    const token = await facebookToken('fb-known', 'known@example.com');
    const first = await grant(token);
    const created = await fetch(`${f.gh.url}/connect/accounts`, {
      method: 'POST',
      headers: { authorization: `Bearer ${first.body.access_token as string}`, 'content-type': 'application/json' },
      body: '{}',
    });
    const account = ((await created.json()) as { account: { id: string } }).account;
    const login = await grant(await facebookToken('fb-known', 'known@example.com'));
    expect(login.status).toBe(200);
    const claims = claimsOf(login.body.access_token);
    expect(claims).toMatchObject({
      sub: account.id,
      amr: ['external', 'facebook'],
      scope: 'api',
      client_id: f.clientId,
    });
    expect(claims.newuser).toBeUndefined();
    expect(login.body).toMatchObject({ token_type: 'Bearer', scope: 'api' });
  });

  it('Merging a Farfetch account with a Facebook account.', async () => {
    await f.gh.core.users.create(f.tenant.id, {
      email: 'merge.me@example.com',
      password: 'merge me please',
      emailVerified: true,
    });
    const fb = await facebookToken('fb-merge-2', 'merge.me@example.com');
    const refused = await grant(fb);
    expect(refused.body.error_description).toBe('Merge needed for email merge.me@example.com');

    // The existing account's token (from a password sign-in at the same endpoint) plus the Facebook token link them.
    const password = await postForm(tokenUrl, {
      grant_type: 'password',
      client_id: f.clientId,
      client_secret: f.clientSecret,
      username: 'merge.me@example.com',
      password: 'merge me please',
      scope: 'api',
    });
    expect(password.status).toBe(200);
    const linked = await grant(fb, { ff_token: password.body.access_token as string });
    expect(linked.status).toBe(200);
    const user = await f.gh.core.users.findByEmail(f.tenant.id, 'merge.me@example.com');
    expect(claimsOf(linked.body.access_token)).toMatchObject({ sub: user?.id, amr: ['external', 'facebook'] });
    expect((await f.gh.core.users.identities(user?.id ?? '')).map((i) => [i.idp, i.subject])).toEqual([
      ['facebook', 'fb-merge-2'],
    ]);
    // From now on the Facebook token alone signs in.
    expect((await grant(fb)).status).toBe(200);
  });

  it('A Facebook account without email.', async () => {
    const response = await expectNoWrites(f.gh.storage.db, async () => grant(await facebookToken('fb-no-email')));
    expect(response.status).toBe(400);
    expect(response.body).toEqual({ error: 'invalid_grant', error_description: 'No email returned from facebook' });
  });
});
