import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningGatehouse, startGatehouse } from '../../harness/gatehouse.js';
import { expectNoWrites, storageKinds } from '../../harness/storage.js';
import { obtainCode, password, postForm, redirectUri, setUpTenant, type TestTenant, webTokens } from './fixture.js';

let gatehouse: RunningGatehouse;
let tenant: TestTenant;
let tokenUrl: string;

beforeAll(async () => {
  gatehouse = await startGatehouse();
  tenant = await setUpTenant(gatehouse, 'tokens');
  tokenUrl = `${tenant.issuer}/token`;
});
afterAll(async () => {
  await gatehouse?.close();
});

const web = () => ({ basic: { clientId: tenant.web.clientId, secret: tenant.web.secret } });
const noWrites = <T>(action: () => Promise<T>) => expectNoWrites(gatehouse.storage.db, action);

describe('POST /t/:tenant/token authorization_code', () => {
  it('revokes what the code issued when the code is replayed', async () => {
    const { code, verifier, tokens } = await webTokens(tenant);
    const replay = await postForm(
      tokenUrl,
      { grant_type: 'authorization_code', code, redirect_uri: redirectUri, code_verifier: verifier },
      web(),
    );
    expect(replay.status).toBe(400);
    expect(replay.body).toEqual({
      error: 'invalid_grant',
      error_description: 'the authorization code has already been used',
    });

    const refresh = await postForm(
      tokenUrl,
      { grant_type: 'refresh_token', refresh_token: tokens.refresh_token },
      web(),
    );
    expect(refresh.status).toBe(400);
    expect(refresh.body).toEqual({ error: 'invalid_grant', error_description: 'the refresh token has been revoked' });
    const introspection = await postForm(`${tenant.issuer}/introspect`, { token: tokens.access_token }, web());
    expect(introspection.body).toEqual({ active: false });

    await gatehouse.core.audit.flush();
    const events = await gatehouse.core.audit.list(tenant.id);
    expect(events.map((e) => e.type)).toContain('authorization_code.replayed');
  });

  it('refuses a redirect_uri that differs from the authorization request, and the code is used up', async () => {
    const { code, verifier } = await obtainCode(tenant, tenant.web.clientId);
    const response = await postForm(
      tokenUrl,
      { grant_type: 'authorization_code', code, redirect_uri: `${redirectUri}/other`, code_verifier: verifier },
      web(),
    );
    expect(response.status).toBe(400);
    expect(response.body).toEqual({
      error: 'invalid_grant',
      error_description: 'redirect_uri does not match the authorization request',
    });
    const right = await postForm(
      tokenUrl,
      { grant_type: 'authorization_code', code, redirect_uri: redirectUri, code_verifier: verifier },
      web(),
    );
    expect(right.body).toEqual({
      error: 'invalid_grant',
      error_description: 'the authorization code has already been used',
    });
  });

  it("refuses another client's code", async () => {
    const { code, verifier } = await obtainCode(tenant, tenant.spa.clientId);
    const response = await noWrites(() =>
      postForm(
        tokenUrl,
        { grant_type: 'authorization_code', code, redirect_uri: redirectUri, code_verifier: verifier },
        web(),
      ),
    );
    expect(response.status).toBe(400);
    expect(response.body).toEqual({ error: 'invalid_grant', error_description: 'the authorization code is invalid' });
    // The refusal was the client's: the same code, untouched, still redeems for the client it was issued to.
    const own = await postForm(tokenUrl, {
      grant_type: 'authorization_code',
      code,
      redirect_uri: redirectUri,
      code_verifier: verifier,
      client_id: tenant.spa.clientId,
    });
    expect(own.status).toBe(200);
    expect(own.body).toMatchObject({ token_type: 'Bearer', access_token: expect.any(String) });
  });

  it('redeems a public client’s code with PKCE and no secret', async () => {
    const { code, verifier } = await obtainCode(tenant, tenant.spa.clientId);
    const response = await postForm(tokenUrl, {
      grant_type: 'authorization_code',
      code,
      redirect_uri: redirectUri,
      code_verifier: verifier,
      client_id: tenant.spa.clientId,
    });
    expect(response.status).toBe(200);
    expect(response.headers.get('cache-control')).toBe('no-store');
    expect(response.headers.get('pragma')).toBe('no-cache');
    expect(Object.keys(response.body as object).sort()).toEqual([
      'access_token',
      'expires_in',
      'id_token',
      'refresh_token',
      'scope',
      'token_type',
    ]);
    expect(response.body).toMatchObject({ token_type: 'Bearer', expires_in: 900, scope: 'openid email profile' });
  });
});

