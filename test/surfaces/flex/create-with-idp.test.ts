import sharetribe from 'sharetribe-flex-sdk';
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

interface CurrentUserData {
  readonly data: {
    readonly id: InstanceType<typeof sharetribe.types.UUID>;
    readonly type: string;
    readonly attributes?: Record<string, unknown> & { profile: Record<string, unknown> };
  };
}

const flexErrorOf = (data: unknown) => (data as { errors: Record<string, unknown>[] }).errors;

describe('POST /v1/api/current_user/create_with_idp (sharetribe-flex-sdk)', () => {
  it('creates the user from a Facebook token with an anonymous token, then logs in, as the Flex web template does', async () => {
    const { email, sub } = world.unique('ada');
    const idpToken = await world.facebookToken({
      sub,
      email,
      name: 'Ada Lovelace',
      givenName: 'Ada',
      familyName: 'Lovelace',
    });
    // The browser's SDK (the public client) signs up; the server's (the confidential client) logs in, into the
    // same token store, as the Flex web template's cookie store is shared.
    const store = sharetribe.tokenStore.memoryStore();
    const sdk = world.sdk(store);

    const created = await sdk.currentUser.createWithIdp(
      { idpId: 'facebook', idpClientId: facebookAppId, idpToken },
      { expand: true },
    );

    expect(created.status).toBe(200);
    const { data } = created.data as CurrentUserData;
    expect(data.id).toBeInstanceOf(sharetribe.types.UUID);
    expect(data.type).toBe('currentUser');
    expect(data.attributes?.createdAt).toBeInstanceOf(Date);
    expect(data.attributes).toEqual({
      banned: false,
      deleted: false,
      createdAt: expect.any(Date),
      email,
      emailVerified: true,
      pendingEmail: null,
      identityProviders: [{ idpId: 'facebook', userId: sub }],
      profile: {
        firstName: 'Ada',
        lastName: 'Lovelace',
        displayName: 'Ada Lovelace',
        abbreviatedName: 'AL',
        bio: null,
        publicData: {},
        protectedData: {},
        privateData: {},
        metadata: {},
      },
    });
    expect(await sdk.authInfo()).toMatchObject({ isAnonymous: true, scopes: ['public-read'] });

    const login = await world
      .serverSdk(store)
      .loginWithIdp({ idpId: 'facebook', idpClientId: facebookAppId, idpToken });
    expect(login.status).toBe(200);
    expect(login.data).toEqual({
      access_token: expect.any(String),
      token_type: 'bearer',
      expires_in: 60,
      scope: 'user',
      refresh_token: expect.any(String),
    });
    expect(await sdk.authInfo()).toMatchObject({ isAnonymous: false, scopes: ['user'] });

    const shown = await sdk.currentUser.show();
    expect((shown.data as CurrentUserData).data.id.uuid).toBe(data.id.uuid);

    const { users, identities } = await accountsOf(world);
    expect(users.filter((u) => u.id === data.id.uuid)).toMatchObject([{ email, email_verified: true }]);
    expect(identities.filter((i) => i.user_id === data.id.uuid)).toMatchObject([{ idp: 'facebook', subject: sub }]);
  });

  it('answers only the id and type without expand=true', async () => {
    const { email, sub } = world.unique('brief');
    const idpToken = await world.googleIdToken({ sub, email, emailVerified: true, name: 'Brief Person' });

    const created = await world
      .sdk()
      .currentUser.createWithIdp({ idpId: 'google', idpClientId: googleClientId, idpToken });

    expect(created.status).toBe(200);
    const { data } = created.data as CurrentUserData;
    expect(Object.keys(data).sort()).toEqual(['id', 'type']);
    expect(data.id).toBeInstanceOf(sharetribe.types.UUID);
    expect(data.type).toBe('currentUser');
  });

  it('keeps the names, bio and extended data the client sends, and stores an email the IdP did not verify as unverified', async () => {
    const { email: idpEmail, sub } = world.unique('claims');
    const { email: chosen } = world.unique('chosen');
    const idpToken = await world.googleIdToken({ sub, email: idpEmail, emailVerified: true, givenName: 'Grace' });

    const created = await world.sdk().currentUser.createWithIdp(
      {
        idpId: 'google',
        idpClientId: googleClientId,
        idpToken,
        email: chosen,
        firstName: 'Grace',
        lastName: 'Hopper',
        displayName: 'Amazing Grace',
        bio: 'Compilers.',
        publicData: { role: 'provider', languages: ['en', 'fi'] },
        protectedData: { phone: '+358 40 123' },
        privateData: { discoveredBy: 'friend' },
      },
      { expand: true },
    );

    const { attributes } = (created.data as CurrentUserData).data;
    expect(attributes).toMatchObject({
      email: chosen,
      emailVerified: false,
      identityProviders: [{ idpId: 'google', userId: sub }],
      profile: {
        firstName: 'Grace',
        lastName: 'Hopper',
        displayName: 'Amazing Grace',
        abbreviatedName: 'GH',
        bio: 'Compilers.',
        publicData: { role: 'provider', languages: ['en', 'fi'] },
        protectedData: { phone: '+358 40 123' },
        privateData: { discoveredBy: 'friend' },
      },
    });
    const { users } = await accountsOf(world);
    expect(users.find((u) => u.email === chosen)).toMatchObject({ email_verified: false });
  });

  it('creates with an ID token of any configured OpenID connection, by its connection id', async () => {
    const { email, sub } = world.unique('acme');
    const idpToken = await world.oidcIdToken({ sub, email, emailVerified: true, name: 'Acme Worker' });

    const created = await world
      .sdk()
      .currentUser.createWithIdp({ idpId: oidcConnectionId, idpClientId: oidcClientId, idpToken }, { expand: true });

    expect((created.data as CurrentUserData).data.attributes).toMatchObject({
      email,
      emailVerified: true,
      identityProviders: [{ idpId: oidcConnectionId, userId: sub }],
    });
  });

  it('accepts a token issued to one of the connection audiences when idpClientId names it', async () => {
    const { email, sub } = world.unique('android');
    const idpToken = await world.googleIdToken({ sub, email, emailVerified: true, clientId: googleAndroidClientId });

    const created = await world
      .sdk()
      .currentUser.createWithIdp({ idpId: 'google', idpClientId: googleAndroidClientId, idpToken });

    expect(created.status).toBe(200);
  });

  it('answers a chosen email that belongs to another user as it answers a new one, and takes nothing of the owner', async () => {
    const signUp = async (label: string, chosen: string) => {
      const { sub } = world.unique(label);
      const idpToken = await world.googleIdToken({ sub, email: `${sub}@idp.example`, emailVerified: true });
      const created = await world.sdk().currentUser.createWithIdp(
        {
          idpId: 'google',
          idpClientId: googleClientId,
          idpToken,
          email: chosen,
          firstName: 'Eve',
          lastName: 'Probe',
        },
        { expand: true },
      );
      const { id, attributes } = (created.data as CurrentUserData).data;
      const { createdAt: _, identityProviders: __, ...rest } = attributes ?? { profile: {} };
      return { status: created.status, id: id.uuid, rest, idpToken };
    };
    const { email: ownersEmail } = world.unique('owner');
    const owner = await world.aUser({ email: ownersEmail, emailVerified: true, password: 'the owner’s password' });

    const unknown = await signUp('probe-unknown', world.unique('nobody').email);
    const taken = await signUp('probe-taken', ownersEmail);

    expect(taken.status).toBe(unknown.status);
    expect(taken.rest).toEqual({ ...unknown.rest, email: ownersEmail });
    expect(taken.id).not.toBe(owner.id);
    const { users } = await accountsOf(world);
    expect(users.filter((u) => u.email === ownersEmail)).toMatchObject([{ id: owner.id, email_verified: true }]);
    // The new account signs in with its identity, and is not the owner's.
    const login = world.serverSdk();
    await login.loginWithIdp({ idpId: 'google', idpClientId: googleClientId, idpToken: taken.idpToken });
    const shown = (await login.currentUser.show()).data as CurrentUserData;
    expect(shown.data.id.uuid).toBe(taken.id);
    expect(shown.data.attributes).toMatchObject({ email: ownersEmail, emailVerified: false });
  });

  it('answers 409 email-taken and writes nothing when the email belongs to another user', async () => {
    const { email, sub } = world.unique('taken');
    await world.aUser({ email, emailVerified: false });
    const idpToken = await world.facebookToken({ sub, email });

    const failure = await expectNoWrites(world.gh.storage.db, () =>
      sdkFailure(world.sdk().currentUser.createWithIdp({ idpId: 'facebook', idpClientId: facebookAppId, idpToken })),
    );

    expect(failure.status).toBe(409);
    expect(flexErrorOf(failure.data)).toEqual([
      {
        id: expect.any(sharetribe.types.UUID),
        status: 409,
        code: 'email-taken',
        title: 'Email is already taken',
        details: expect.objectContaining({ message: expect.any(String) }),
      },
    ]);
  });

  it('answers 409 email-taken even when the email is verified on both sides: create_with_idp never links', async () => {
    const { email, sub } = world.unique('verified-taken');
    await world.aUser({ email, emailVerified: true });
    const idpToken = await world.googleIdToken({ sub, email, emailVerified: true });

    const failure = await expectNoWrites(world.gh.storage.db, () =>
      sdkFailure(world.sdk().currentUser.createWithIdp({ idpId: 'google', idpClientId: googleClientId, idpToken })),
    );

    expect(failure.status).toBe(409);
    expect(flexErrorOf(failure.data)[0]).toMatchObject({ code: 'email-taken' });
  });

  it('answers 409 conflict when the identity already has a user', async () => {
    const { email, sub } = world.unique('twice');
    const idpToken = await world.facebookToken({ sub, email });
    const sdk = world.sdk();
    await sdk.currentUser.createWithIdp({ idpId: 'facebook', idpClientId: facebookAppId, idpToken });

    const failure = await expectNoWrites(world.gh.storage.db, () =>
      sdkFailure(sdk.currentUser.createWithIdp({ idpId: 'facebook', idpClientId: facebookAppId, idpToken })),
    );

    expect(failure.status).toBe(409);
    expect(flexErrorOf(failure.data)[0]).toMatchObject({ status: 409, code: 'conflict' });
  });

  it('answers 401 idp-token-invalid and writes nothing for a token the IdP does not vouch for', async () => {
    const failure = await expectNoWrites(world.gh.storage.db, () =>
      sdkFailure(
        world.sdk().currentUser.createWithIdp({
          idpId: 'facebook',
          idpClientId: facebookAppId,
          idpToken: 'EAAG-not-a-real-token',
        }),
      ),
    );

    expect(failure.status).toBe(401);
    expect(flexErrorOf(failure.data)).toEqual([
      {
        id: expect.any(sharetribe.types.UUID),
        status: 401,
        code: 'idp-token-invalid',
        title: 'The identity provider token is invalid',
        details: expect.objectContaining({ message: expect.any(String) }),
      },
    ]);
  });

  it('answers 401 idp-token-invalid for a token of another Facebook app, even when idpClientId names that app', async () => {
    const { email, sub } = world.unique('foreign');
    const idpToken = await world.facebookToken({ sub, email, clientId: '999000999' });
    const sdk = world.sdk();

    for (const idpClientId of [facebookAppId, '999000999']) {
      const failure = await expectNoWrites(world.gh.storage.db, () =>
        sdkFailure(sdk.currentUser.createWithIdp({ idpId: 'facebook', idpClientId, idpToken })),
      );
      expect(failure.status).toBe(401);
      expect(flexErrorOf(failure.data)[0]).toMatchObject({ code: 'idp-token-invalid' });
    }
  });

  it('answers 401 idp-token-invalid for a Google ID token issued to another client', async () => {
    const { email, sub } = world.unique('other-client');
    const idpToken = await world.googleIdToken({ sub, email, emailVerified: true, clientId: 'someone-else.apps' });

    const failure = await expectNoWrites(world.gh.storage.db, () =>
      sdkFailure(world.sdk().currentUser.createWithIdp({ idpId: 'google', idpClientId: googleClientId, idpToken })),
    );

    expect(failure.status).toBe(401);
    expect(flexErrorOf(failure.data)[0]).toMatchObject({ code: 'idp-token-invalid' });
  });

  it('answers 400 validation-invalid-params for an idpId the marketplace has not configured', async () => {
    const failure = await sdkFailure(
      world.sdk().currentUser.createWithIdp({ idpId: 'myspace', idpClientId: 'x', idpToken: 'y' }),
    );

    expect(failure.status).toBe(400);
    expect(flexErrorOf(failure.data)[0]).toMatchObject({ status: 400, code: 'validation-invalid-params' });
  });

  it('answers 400 validation-invalid-params when the IdP gives no email and the client sends none', async () => {
    const { sub } = world.unique('no-mail');
    const idpToken = await world.facebookToken({ sub, name: 'No Mail' });

    const failure = await expectNoWrites(world.gh.storage.db, () =>
      sdkFailure(world.sdk().currentUser.createWithIdp({ idpId: 'facebook', idpClientId: facebookAppId, idpToken })),
    );

    expect(failure.status).toBe(400);
    expect(flexErrorOf(failure.data)[0]).toMatchObject({ code: 'validation-invalid-params' });
  });
});
