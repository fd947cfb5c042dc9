import sharetribe from 'sharetribe-flex-sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectNoWrites } from '../../harness/storage.js';
import { accessTokenTtlSeconds, type FlexWorld, facebookAppId, googleClientId, startFlexWorld } from './support.js';

// The same flows as the SDK suites, as a plain HTTP client (curl, another language) would make them: form requests
// to the Auth API, JSON (or hand-written Transit) to the Marketplace API. docs/flex.md shows each of these.

let world: FlexWorld;

beforeAll(async () => {
  world = await startFlexWorld();
});
afterAll(async () => world?.close());

const form = (params: Record<string, string>) => ({
  method: 'POST',
  headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
  body: new URLSearchParams(params).toString(),
});

const auth = (path: string, params: Record<string, string>) => fetch(`${world.gh.url}/v1/auth/${path}`, form(params));

const api = (path: string, init: { token?: string; body?: string; contentType?: string; accept?: string } = {}) =>
  fetch(`${world.gh.url}/v1/api/${path}`, {
    method: init.body === undefined ? 'GET' : 'POST',
    headers: {
      accept: init.accept ?? 'application/json',
      ...(init.token === undefined ? {} : { authorization: `Bearer ${init.token}` }),
      ...(init.body === undefined ? {} : { 'content-type': init.contentType ?? 'application/json' }),
    },
    ...(init.body === undefined ? {} : { body: init.body }),
  });

const anonymousToken = async (): Promise<string> => {
  const response = await auth('token', {
    client_id: world.clientId,
    grant_type: 'client_credentials',
    scope: 'public-read',
  });
  return ((await response.json()) as { access_token: string }).access_token;
};

const flexError = (status: number, code: string) => ({
  errors: [
    {
      id: expect.stringMatching(/^[0-9a-f-]{36}$/),
      status,
      code,
      title: expect.any(String),
      details: expect.anything(),
    },
  ],
});