describe('POST /t/:tenant/token client authentication', () => {
  const wrongSecret = { grant_type: 'client_credentials' };

  it('answers 401 with WWW-Authenticate when the Basic secret is wrong', async () => {
    const response = await noWrites(() =>
      postForm(tokenUrl, wrongSecret, { basic: { clientId: tenant.service.clientId, secret: 'not-the-secret' } }),
    );
    expect(response.status).toBe(401);
    expect(response.headers.get('www-authenticate')).toBe(`Basic realm="${tenant.issuer}"`);
    expect(response.body).toEqual({ error: 'invalid_client', error_description: 'client authentication failed' });
  });

  it('answers 401 with WWW-Authenticate when the posted secret is wrong', async () => {
    const response = await noWrites(() =>
      postForm(tokenUrl, { ...wrongSecret, client_id: tenant.service.clientId, client_secret: 'nope' }),
    );
    expect(response.status).toBe(401);
    expect(response.headers.get('www-authenticate')).toBe(`Basic realm="${tenant.issuer}"`);
    expect(response.body).toEqual({ error: 'invalid_client', error_description: 'client authentication failed' });
  });

  it('answers 401 when the client does not authenticate at all', async () => {
    const response = await noWrites(() => postForm(tokenUrl, wrongSecret));
    expect(response.status).toBe(401);
    expect(response.body).toEqual({
      error: 'invalid_client',
      error_description: 'client authentication is required',
    });
  });

  it('refuses two authentication methods in one request', async () => {
    const response = await noWrites(() =>
      postForm(
        tokenUrl,
        { ...wrongSecret, client_secret: tenant.service.secret },
        { basic: { clientId: tenant.service.clientId, secret: tenant.service.secret } },
      ),
    );
    expect(response.status).toBe(400);
    expect(response.body).toEqual({
      error: 'invalid_request',
      error_description: 'more than one client authentication method was used',
    });
  });

  it('accepts client_secret_post', async () => {
    const response = await postForm(tokenUrl, {
      grant_type: 'client_credentials',
      client_id: tenant.service.clientId,
      client_secret: tenant.service.secret,
    });
    expect(response.status).toBe(200);
    expect(response.body).toMatchObject({ token_type: 'Bearer', scope: '' });
  });

  it('form-decodes each half of Basic credentials (RFC 6749 §2.3.1), and takes them as they are when nothing is encoded', async () => {
    const secret = 'an operator chose+this%secret:with/odd chars';
    await gatehouse.core.clients.create(
      tenant.id,
      { clientId: 'tokens-odd-secret', grantTypes: ['client_credentials'] },
      { clientSecret: secret },
    );
    const header = (value: string) => ({ authorization: `Basic ${Buffer.from(value).toString('base64')}` });
    const form = (value: string) => encodeURIComponent(value).replace(/%20/g, '+');
    const encoded = await postForm(
      tokenUrl,
      { grant_type: 'client_credentials' },
      {
        headers: header(`tokens-odd-secret:${form(secret)}`),
      },
    );
    expect(encoded.status).toBe(200);
    const plain = await postForm(
      tokenUrl,
      { grant_type: 'client_credentials' },
      {
        basic: { clientId: tenant.service.clientId, secret: tenant.service.secret },
      },
    );
    expect(plain.status).toBe(200);
    // Sent unencoded, `+` and `%` mean something else: not the secret.
    const unencoded = await postForm(
      tokenUrl,
      { grant_type: 'client_credentials' },
      {
        headers: header(`tokens-odd-secret:${secret}`),
      },
    );
    expect(unencoded.status).toBe(401);
  });

  it('refuses a client of another tenant as if it did not exist', async () => {
    await gatehouse.core.tenants.create({ id: 'tokens-other' });
    const response = await noWrites(() =>
      postForm(`${gatehouse.issuer('tokens-other')}/token`, wrongSecret, {
        basic: { clientId: tenant.service.clientId, secret: tenant.service.secret },
      }),
    );
    expect(response.status).toBe(401);
    expect(response.body).toEqual({ error: 'invalid_client', error_description: 'client authentication failed' });
  });
});

