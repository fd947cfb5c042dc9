import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningGatehouse, startGatehouse } from '../../harness/gatehouse.js';
import { expectNoWrites } from '../../harness/storage.js';
import { password, postForm, setUpTenant, type TestTenant, webTokens } from './fixture.js';

let gatehouse: RunningGatehouse;
let tenant: TestTenant;

beforeAll(async () => {
  gatehouse = await startGatehouse();
  tenant = await setUpTenant(gatehouse, 'userinfo');
});
afterAll(async () => {
  await gatehouse?.close();
});

const web = () => ({ basic: { clientId: tenant.web.clientId, secret: tenant.web.secret } });
const userinfo = async (init: RequestInit = {}) => {
  const response = await fetch(`${tenant.issuer}/userinfo`, init);
  return { status: response.status, challenge: response.headers.get('www-authenticate'), body: await response.json() };
};
const bearer = (token: string) => ({ headers: { authorization: `Bearer ${token}` } });
const challenge = (error: string, description: string) =>
  `Bearer realm="${tenant.issuer}", error="${error}", error_description="${description}"`;

describe('GET|POST /t/:tenant/userinfo', () => {
  it('answers the claims the scopes release, by GET or by a form POST', async () => {
    const { tokens } = await webTokens(tenant);
    const expected = {
      sub: tenant.user.id,
      email: tenant.user.email,
      email_verified: true,
      name: 'Alice Liddell',
      given_name: 'Alice',
      family_name: 'Liddell',
      updated_at: expect.any(Number),
    };
    expect(await userinfo(bearer(tokens.access_token))).toEqual({ status: 200, challenge: null, body: expected });
    const posted = await userinfo({ method: 'POST', body: new URLSearchParams({ access_token: tokens.access_token }) });
    expect(posted).toEqual({ status: 200, challenge: null, body: expected });
  });

  it('answers 401 with a bare Bearer challenge without a token (RFC 6750 §3.1)', async () => {
    expect(await userinfo()).toEqual({
      status: 401,
      challenge: `Bearer realm="${tenant.issuer}"`,
      body: { error: 'invalid_token', error_description: 'a Bearer access token is required' },
    });
  });

  it('answers 401 invalid_token to another authorization scheme', async () => {
    expect(await userinfo({ headers: { authorization: 'Basic Zm9vOmJhcg==' } })).toEqual({
      status: 401,
      challenge: challenge('invalid_token', 'the Authorization header is not a Bearer token'),
      body: { error: 'invalid_token', error_description: 'the Authorization header is not a Bearer token' },
    });
  });

  it('refuses a client_credentials token: it acts for no user', async () => {
    const issued = await postForm(
      `${tenant.issuer}/token`,
      { grant_type: 'client_credentials' },
      { basic: { clientId: tenant.service.clientId, secret: tenant.service.secret } },
    );
    const token = (issued.body as { access_token: string }).access_token;
    expect(await userinfo(bearer(token))).toEqual({
      status: 401,
      challenge: challenge('invalid_token', 'the access token is not for a user'),
      body: { error: 'invalid_token', error_description: 'the access token is not for a user' },
    });
  });

  it('answers 403 insufficient_scope to a token without openid', async () => {
    const issued = await postForm(
      `${tenant.issuer}/token`,
      { grant_type: 'password', username: tenant.user.email, password, scope: 'email' },
      { basic: { clientId: tenant.mobile.clientId, secret: tenant.mobile.secret } },
    );
    const token = (issued.body as { access_token: string }).access_token;
    expect(await userinfo(bearer(token))).toEqual({
      status: 403,
      challenge: challenge('insufficient_scope', 'the access token lacks the openid scope'),
      body: { error: 'insufficient_scope', error_description: 'the access token lacks the openid scope' },
    });
  });

  it('refuses an access token once it is revoked', async () => {
    const { tokens } = await webTokens(tenant);
    expect((await postForm(`${tenant.issuer}/revoke`, { token: tokens.access_token }, web())).status).toBe(200);
    expect(await userinfo(bearer(tokens.access_token))).toEqual({
      status: 401,
      challenge: challenge('invalid_token', 'the access token has been revoked'),
      body: { error: 'invalid_token', error_description: 'the access token has been revoked' },
    });
  });
});

