import sharetribe, { type StoredToken } from 'sharetribe-flex-sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectNoWrites } from '../../harness/storage.js';
import {
  accessTokenTtlSeconds,
  accountsOf,
  type FlexWorld,
  facebookAppId,
  sdkFailure,
  startFlexWorld,
} from './support.js';

let world: FlexWorld;

beforeAll(async () => {
  world = await startFlexWorld();
});
afterAll(async () => world?.close());

type CurrentUser = {
  data: { id: InstanceType<typeof sharetribe.types.UUID>; type: string; attributes: Record<string, unknown> };
};

const password = 'correct horse battery staple';

/** A user signed up through the SDK and logged in on `store`. */
const signedIn = async (label: string) => {
  const { email } = world.unique(label);
  const store = sharetribe.tokenStore.memoryStore();
  const sdk = world.sdk(store);
  await sdk.currentUser.create({ email, password, firstName: 'Pat', lastName: 'Doe' });
  await sdk.login({ username: email, password });
  return { sdk, store, email };
};

const storedToken = (store: ReturnType<typeof sharetribe.tokenStore.memoryStore>): StoredToken => {
  const token = store.getToken();
  if (token == null) throw new Error('the token store is empty');
  return token;
};

const requireRefreshToken = (token: StoredToken | undefined): string => {
  if (token?.refresh_token === undefined) throw new Error('the token has no refresh token');
  return token.refresh_token;
};