describe('POST /t/:tenant/token grant types and scopes', () => {
  it('refuses a grant type it does not serve', async () => {
    const response = await noWrites(() =>
      postForm(tokenUrl, { grant_type: 'urn:ietf:params:oauth:grant-type:device_code' }, web()),
    );
    expect(response.status).toBe(400);
    expect(response.body).toEqual({
      error: 'unsupported_grant_type',
      error_description: 'grant_type "urn:ietf:params:oauth:grant-type:device_code" is not supported',
    });
  });

  it('refuses the password grant to a client not allowed it', async () => {
    const response = await noWrites(() =>
      postForm(tokenUrl, { grant_type: 'password', username: tenant.user.email, password }, web()),
    );
    expect(response.status).toBe(400);
    expect(response.body).toEqual({
      error: 'unauthorized_client',
      error_description: 'the client may not use grant_type password',
    });
  });

  it('issues tokens for the password grant to a client allowed it', async () => {
    const response = await postForm(
      tokenUrl,
      { grant_type: 'password', username: tenant.user.email, password, scope: 'openid email' },
      { basic: { clientId: tenant.mobile.clientId, secret: tenant.mobile.secret } },
    );
    expect(response.status).toBe(200);
    expect(response.body).toMatchObject({ token_type: 'Bearer', scope: 'openid email' });
    expect(Object.keys(response.body as object)).toEqual(expect.arrayContaining(['id_token', 'refresh_token']));
  });

  it('grants a client without configured scopes only the standard ones, whatever it asks for', async () => {
    const response = await noWrites(() =>
      postForm(
        tokenUrl,
        { grant_type: 'password', username: tenant.user.email, password, scope: 'openid orders:write admin' },
        { basic: { clientId: tenant.mobile.clientId, secret: tenant.mobile.secret } },
      ),
    );
    expect(response.status).toBe(400);
    expect(response.body).toEqual({
      error: 'invalid_scope',
      error_description: 'the client may not request scope "orders:write"',
    });
  });

  it('refuses a wrong password on the password grant', async () => {
    const response = await noWrites(() =>
      postForm(
        tokenUrl,
        { grant_type: 'password', username: tenant.user.email, password: 'wrong password' },
        { basic: { clientId: tenant.mobile.clientId, secret: tenant.mobile.secret } },
      ),
    );
    expect(response.status).toBe(400);
    expect(response.body).toEqual({ error: 'invalid_grant', error_description: 'invalid email or password' });
  });

  it('refuses a scope the client may not have', async () => {
    const service = { basic: { clientId: tenant.service.clientId, secret: tenant.service.secret } };
    const response = await noWrites(() =>
      postForm(tokenUrl, { grant_type: 'client_credentials', scope: 'orders:read admin' }, service),
    );
    expect(response.status).toBe(400);
    expect(response.body).toEqual({
      error: 'invalid_scope',
      error_description: 'the client may not request scope "admin"',
    });
    const openid = await noWrites(() =>
      postForm(tokenUrl, { grant_type: 'client_credentials', scope: 'openid' }, service),
    );
    expect(openid.body).toEqual({
      error: 'invalid_scope',
      error_description: 'openid needs a signed-in user; client_credentials has none',
    });
  });
});