describe('POST /t/:tenant/introspect and /revoke', () => {
  it('describes a live refresh token', async () => {
    const { tokens } = await webTokens(tenant);
    const response = await postForm(`${tenant.issuer}/introspect`, { token: tokens.refresh_token }, web());
    expect(response.body).toEqual({
      active: true,
      token_type: 'refresh_token',
      scope: 'openid email profile',
      client_id: tenant.web.clientId,
      sub: tenant.user.id,
      iss: tenant.issuer,
      iat: expect.any(Number),
      exp: expect.any(Number),
    });
  });

  it('describes a live access token', async () => {
    const { tokens } = await webTokens(tenant);
    const response = await postForm(`${tenant.issuer}/introspect`, { token: tokens.access_token }, web());
    expect(response.body).toEqual({
      active: true,
      token_type: 'Bearer',
      scope: 'openid email profile',
      client_id: tenant.web.clientId,
      sub: tenant.user.id,
      iss: tenant.issuer,
      aud: tenant.issuer,
      jti: expect.any(String),
      iat: expect.any(Number),
      exp: expect.any(Number),
      auth_time: expect.any(Number),
      amr: ['pwd'],
    });
  });

  it('refuses introspection to a public client', async () => {
    const response = await expectNoWrites(gatehouse.storage.db, () =>
      postForm(`${tenant.issuer}/introspect`, { token: 'anything', client_id: tenant.spa.clientId }),
    );
    expect(response.status).toBe(401);
    expect(response.body).toEqual({
      error: 'invalid_client',
      error_description: 'introspection requires a confidential client',
    });
  });

  it("ignores a revocation of another client's token (RFC 7009 §2.2)", async () => {
    const { tokens } = await webTokens(tenant);
    const response = await expectNoWrites(gatehouse.storage.db, () =>
      postForm(
        `${tenant.issuer}/revoke`,
        { token: tokens.access_token },
        { basic: { clientId: tenant.mobile.clientId, secret: tenant.mobile.secret } },
      ),
    );
    expect(response).toMatchObject({ status: 200, body: '' });
    expect((await postForm(`${tenant.issuer}/introspect`, { token: tokens.access_token }, web())).body).toMatchObject({
      active: true,
    });
  });

  it('refuses a revocation request without the token parameter', async () => {
    const response = await expectNoWrites(gatehouse.storage.db, () => postForm(`${tenant.issuer}/revoke`, {}, web()));
    expect(response.status).toBe(400);
    expect(response.body).toEqual({
      error: 'invalid_request',
      error_description: "body.token: must have required property 'token'",
    });
  });

  it('stops serving a disabled user', async () => {
    const user = await gatehouse.core.users.create(tenant.id, { email: 'bob@userinfo.example', password });
    const issued = await postForm(
      `${tenant.issuer}/token`,
      { grant_type: 'password', username: 'bob@userinfo.example', password, scope: 'openid' },
      { basic: { clientId: tenant.mobile.clientId, secret: tenant.mobile.secret } },
    );
    const { access_token, refresh_token } = issued.body as { access_token: string; refresh_token: string };
    await gatehouse.core.users.setStatus(tenant.id, user.id, 'disabled');
    // Disabling revoked the access tokens of the user's grants.
    expect((await userinfo(bearer(access_token))).body).toEqual({
      error: 'invalid_token',
      error_description: 'the access token has been revoked',
    });
    const refresh = await postForm(
      `${tenant.issuer}/token`,
      { grant_type: 'refresh_token', refresh_token },
      { basic: { clientId: tenant.mobile.clientId, secret: tenant.mobile.secret } },
    );
    expect(refresh).toMatchObject({
      status: 400,
      body: { error: 'invalid_grant', error_description: 'the refresh token has been revoked' },
    });
  });
});