/** A plain client's refresh at the Auth API. */
const refreshWith = (refreshToken: string) =>
  fetch(`${world.gh.url}/v1/auth/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ client_id: world.clientId, grant_type: 'refresh_token', refresh_token: refreshToken }),
  });

/** What a plain client sees when it presents `accessToken` to the Marketplace API. */
const showWith = (accessToken: string) =>
  fetch(`${world.gh.url}/v1/api/current_user/show`, {
    headers: { authorization: `Bearer ${accessToken}`, accept: 'application/json' },
  });

describe('POST /v1/api/current_user/create and POST /v1/auth/token password (sharetribe-flex-sdk)', () => {
  it('signs up with email and password, logs in, and shows the current user', async () => {
    const { email } = world.unique('pat');
    const sdk = world.sdk();

    const created = await sdk.currentUser.create(
      {
        email,
        password,
        firstName: 'Pat',
        lastName: 'Doe',
        publicData: { role: 'customer' },
        protectedData: { phoneNumber: '+1 555 0100' },
      },
      { expand: true },
    );

    expect(created.status).toBe(200);
    const user = (created.data as CurrentUser).data;
    expect(user.id).toBeInstanceOf(sharetribe.types.UUID);
    expect(user.attributes).toMatchObject({
      email,
      emailVerified: false,
      createdAt: expect.any(Date),
      identityProviders: [],
      profile: {
        firstName: 'Pat',
        lastName: 'Doe',
        displayName: 'Pat D',
        abbreviatedName: 'PD',
        publicData: { role: 'customer' },
        protectedData: { phoneNumber: '+1 555 0100' },
        privateData: {},
      },
    });

    const login = await sdk.login({ username: email, password });
    expect(login.status).toBe(200);
    expect(login.data).toEqual({
      access_token: expect.any(String),
      token_type: 'bearer',
      expires_in: accessTokenTtlSeconds,
      scope: 'user',
      refresh_token: expect.any(String),
    });
    expect(await sdk.authInfo()).toMatchObject({ isAnonymous: false, scopes: ['user'] });

    const shown = await sdk.currentUser.show();
    expect(shown.status).toBe(200);
    expect((shown.data as CurrentUser).data).toMatchObject({ id: user.id, type: 'currentUser' });
  });

  it('answers 409 email-taken and writes nothing when the email is in use', async () => {
    const { email } = world.unique('dup');
    await world.aUser({ email: email.toUpperCase() });

    const failure = await expectNoWrites(world.gh.storage.db, () =>
      sdkFailure(world.sdk().currentUser.create({ email, password, firstName: 'Dup', lastName: 'Licate' })),
    );

    expect(failure.status).toBe(409);
    expect((failure.data as { errors: unknown[] }).errors).toEqual([
      expect.objectContaining({ status: 409, code: 'email-taken', id: expect.any(sharetribe.types.UUID) }),
    ]);
  });

  it('answers 400 validation-invalid-params and writes nothing for a short password or a missing name', async () => {
    const { email } = world.unique('short');
    const sdk = world.sdk();

    for (const params of [
      { email, password: 'short', firstName: 'A', lastName: 'B' },
      { email, password },
      { email: 'not-an-email', password, firstName: 'A', lastName: 'B' },
    ]) {
      const failure = await expectNoWrites(world.gh.storage.db, () => sdkFailure(sdk.currentUser.create(params)));
      expect(failure.status).toBe(400);
      expect((failure.data as { errors: unknown[] }).errors).toEqual([
        expect.objectContaining({ status: 400, code: 'validation-invalid-params' }),
      ]);
    }
  });

  it('answers 401 invalid_grant for a wrong password and keeps the anonymous session', async () => {
    const { email } = world.unique('wrong');
    const sdk = world.sdk();
    await sdk.currentUser.create({ email, password, firstName: 'W', lastName: 'Rong' });

    const failure = await sdkFailure(sdk.login({ username: email, password: 'not the password' }));

    expect(failure).toEqual({ status: 401, data: { error: 'invalid_grant', error_description: expect.any(String) } });
    expect(await sdk.authInfo()).toMatchObject({ isAnonymous: true });
  });

  it('answers 403 forbidden to current_user/show with an anonymous token', async () => {
    const sdk = world.sdk();
    await sdk.currentUser.create({ email: world.unique('anon').email, password, firstName: 'A', lastName: 'Non' });

    const failure = await sdkFailure(sdk.currentUser.show());

    expect(failure.status).toBe(403);
    expect((failure.data as { errors: unknown[] }).errors).toEqual([
      expect.objectContaining({ status: 403, code: 'forbidden' }),
    ]);
  });
});

describe('token refresh and logout (sharetribe-flex-sdk)', () => {
  it('refreshes an expired access token and retries, rotating the refresh token', async () => {
    const { sdk, store } = await signedIn('refresh');
    const first = storedToken(store);

    world.clock.advance((accessTokenTtlSeconds + 30) * 1000);
    expect((await showWith(first.access_token)).status).toBe(401);
    const shown = await sdk.currentUser.show();

    expect(shown.status).toBe(200);
    const second = storedToken(store);
    expect(second.access_token).not.toBe(first.access_token);
    expect(second.refresh_token).toEqual(expect.any(String));
    expect(second.refresh_token).not.toBe(first.refresh_token);
    expect(second.scope).toBe('user');
    // The spent refresh token is not accepted again.
    const replay = await fetch(`${world.gh.url}/v1/auth/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({
        client_id: world.clientId,
        grant_type: 'refresh_token',
        refresh_token: first.refresh_token ?? '',
      }),
    });
    expect(replay.status).toBe(401);
    expect(await replay.json()).toMatchObject({ error: 'invalid_grant' });
  });

  it('logs out: the refresh token and the access tokens of the session stop working and the store is cleared', async () => {
    const { sdk, store } = await signedIn('logout');
    const token = storedToken(store);

    const logout = await sdk.logout();

    expect(logout).toMatchObject({ status: 200 });
    expect(store.getToken()).toBeNull();
    expect(await sdk.authInfo()).toEqual({});
    expect((await showWith(token.access_token)).status).toBe(401);
    // The session's one refresh token, never used: refused because the logout revoked it.
    const refresh = await refreshWith(requireRefreshToken(token));
    expect(refresh.status).toBe(401);
    expect(await refresh.json()).toEqual({
      error: 'invalid_grant',
      error_description: 'the refresh token has been revoked',
    });
  });

  it('logs out after the access token expired: the SDK refreshes, then revokes', async () => {
    const { email } = world.unique('late-logout');
    // A token store that remembers every token the SDK kept, to find the one it refreshed to before logging out.
    const memory = sharetribe.tokenStore.memoryStore();
    const kept: StoredToken[] = [];
    const store = {
      getToken: () => memory.getToken(),
      setToken: (token: StoredToken) => {
        kept.push(token);
        memory.setToken(token);
      },
      removeToken: () => memory.removeToken(),
    };
    const sdk = world.sdk(store);
    await sdk.currentUser.create({ email, password, firstName: 'Pat', lastName: 'Doe' });
    await sdk.login({ username: email, password });
    const signedInWith = storedToken(store);
    world.clock.advance((accessTokenTtlSeconds + 30) * 1000);

    await sdk.logout();

    expect(store.getToken()).toBeNull();
    // The SDK refreshed once (the access token had expired), then revoked the refreshed grant.
    const refreshed = kept.at(-1);
    expect(refreshed?.refresh_token).not.toBe(signedInWith.refresh_token);
    const refresh = await refreshWith(requireRefreshToken(refreshed));
    expect(refresh.status).toBe(401);
    expect(await refresh.json()).toEqual({
      error: 'invalid_grant',
      error_description: 'the refresh token has been revoked',
    });
  });

  it('leaves no token, password or IdP token in the logs', async () => {
    const { store, email } = await signedIn('logs');
    const token = storedToken(store);
    const idp = world.unique('logs-idp');
    const idpToken = await world.facebookToken({ sub: idp.sub, email: idp.email });
    const sdk = world.sdk();
    await sdk.currentUser.createWithIdp({ idpId: 'facebook', idpClientId: facebookAppId, idpToken });
    await world.serverSdk().loginWithIdp({ idpId: 'facebook', idpClientId: facebookAppId, idpToken });
    await sdkFailure(
      world.serverSdk().loginWithIdp({ idpId: 'facebook', idpClientId: facebookAppId, idpToken: `${idpToken}x` }),
    );
    await world.gh.core.audit.flush();
    const logs = world.gh.logs.join('\n');

    expect(logs).not.toContain(token.access_token);
    expect(logs).not.toContain(token.refresh_token);
    expect(logs).not.toContain(password);
    expect(logs).not.toContain(world.clientSecret);
    expect(logs).not.toContain(idpToken);
    const audit = await world.gh.storage.db.selectFrom('audit_events').select('details').execute();
    expect(JSON.stringify(audit)).not.toContain(idpToken);
    const { users } = await accountsOf(world);
    expect(users.find((u) => u.email === email)?.password_hash).toMatch(/^\$argon2id\$/);
  });
});

describe('POST /v1/auth/token password under the limits', () => {
  it("answers 429 temporarily_unavailable with Retry-After once an address has guessed an account's password 10 times", async () => {
    const { email } = await signedIn('guessed');
    const login = (pass: string) =>
      fetch(`${world.gh.url}/v1/auth/token`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({
          client_id: world.clientId,
          grant_type: 'password',
          username: email,
          password: pass,
          scope: 'user',
        }).toString(),
      });
    for (let i = 0; i < 10; i++) expect((await login('wrong password')).status).toBe(401);
    const limited = await login(password);
    expect(limited.status).toBe(429);
    expect(await limited.json()).toEqual({
      error: 'temporarily_unavailable',
      error_description: expect.stringMatching(/^too many attempts; retry after \d+ s$/),
    });
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
  });
});