describe("POST /t/:tenant/token Fastify's own errors", () => {
  it('renders a missing grant_type as invalid_request', async () => {
    const response = await noWrites(() => postForm(tokenUrl, { code: 'x' }, web()));
    expect(response.status).toBe(400);
    expect(response.body).toEqual({
      error: 'invalid_request',
      error_description: "body.grant_type: must have required property 'grant_type'",
    });
  });

  it('renders a repeated parameter as invalid_request', async () => {
    const form = new URLSearchParams([
      ['grant_type', 'client_credentials'],
      ['grant_type', 'password'],
    ]);
    const response = await noWrites(() => postForm(tokenUrl, form, web()));
    expect(response.status).toBe(400);
    expect(response.body).toEqual({ error: 'invalid_request', error_description: 'body.grant_type: must be string' });
  });

  it('renders a JSON body as invalid_request with 415', async () => {
    const response = await noWrites(async () => {
      const r = await fetch(tokenUrl, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ grant_type: 'client_credentials' }),
      });
      return { status: r.status, body: await r.json() };
    });
    expect(response).toEqual({
      status: 415,
      body: { error: 'invalid_request', error_description: 'unsupported content type' },
    });
  });

  it('renders a malformed code_verifier as invalid_request', async () => {
    const response = await noWrites(() =>
      postForm(
        tokenUrl,
        { grant_type: 'authorization_code', code: 'c', redirect_uri: redirectUri, code_verifier: 'short' },
        web(),
      ),
    );
    expect(response.status).toBe(400);
    expect(response.body).toEqual({
      error: 'invalid_request',
      error_description: 'body.code_verifier: must match pattern "^[A-Za-z0-9._~-]{43,128}$"',
    });
  });

  it('answers an unknown tenant with a JSON 404', async () => {
    const response = await noWrites(() => postForm(`${gatehouse.url}/t/no-such-tenant/token`, {}));
    expect(response.status).toBe(404);
    expect(response.body).toEqual({
      error: 'invalid_request',
      error_description: 'tenant "no-such-tenant" does not exist',
    });
  });

  it('answers an unknown route under a tenant with a JSON 404', async () => {
    const response = await fetch(`${tenant.issuer}/nothing-here?code=secret`);
    expect(response.status).toBe(404);
    expect(await response.json()).toEqual({
      error: 'invalid_request',
      error_description: 'no route GET /t/tokens/nothing-here',
    });
  });
});

describe.each(storageKinds)('a failed authorization_code redemption on %s', (storage) => {
  let own: RunningGatehouse;
  let ownTenant: TestTenant;
  beforeAll(async () => {
    own = await startGatehouse({ storage });
    ownTenant = await setUpTenant(own, 'burn');
  });
  afterAll(async () => own?.close());

  it.each([
    ['a wrong code_verifier', 'code_verifier does not match code_challenge', { code_verifier: 'x'.repeat(43) }],
    ['no code_verifier', 'code_verifier is required', {}],
  ] as const)('uses up the code on %s: the right verifier then gets nothing', async (_name, description, extra) => {
    const credentials = { basic: { clientId: ownTenant.web.clientId, secret: ownTenant.web.secret } };
    const url = `${ownTenant.issuer}/token`;
    const { code, verifier } = await obtainCode(ownTenant, ownTenant.web.clientId);
    const wrong = await postForm(
      url,
      { grant_type: 'authorization_code', code, redirect_uri: redirectUri, ...extra },
      credentials,
    );
    expect(wrong.status).toBe(400);
    expect(wrong.body).toEqual({ error: 'invalid_grant', error_description: description });

    const right = await postForm(
      url,
      { grant_type: 'authorization_code', code, redirect_uri: redirectUri, code_verifier: verifier },
      credentials,
    );
    expect(right.status).toBe(400);
    expect(right.body).toEqual({
      error: 'invalid_grant',
      error_description: 'the authorization code has already been used',
    });
  });
});