describe('POST /v1/auth/token (plain HTTP)', () => {
  it('issues an anonymous token with exactly the public-read scope and no refresh token', async () => {
    const response = await auth('token', {
      client_id: world.clientId,
      grant_type: 'client_credentials',
      scope: 'public-read',
    });

    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^application\/json/);
    expect(response.headers.get('cache-control')).toBe('no-store');
    expect(await response.json()).toEqual({
      access_token: expect.stringMatching(/^[\w-]+\.[\w-]+\.[\w-]+$/),
      token_type: 'bearer',
      expires_in: accessTokenTtlSeconds,
      scope: 'public-read',
    });
  });

  it('refuses any other scope for the anonymous grant', async () => {
    const response = await auth('token', {
      client_id: world.clientId,
      grant_type: 'client_credentials',
      scope: 'user',
    });

    expect(response.status).toBe(400);
    expect(await response.json()).toEqual({ error: 'invalid_scope', error_description: expect.any(String) });
  });

  it('answers 401 invalid_client to a confidential client without its secret, on every grant, and spends nothing', async () => {
    const { email } = world.unique('confidential');
    const password = 'long enough secret';
    await world.aUser({ email, password });
    const server = { client_id: world.serverClientId, client_secret: world.clientSecret };
    const login = await auth('token', { ...server, grant_type: 'password', username: email, password });
    expect(login.status).toBe(200);
    const { refresh_token } = (await login.json()) as { refresh_token: string };

    for (const secret of [{}, { client_secret: 'not-the-secret' }]) {
      const attempts = [
        { grant_type: 'refresh_token', refresh_token },
        { grant_type: 'password', username: email, password },
        { grant_type: 'client_credentials', scope: 'public-read' },
      ];
      for (const params of attempts) {
        const response = await expectNoWrites(world.gh.storage.db, () =>
          auth('token', { client_id: world.serverClientId, ...secret, ...params }),
        );
        expect(response.status).toBe(401);
        expect(await response.json()).toEqual({ error: 'invalid_client', error_description: expect.any(String) });
      }
    }
    const refreshed = await auth('token', { ...server, grant_type: 'refresh_token', refresh_token });
    expect(refreshed.status).toBe(200);
  });

  it('answers 401 invalid_client to a public client that presents a secret', async () => {
    const response = await auth('token', {
      client_id: world.clientId,
      client_secret: world.clientSecret,
      grant_type: 'client_credentials',
    });

    expect(response.status).toBe(401);
    expect(await response.json()).toEqual({ error: 'invalid_client', error_description: expect.any(String) });
  });

  it('answers 401 invalid_client for an unknown client id', async () => {
    const response = await auth('token', {
      client_id: 'nobody',
      grant_type: 'client_credentials',
      scope: 'public-read',
    });

    expect(response.status).toBe(401);
    expect(await response.json()).toEqual({ error: 'invalid_client', error_description: expect.any(String) });
  });

  it('answers 400 unsupported_grant_type for a grant Flex does not have', async () => {
    const response = await auth('token', { client_id: world.clientId, grant_type: 'implicit' });

    expect(response.status).toBe(400);
    expect(await response.json()).toMatchObject({ error: 'unsupported_grant_type' });
  });

  it('answers 400 invalid_request for a repeated parameter or a missing grant_type', async () => {
    const repeated = await fetch(`${world.gh.url}/v1/auth/token`, {
      ...form({}),
      body: `client_id=${world.clientId}&grant_type=client_credentials&grant_type=password`,
    });
    const missing = await auth('token', { client_id: world.clientId });

    expect(repeated.status).toBe(400);
    expect(await repeated.json()).toEqual({
      error: 'invalid_request',
      error_description: expect.stringContaining('repeated'),
    });
    expect(missing.status).toBe(400);
    expect(await missing.json()).toMatchObject({ error: 'invalid_request' });
  });

  it('answers 415 in the OAuth format for a JSON body, and 404 for an unknown Auth API route', async () => {
    const json = await fetch(`${world.gh.url}/v1/auth/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ client_id: world.clientId, grant_type: 'client_credentials' }),
    });
    const unknown = await auth('nowhere', {});

    expect(json.status).toBe(415);
    expect(await json.json()).toEqual({ error: 'invalid_request', error_description: expect.any(String) });
    expect(unknown.status).toBe(404);
    expect(await unknown.json()).toMatchObject({ error: 'invalid_request' });
  });
});

describe('the Flex flows in plain JSON', () => {
  it('creates a user with an IdP token, logs in with it, shows and refreshes, then logs out', async () => {
    const { email, sub } = world.unique('curl');
    const idpToken = await world.googleIdToken({
      sub,
      email,
      emailVerified: true,
      givenName: 'Curl',
      familyName: 'User',
    });
    const anonymous = await anonymousToken();

    const created = await api('current_user/create_with_idp?expand=true', {
      token: anonymous,
      body: JSON.stringify({ idpId: 'google', idpClientId: googleClientId, idpToken, publicData: { plan: 'basic' } }),
    });
    expect(created.status).toBe(200);
    expect(created.headers.get('content-type')).toMatch(/^application\/json/);
    const user = (await created.json()) as { data: { id: string; attributes: Record<string, unknown> } };
    expect(user).toEqual({
      data: {
        id: expect.stringMatching(/^[0-9a-f-]{36}$/),
        type: 'currentUser',
        attributes: expect.objectContaining({
          createdAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
          email,
          emailVerified: true,
          identityProviders: [{ idpId: 'google', userId: sub }],
          profile: expect.objectContaining({ firstName: 'Curl', lastName: 'User', publicData: { plan: 'basic' } }),
        }),
      },
    });

    const login = await auth('auth_with_idp', {
      client_id: world.serverClientId,
      client_secret: world.clientSecret,
      idp_id: 'google',
      idp_client_id: googleClientId,
      idp_token: idpToken,
    });
    expect(login.status).toBe(200);
    const tokens = (await login.json()) as { access_token: string; refresh_token: string; scope: string };
    expect(tokens.scope).toBe('user');

    const shown = await api('current_user/show', { token: tokens.access_token });
    expect(shown.status).toBe(200);
    expect(((await shown.json()) as typeof user).data.id).toBe(user.data.id);

    const refreshed = await auth('token', {
      client_id: world.serverClientId,
      client_secret: world.clientSecret,
      grant_type: 'refresh_token',
      refresh_token: tokens.refresh_token,
    });
    expect(refreshed.status).toBe(200);
    const next = (await refreshed.json()) as { access_token: string; refresh_token: string };
    expect(next).toMatchObject({ token_type: 'bearer', scope: 'user', refresh_token: expect.any(String) });

    const revoke = await fetch(`${world.gh.url}/v1/auth/revoke`, {
      ...form({ token: next.refresh_token }),
      headers: { ...form({}).headers, authorization: `Bearer ${next.access_token}` },
    });
    expect(revoke.status).toBe(200);
    expect(await revoke.json()).toEqual({});
    expect((await api('current_user/show', { token: next.access_token })).status).toBe(401);
  });

  it('signs up with a password and logs in with the password grant', async () => {
    const { email } = world.unique('curl-pwd');
    const anonymous = await anonymousToken();

    const created = await api('current_user/create', {
      token: anonymous,
      body: JSON.stringify({ email, password: 'long enough secret', firstName: 'Plain', lastName: 'Json' }),
    });
    expect(created.status).toBe(200);
    expect(await created.json()).toEqual({
      data: { id: expect.stringMatching(/^[0-9a-f-]{36}$/), type: 'currentUser' },
    });

    const login = await auth('token', {
      client_id: world.clientId,
      grant_type: 'password',
      username: email,
      password: 'long enough secret',
      scope: 'user',
    });
    expect(login.status).toBe(200);
    expect(await login.json()).toEqual({
      access_token: expect.any(String),
      token_type: 'bearer',
      expires_in: accessTokenTtlSeconds,
      scope: 'user',
      refresh_token: expect.any(String),
    });
  });

  it('answers in Transit when asked, with UUIDs, dates and keywords tagged', async () => {
    const { email, sub } = world.unique('transit');
    const idpToken = await world.facebookToken({ sub, email, name: 'Tran Sit' });
    const body = sharetribe.transit.write({ idpId: 'facebook', idpClientId: facebookAppId, idpToken });

    const created = await api('current_user/create_with_idp?expand=true', {
      token: await anonymousToken(),
      body,
      contentType: 'application/transit+json',
      accept: 'application/transit+json',
    });

    expect(created.status).toBe(200);
    expect(created.headers.get('content-type')).toMatch(/^application\/transit\+json/);
    const text = await created.text();
    expect(text).toMatch(/^\["\^ ","~:data",\["\^ ","~:id","~u[0-9a-f-]{36}","~:type","~:currentUser"/);
    expect(text).toMatch(/"~:createdAt","~m\d+"/);
    const decoded = sharetribe.transit.read(text) as { data: { id: unknown; attributes: { createdAt: unknown } } };
    expect(decoded.data.id).toBeInstanceOf(sharetribe.types.UUID);
    expect(decoded.data.attributes.createdAt).toBeInstanceOf(Date);
  });
});

describe("Fastify's own 4xx on the Marketplace API, in Flex's envelope", () => {
  it('answers 401 auth-invalid-access-token without a bearer token or with a forged one', async () => {
    for (const token of [undefined, 'eyJhbGciOiJFUzI1NiJ9.e30.c2ln']) {
      const response = await api('current_user/show', token === undefined ? {} : { token });
      expect(response.status).toBe(401);
      expect(await response.json()).toEqual(flexError(401, 'auth-invalid-access-token'));
    }
  });

  it('answers 400 for a body that is not JSON, in JSON', async () => {
    const response = await expectNoWrites(world.gh.storage.db, async () =>
      api('current_user/create', { token: await anonymousToken(), body: '{"email": ' }),
    );

    expect(response.status).toBe(400);
    expect(await response.json()).toEqual(flexError(400, 'validation-invalid-params'));
  });

  it('answers 400 for a body that is not Transit, in Transit', async () => {
    const response = await api('current_user/create', {
      token: await anonymousToken(),
      body: '["^ ","~:email"',
      contentType: 'application/transit+json',
      accept: 'application/transit+json',
    });

    expect(response.status).toBe(400);
    expect(response.headers.get('content-type')).toMatch(/^application\/transit\+json/);
    const decoded = sharetribe.transit.read(await response.text()) as { errors: Record<string, unknown>[] };
    expect(decoded.errors).toEqual([
      expect.objectContaining({
        id: expect.any(sharetribe.types.UUID),
        status: 400,
        code: 'validation-invalid-params',
      }),
    ]);
  });

  it('answers 400 validation-invalid-params for a schema violation, naming the field', async () => {
    const response = await api('current_user/create_with_idp', {
      token: await anonymousToken(),
      body: JSON.stringify({ idpId: 'facebook', idpClientId: facebookAppId, publicData: 'not an object' }),
    });

    expect(response.status).toBe(400);
    const body = (await response.json()) as { errors: { details: { message: string } }[] };
    expect(body).toEqual(flexError(400, 'validation-invalid-params'));
    expect(body.errors[0]?.details.message).toMatch(/body/);
  });

  it('answers 413 for an oversized body and 415 for a form body', async () => {
    const token = await anonymousToken();
    const huge = await api('current_user/create', {
      token,
      body: JSON.stringify({ email: 'a@example.com', bio: 'x'.repeat(200 * 1024) }),
    });
    const formBody = await api('current_user/create', {
      token,
      body: 'email=a%40example.com',
      contentType: 'application/x-www-form-urlencoded',
    });

    expect(huge.status).toBe(413);
    expect(await huge.json()).toEqual(flexError(413, 'request-entity-too-large'));
    expect(formBody.status).toBe(415);
    expect(await formBody.json()).toEqual(flexError(415, 'unsupported-media-type'));
  });

  it('answers 404 not-found for an endpoint Gatehouse does not serve', async () => {
    const response = await api('listings/query');

    expect(response.status).toBe(404);
    expect(await response.json()).toEqual(flexError(404, 'not-found'));
  });
});
