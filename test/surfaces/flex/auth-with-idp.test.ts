import type sharetribe from 'sharetribe-flex-sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectNoWrites } from '../../harness/storage.js';
import {
  accountsOf,
  type FlexWorld,
  facebookAppId,
  googleAndroidClientId,
  googleClientId,
  oidcClientId,
  oidcConnectionId,
  sdkFailure,
  startFlexWorld,
} from './support.js';

let world: FlexWorld;

beforeAll(async () => {
  world = await startFlexWorld();
});
afterAll(async () => world?.close());

type CurrentUser = {
  data: { id: InstanceType<typeof sharetribe.types.UUID>; attributes: Record<string, unknown> };
};

const userTokens = {
  access_token: expect.any(String),
  token_type: 'bearer',
  expires_in: 60,
  scope: 'user',
  refresh_token: expect.any(String),
};

describe('POST /v1/auth/auth_with_idp (sharetribe-flex-sdk loginWithIdp)', () => {
  it('logs in a user whose identity is linked, from a fresh SDK instance, and the user tokens reach the Marketplace API', async () => {
    const { email, sub } = world.unique('linked');
    const created = await world.sdk().currentUser.createWithIdp({
      idpId: 'facebook',
      idpClientId: facebookAppId,
      idpToken: await world.facebookToken({ sub, email }),
    });
    const userId = (created.data as CurrentUser).data.id.uuid;
    const sdk = world.serverSdk();

    const login = await sdk.loginWithIdp({
      idpId: 'facebook',
      idpClientId: facebookAppId,
      idpToken: await world.facebookToken({ sub, email }),
    });

    expect(login.status).toBe(200);
    expect(login.data).toEqual(userTokens);
    const shown = await sdk.currentUser.show();
    expect(shown.status).toBe(200);
    expect((shown.data as CurrentUser).data.id.uuid).toBe(userId);
    expect((shown.data as CurrentUser).data.attributes).toMatchObject({
      email,
      identityProviders: [{ idpId: 'facebook', userId: sub }],
    });
  });

  it('logs in with an OpenID Connect ID token of a configured connection', async () => {
    const { email, sub } = world.unique('oidc-login');
    const idpToken = await world.oidcIdToken({ sub, email, emailVerified: true });
    await world.sdk().currentUser.createWithIdp({ idpId: oidcConnectionId, idpClientId: oidcClientId, idpToken });

    const login = await world
      .serverSdk()
      .loginWithIdp({ idpId: oidcConnectionId, idpClientId: oidcClientId, idpToken });

    expect(login.status).toBe(200);
    expect(login.data).toEqual(userTokens);
  });

  it("links the identity implicitly when the IdP-verified email is a verified user's, and logs that user in", async () => {
    const { email, sub } = world.unique('implicit');
    const existing = await world.aUser({ email, emailVerified: true, password: 'correct horse battery' });
    const before = await accountsOf(world);
    const sdk = world.serverSdk();

    const login = await sdk.loginWithIdp({
      idpId: 'google',
      idpClientId: googleClientId,
      idpToken: await world.googleIdToken({ sub, email: email.toUpperCase(), emailVerified: true }),
    });

    expect(login.status).toBe(200);
    expect(login.data).toEqual(userTokens);
    const shown = (await sdk.currentUser.show()).data as CurrentUser;
    expect(shown.data.id.uuid).toBe(existing.id);
    expect(shown.data.attributes.identityProviders).toEqual([{ idpId: 'google', userId: sub }]);
    const after = await accountsOf(world);
    expect(after.users).toHaveLength(before.users.length);
    expect(after.identities.filter((i) => i.user_id === existing.id)).toMatchObject([{ idp: 'google', subject: sub }]);
  });

  it('never links an address that only folds into a user’s (fullwidth letters): it is another mailbox', async () => {
    const { email, sub } = world.unique('fold');
    await world.aUser({ email, emailVerified: true });
    const [local, domain] = email.split('@') as [string, string];
    const fullwidth = `${[...local].map((c) => (/[a-z]/.test(c) ? String.fromCodePoint(c.codePointAt(0)! + 0xfee0) : c)).join('')}@${domain}`;
    const idpToken = await world.googleIdToken({ sub, email: fullwidth, emailVerified: true });

    const failure = await expectNoWrites(world.gh.storage.db, () =>
      sdkFailure(world.serverSdk().loginWithIdp({ idpId: 'google', idpClientId: googleClientId, idpToken })),
    );

    expect(failure).toMatchObject({ status: 401, data: { error: 'invalid_grant' } });
  });

  it("answers 401 with an OAuth error and links nothing when the user's own email is unverified", async () => {
    const { email, sub } = world.unique('unverified-user');
    await world.aUser({ email, emailVerified: false });
    const idpToken = await world.googleIdToken({ sub, email, emailVerified: true });

    const failure = await expectNoWrites(world.gh.storage.db, () =>
      sdkFailure(world.serverSdk().loginWithIdp({ idpId: 'google', idpClientId: googleClientId, idpToken })),
    );

    expect(failure).toEqual({
      status: 401,
      data: { error: 'invalid_grant', error_description: expect.stringContaining('existing user') },
    });
  });

  it('answers 401 and links nothing when the IdP does not vouch for the email', async () => {
    const { email, sub } = world.unique('unverified-idp');
    await world.aUser({ email, emailVerified: true });
    const idpToken = await world.googleIdToken({ sub, email, emailVerified: false });

    const failure = await expectNoWrites(world.gh.storage.db, () =>
      sdkFailure(world.serverSdk().loginWithIdp({ idpId: 'google', idpClientId: googleClientId, idpToken })),
    );

    expect(failure.status).toBe(401);
    expect(failure.data).toMatchObject({ error: 'invalid_grant' });
  });

  it('answers an unverified email of an existing user exactly as an unknown one', async () => {
    const { email, sub } = world.unique('probe');
    await world.aUser({ email, emailVerified: true });
    const login = async (address: string, subject: string) =>
      sdkFailure(
        world.serverSdk().loginWithIdp({
          idpId: 'google',
          idpClientId: googleClientId,
          idpToken: await world.googleIdToken({ sub: subject, email: address, emailVerified: false }),
        }),
      );

    const taken = await expectNoWrites(world.gh.storage.db, () => login(email, sub));
    const stranger = world.unique('probe-stranger');
    const unknown = await login(stranger.email, stranger.sub);

    expect(taken).toEqual(unknown);
    expect(taken).toMatchObject({ status: 401, data: { error: 'invalid_grant' } });
  });

  it('answers 401 and creates nothing when no user has the identity or its email', async () => {
    const { email, sub } = world.unique('stranger');
    const idpToken = await world.facebookToken({ sub, email });

    const failure = await expectNoWrites(world.gh.storage.db, () =>
      sdkFailure(world.serverSdk().loginWithIdp({ idpId: 'facebook', idpClientId: facebookAppId, idpToken })),
    );

    expect(failure).toEqual({
      status: 401,
      data: { error: 'invalid_grant', error_description: expect.stringContaining('create_with_idp') },
    });
  });

  it('answers 401 for a token the IdP does not vouch for, and for a token of another app', async () => {
    const { email, sub } = world.unique('bad-token');
    const foreign = await world.facebookToken({ sub, email, clientId: '999000999' });
    const sdk = world.serverSdk();

    for (const [idpClientId, idpToken] of [
      [facebookAppId, 'EAAG-forged'],
      [facebookAppId, foreign],
      ['999000999', foreign],
    ] as const) {
      const failure = await expectNoWrites(world.gh.storage.db, () =>
        sdkFailure(sdk.loginWithIdp({ idpId: 'facebook', idpClientId, idpToken })),
      );
      expect(failure.status).toBe(401);
      expect(failure.data).toMatchObject({ error: 'invalid_grant', error_description: expect.any(String) });
    }
    expect(await sdk.authInfo()).toEqual({});
  });

  it('refuses with 401 and issues nothing when the marketplace requires a second factor after social logins', async () => {
    const { email, sub } = world.unique('mfa');
    const idpToken = await world.facebookToken({ sub, email });
    await world.sdk().currentUser.createWithIdp({ idpId: 'facebook', idpClientId: facebookAppId, idpToken });
    const families = () => world.gh.storage.db.selectFrom('token_families').select('id').execute();
    const before = await families();
    await world.gh.core.tenants.update(world.tenant.id, { policies: { mfa: 'social' } });
    try {
      const failure = await sdkFailure(
        world.serverSdk().loginWithIdp({ idpId: 'facebook', idpClientId: facebookAppId, idpToken }),
      );

      expect(failure).toEqual({
        status: 401,
        data: { error: 'invalid_grant', error_description: expect.stringContaining('second factor') },
      });
      expect(await families()).toHaveLength(before.length);
    } finally {
      await world.gh.core.tenants.update(world.tenant.id, { policies: { mfa: 'off' } });
    }
  });

  it.each([
    ['issued a week ago', (now: number) => ({ iat: now - 7 * 86400, exp: now + 3600 })],
    ['valid for a month', (now: number) => ({ exp: now + 30 * 86400 })],
    ['also issued to an audience the connection does not trust', () => ({ aud: [googleClientId, 'someone-else'] })],
    [
      'issued to two trusted audiences, with no authorized party',
      () => ({ aud: [googleClientId, googleAndroidClientId] }),
    ],
  ])('refuses an ID token %s, and issues nothing', async (_name, claimsAt) => {
    const { email, sub } = world.unique('bounds');
    await world.sdk().currentUser.createWithIdp({
      idpId: 'google',
      idpClientId: googleClientId,
      idpToken: await world.googleIdToken({ sub, email, emailVerified: true }),
    });
    const now = Math.floor(Date.now() / 1000);
    const idpToken = await world.googleIdToken({ sub, email, emailVerified: true, claims: claimsAt(now) });

    const failure = await expectNoWrites(world.gh.storage.db, () =>
      sdkFailure(world.serverSdk().loginWithIdp({ idpId: 'google', idpClientId: googleClientId, idpToken })),
    );

    expect(failure).toMatchObject({ status: 401, data: { error: 'invalid_grant' } });
  });

  it('refuses an ID token whose subject is longer than 255 characters, and creates nothing', async () => {
    const { email, sub } = world.unique('long-sub');
    const idpToken = await world.googleIdToken({ sub, email, emailVerified: true, claims: { sub: 'x'.repeat(4096) } });

    const failure = await expectNoWrites(world.gh.storage.db, () =>
      sdkFailure(world.sdk().currentUser.createWithIdp({ idpId: 'google', idpClientId: googleClientId, idpToken })),
    );

    expect(failure.status).toBe(401);
  });

  it('answers 401 invalid_client for a wrong client secret', async () => {
    const { email, sub } = world.unique('wrong-secret');
    const sdk = (await import('sharetribe-flex-sdk')).default.createInstance({
      clientId: world.serverClientId,
      clientSecret: 'not-the-secret',
      baseUrl: world.gh.url,
    });

    const failure = await sdkFailure(
      sdk.loginWithIdp({
        idpId: 'facebook',
        idpClientId: facebookAppId,
        idpToken: await world.facebookToken({ sub, email }),
      }),
    );

    expect(failure).toEqual({ status: 401, data: { error: 'invalid_client', error_description: expect.any(String) } });
  });
});

describe('POST /v1/auth/auth_with_idp under the merge_needed linking policy', () => {
  let strict: FlexWorld;
  beforeAll(async () => {
    strict = await startFlexWorld({ linking: 'merge_needed' });
  });
  afterAll(async () => strict?.close());

  it("refuses with 401 and links nothing when the IdP-verified email is a verified user's", async () => {
    const { email, sub } = strict.unique('strict');
    await strict.aUser({ email, emailVerified: true });
    const idpToken = await strict.googleIdToken({ sub, email, emailVerified: true });

    const failure = await expectNoWrites(strict.gh.storage.db, () =>
      sdkFailure(strict.serverSdk().loginWithIdp({ idpId: 'google', idpClientId: googleClientId, idpToken })),
    );

    expect(failure.status).toBe(401);
    expect(failure.data).toMatchObject({ error: 'invalid_grant' });
  });
});
