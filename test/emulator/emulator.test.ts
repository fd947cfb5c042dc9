import formbody from '@fastify/formbody';
import Fastify from 'fastify';
import { decodeJwt } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { emulatorPlugin, runEmulatorCommand } from '../../src/emulator/index.js';
import { BoundedMap } from '../../src/emulator/state.js';
import { type EmulatorHarness, startEmulator } from '../harness/emulator.js';

let idp: EmulatorHarness;
beforeAll(async () => {
  idp = await startEmulator();
  // The apps these tests sign in with, registered as at each provider's console.
  for (const provider of ['google', 'oidc', 'github', 'microsoft', 'linkedin'] as const)
    await idp.registerApp({ provider, clientId: 'app', clientSecret: 's' });
  await idp.registerApp({ provider: 'facebook', clientId: '222', clientSecret: 'right' });
});
afterAll(async () => {
  await idp.close();
});

const authorizeUrl = (path: string, params: Record<string, string>) => {
  const url = new URL(`${idp.url}${path}`);
  url.search = new URLSearchParams({
    response_type: 'code',
    client_id: 'app',
    redirect_uri: 'http://127.0.0.1:9/cb',
    state: 's',
    ...params,
  }).toString();
  return url;
};

/** Redeems the code of an authorization redirect at the OIDC token endpoint: the claims of the ID token it answers. */
const signedInAs = async (redirect: Response): Promise<Record<string, unknown>> => {
  const code = new URL(String(redirect.headers.get('location'))).searchParams.get('code');
  expect(code).toMatch(/^code-/);
  const response = await fetch(`${idp.url}/oidc/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({
      grant_type: 'authorization_code',
      code: code ?? '',
      redirect_uri: 'http://127.0.0.1:9/cb',
      client_id: 'app',
      client_secret: 's',
    }),
  });
  expect(response.status).toBe(200);
  const { id_token: idToken } = (await response.json()) as { id_token: string };
  return JSON.parse(Buffer.from(idToken.split('.')[1] ?? '', 'base64url').toString('utf8')) as Record<string, unknown>;
};

describe('GET /{kind}/.well-known/openid-configuration', () => {
  it.each(['google', 'linkedin', 'apple', 'oidc'])('describes the %s endpoints under its issuer', async (kind) => {
    const doc = (await (await fetch(`${idp.url}/${kind}/.well-known/openid-configuration`)).json()) as Record<
      string,
      unknown
    >;
    expect(doc).toMatchObject({
      issuer: `${idp.url}/${kind}`,
      authorization_endpoint: `${idp.url}/${kind}/authorize`,
      token_endpoint: `${idp.url}/${kind}/token`,
      jwks_uri: `${idp.url}/${kind}/jwks`,
      id_token_signing_alg_values_supported: ['RS256'],
    });
  });

  it('names the tenant-templated issuer for Microsoft multi-tenant endpoints', async () => {
    const doc = (await (
      await fetch(`${idp.url}/microsoft/common/v2.0/.well-known/openid-configuration`)
    ).json()) as Record<string, unknown>;
    expect(doc.issuer).toBe(`${idp.url}/microsoft/{tenantid}/v2.0`);
    expect(doc.jwks_uri).toBe(`${idp.url}/microsoft/common/discovery/v2.0/keys`);
  });
});

describe('GET /{kind}/authorize', () => {
  it('shows the test-user page with a strict CSP when no test_user is given', async () => {
    const response = await fetch(authorizeUrl('/google/authorize', {}));
    expect(response.status).toBe(200);
    expect(response.headers.get('content-security-policy')).toContain("default-src 'none'");
    const html = await response.text();
    expect(html).toContain('alice@example.com (verified)');
    expect(html).toContain('bob@example.com (unverified)');
    expect(html).toContain('no email');
    expect(html).toContain('deny=1');
  });

  it('answers 400 without redirecting when the test user does not exist', async () => {
    const response = await fetch(authorizeUrl('/google/authorize', { test_user: 'nobody' }), { redirect: 'manual' });
    expect(response.status).toBe(400);
    expect(response.headers.get('location')).toBeNull();
  });

  it('answers 400 when the redirect URI is not absolute', async () => {
    const response = await fetch(
      authorizeUrl('/github/login/oauth/authorize', { redirect_uri: '/cb', test_user: 'alice' }),
      {
        redirect: 'manual',
      },
    );
    expect(response.status).toBe(400);
  });

  it('signs in a made-up user from the page form and remembers them for test_user', async () => {
    const first = await fetch(
      authorizeUrl('/oidc/authorize', {
        test_user_sub: 'made-up-1',
        test_user_email: 'm@example.com',
        test_user_email_verified: 'true',
      }),
      { redirect: 'manual' },
    );
    expect(first.status).toBe(302);
    expect(await signedInAs(first)).toMatchObject({ sub: 'made-up-1', email: 'm@example.com', email_verified: true });
    // Asked for by email afterwards, the same made-up user signs in again.
    const second = await fetch(authorizeUrl('/oidc/authorize', { test_user: 'm@example.com' }), { redirect: 'manual' });
    expect(second.status).toBe(302);
    expect(await signedInAs(second)).toMatchObject({ sub: 'made-up-1', email: 'm@example.com' });
  });
});

describe('POST /{kind}/token', () => {
  it('refuses a code with invalid_grant when the PKCE verifier does not match', async () => {
    const response = await fetch(
      authorizeUrl('/google/authorize', {
        test_user: 'alice',
        code_challenge: 'x'.repeat(43),
        code_challenge_method: 'S256',
      }),
      {
        redirect: 'manual',
      },
    );
    const code = String(new URL(String(response.headers.get('location'))).searchParams.get('code'));
    const token = await fetch(`${idp.url}/google/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({
        grant_type: 'authorization_code',
        code,
        redirect_uri: 'http://127.0.0.1:9/cb',
        client_id: 'app',
        client_secret: 's',
        code_verifier: 'y'.repeat(43),
      }),
    });
    expect(token.status).toBe(400);
    expect(await token.json()).toEqual({ error: 'invalid_grant' });
  });

  it('answers GitHub token requests form-encoded unless JSON is asked for', async () => {
    const response = await fetch(`${idp.url}/github/login/oauth/access_token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ client_id: 'app', client_secret: 's', code: 'nope' }),
    });
    expect(response.status).toBe(200);
    expect(await response.text()).toBe(
      'error=bad_verification_code&error_description=The+code+passed+is+incorrect+or+expired.',
    );
  });
});

describe('POST /{kind}/_mint', () => {
  it('answers 400 when clientId or sub is missing', async () => {
    const response = await fetch(`${idp.url}/google/_mint`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ sub: '1' }),
    });
    expect(response.status).toBe(400);
    expect(await response.json()).toEqual({ error: 'invalid_request', error_description: 'clientId is required' });
  });

  it('returns what a native client of each provider holds', async () => {
    const body = { clientId: 'app', sub: '77' };
    expect(Object.keys(await idp.mint('github', body))).toEqual(['access_token']);
    expect(Object.keys(await idp.mint('facebook', body)).sort()).toEqual(['access_token', 'id_token']);
    expect(Object.keys(await idp.mint('apple', body)).sort()).toEqual(['access_token', 'id_token']);
  });
});

describe('the shapes the real providers produce', () => {
  it('mints a Google token for a mobile client as Google does: web client in aud, mobile client in azp', async () => {
    const { id_token } = await idp.mint('google', {
      clientId: 'web-client',
      sub: '81',
      authorizedParty: 'android-client',
    });
    expect(decodeJwt(String(id_token))).toMatchObject({ aud: 'web-client', azp: 'android-client' });
  });

  it('says on an Apple token whether it carries a nonce (nonce_supported)', async () => {
    const withNonce = decodeJwt(String((await idp.mint('apple', { clientId: 'b', sub: '82', nonce: 'n' })).id_token));
    const without = decodeJwt(String((await idp.mint('apple', { clientId: 'b', sub: '83' })).id_token));
    expect(withNonce).toMatchObject({ nonce: 'n', nonce_supported: true });
    expect(without.nonce).toBeUndefined();
    expect(without.nonce_supported).toBe(false);
  });

  it('names the templated issuer on each key of the Microsoft multi-tenant key set, and the tenant on a tenant one', async () => {
    const common = (await (await fetch(`${idp.url}/microsoft/common/discovery/v2.0/keys`)).json()) as {
      keys: Record<string, unknown>[];
    };
    expect(common.keys.map((key) => key.issuer)).toContain(`${idp.url}/microsoft/{tenantid}/v2.0`);
    const tenant = '0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d';
    const one = (await (await fetch(`${idp.url}/microsoft/${tenant}/discovery/v2.0/keys`)).json()) as {
      keys: Record<string, unknown>[];
    };
    expect(one.keys.every((key) => key.issuer === `${idp.url}/microsoft/${tenant}/v2.0`)).toBe(true);
  });

  it('answers Graph debug_token with HTTP 400 and error 190 for a token it never issued', async () => {
    const url = new URL(`${idp.url}/facebook/v23.0/debug_token`);
    url.searchParams.set('input_token', 'junk');
    const response = await fetch(url, { headers: { authorization: 'Bearer 222|right' } });
    expect(response.status).toBe(400);
    expect(await response.json()).toMatchObject({ error: { code: 190, type: 'OAuthException' } });
  });

  it('refuses a debug_token call with a wrong secret or an app it does not know, as Graph does', async () => {
    const url = new URL(`${idp.url}/facebook/v23.0/debug_token`);
    url.searchParams.set('input_token', 'junk');
    const wrong = await fetch(url, { headers: { authorization: 'Bearer 222|wrong' } });
    expect(wrong.status).toBe(400);
    expect(await wrong.json()).toMatchObject({
      error: { code: 190, type: 'OAuthException', message: 'Invalid OAuth access token signature.' },
    });
    const unknown = await fetch(url, { headers: { authorization: 'Bearer 999|any' } });
    expect(unknown.status).toBe(400);
    expect(await unknown.json()).toMatchObject({ error: { code: 101, type: 'OAuthException' } });
  });
});

/** A Graph code exchange with these credentials, for a code of the registered app `222`. */
const facebookExchange = async (clientId: string, clientSecret: string) => {
  const redirect = await fetch(authorizeUrl('/facebook/v23.0/dialog/oauth', { client_id: '222', test_user: 'alice' }), {
    redirect: 'manual',
  });
  const code = String(new URL(String(redirect.headers.get('location'))).searchParams.get('code'));
  return fetch(`${idp.url}/facebook/v23.0/oauth/access_token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({
      client_id: clientId,
      client_secret: clientSecret,
      code,
      redirect_uri: 'http://127.0.0.1:9/cb',
    }),
  });
};

/** A code of `clientId` at an OIDC-style provider, redeemed with these credentials. */
const oidcExchange = async (provider: string, tokenPath: string, clientId: string, clientSecret: string) => {
  const authorize = provider === 'microsoft' ? '/microsoft/common/oauth2/v2.0/authorize' : `/${provider}/authorize`;
  const redirect = await fetch(authorizeUrl(authorize, { client_id: clientId, test_user: 'alice' }), {
    redirect: 'manual',
  });
  const code = String(new URL(String(redirect.headers.get('location'))).searchParams.get('code'));
  return fetch(`${idp.url}/${provider}${tokenPath}`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
    body: new URLSearchParams({
      grant_type: 'authorization_code',
      code,
      redirect_uri: 'http://127.0.0.1:9/cb',
      client_id: clientId,
      client_secret: clientSecret,
    }),
  });
};

describe('registered apps: the emulator is never more lenient than the provider', () => {
  it('exchanges a Facebook code for the registered app and secret', async () => {
    const response = await facebookExchange('222', 'right');
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({ token_type: 'bearer', access_token: expect.stringMatching(/^EAAG/) });
  });

  it('refuses a Facebook code exchange for an app it does not know with Graph error 101', async () => {
    const response = await facebookExchange('333', 'learned-on-use');
    expect(response.status).toBe(400);
    expect(await response.json()).toMatchObject({
      error: { code: 101, type: 'OAuthException', message: 'Error validating application. Invalid application ID.' },
    });
    // Nothing was learned: the same credentials are still refused, now at debug_token.
    const url = new URL(`${idp.url}/facebook/v23.0/debug_token`);
    url.searchParams.set('input_token', 'junk');
    const debug = await fetch(url, { headers: { authorization: 'Bearer 333|learned-on-use' } });
    expect(await debug.json()).toMatchObject({ error: { code: 101 } });
  });

  it('refuses a Facebook code exchange with a wrong secret with Graph error 1', async () => {
    const response = await facebookExchange('222', 'wrong');
    expect(response.status).toBe(400);
    expect(await response.json()).toMatchObject({
      error: { code: 1, type: 'OAuthException', message: 'Error validating client secret.' },
    });
  });

  it.each([
    ['google', '/token'],
    ['oidc', '/token'],
    ['linkedin', '/token'],
    ['microsoft', '/common/oauth2/v2.0/token'],
  ])('refuses at %s an unregistered client and a wrong secret with invalid_client', async (provider, tokenPath) => {
    const unknown = await oidcExchange(provider, tokenPath, 'never-registered', 's');
    expect(unknown.status).toBe(401);
    expect(await unknown.json()).toMatchObject({ error: 'invalid_client' });
    const wrong = await oidcExchange(provider, tokenPath, 'app', 'not-s');
    expect(wrong.status).toBe(401);
    expect(await wrong.json()).toMatchObject({ error: 'invalid_client' });
    const right = await oidcExchange(provider, tokenPath, 'app', 's');
    expect(right.status).toBe(200);
  });

  it('refuses at GitHub an unregistered client and a wrong secret with incorrect_client_credentials', async () => {
    const exchange = async (clientId: string, clientSecret: string) => {
      const redirect = await fetch(
        authorizeUrl('/github/login/oauth/authorize', { client_id: clientId, test_user: 'alice' }),
        {
          redirect: 'manual',
        },
      );
      const code = String(new URL(String(redirect.headers.get('location'))).searchParams.get('code'));
      const response = await fetch(`${idp.url}/github/login/oauth/access_token`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
        body: new URLSearchParams({
          client_id: clientId,
          client_secret: clientSecret,
          code,
          redirect_uri: 'http://127.0.0.1:9/cb',
        }),
      });
      return (await response.json()) as Record<string, unknown>;
    };
    expect(await exchange('never-registered', 's')).toMatchObject({ error: 'incorrect_client_credentials' });
    expect(await exchange('app', 'not-s')).toMatchObject({ error: 'incorrect_client_credentials' });
    expect(await exchange('app', 's')).toMatchObject({ access_token: expect.stringMatching(/^gho_/) });
  });

  it('refuses at Apple a client id it never registered, whatever client secret JWT comes with it', async () => {
    const response = await fetch(`${idp.url}/apple/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({
        grant_type: 'authorization_code',
        code: 'x',
        redirect_uri: 'http://127.0.0.1:9/cb',
        client_id: 'com.never.registered',
        client_secret: 'a.b.c',
      }),
    });
    expect(response.status).toBe(401);
    expect(await response.json()).toMatchObject({ error: 'invalid_client' });
  });

  it('answers 400 to a registration without a provider it emulates, a client id or a secret', async () => {
    for (const body of [
      { provider: 'myspace', clientId: 'a', clientSecret: 's' },
      { provider: 'google', clientSecret: 's' },
      { provider: 'google', clientId: 'a' },
      { provider: 'apple', clientId: 'a', clientSecret: 's' },
    ]) {
      const response = await fetch(`${idp.url}/_apps`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
      expect(response.status).toBe(400);
      expect(await response.json()).toMatchObject({ error: 'invalid_request' });
    }
  });
});

describe('POST /_control', () => {
  it('answers 400 for an unknown mode', async () => {
    const response = await fetch(`${idp.url}/_control`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ mode: 'broken' }),
    });
    expect(response.status).toBe(400);
  });

  it('makes one provider answer 503 when it is switched down, and only that one', async () => {
    await idp.control({ provider: 'linkedin', mode: 'down' });
    try {
      expect((await fetch(`${idp.url}/linkedin/jwks`)).status).toBe(503);
      expect((await fetch(`${idp.url}/google/jwks`)).status).toBe(200);
      expect(
        (
          await fetch(`${idp.url}/linkedin/_mint`, {
            method: 'POST',
            headers: { 'content-type': 'application/json' },
            body: '{"clientId":"a","sub":"1"}',
          })
        ).status,
      ).toBe(200);
    } finally {
      await idp.control({ mode: 'normal' });
    }
  });

  it('publishes the new key and keeps the previous one after a rotation', async () => {
    const before = (await (await fetch(`${idp.url}/oidc/jwks`)).json()) as { keys: { kid: string }[] };
    await idp.control({ provider: 'oidc', rotateKeys: true });
    const after = (await (await fetch(`${idp.url}/oidc/jwks`)).json()) as { keys: { kid: string }[] };
    expect(after.keys).toHaveLength(2);
    expect(after.keys[1]?.kid).toBe(before.keys[0]?.kid);
  });
});

describe('emulator hosting', () => {
  it('mounts under a prefix of a host app that already parses forms', async () => {
    const app = Fastify();
    await app.register(formbody);
    await app.register(emulatorPlugin, {
      prefix: '/_emulator',
      baseUrl: 'http://localhost:3000/_emulator',
      apps: [{ provider: 'oidc', clientId: 'a', clientSecret: 'b' }],
    });
    const discovery = await app.inject({ url: '/_emulator/oidc/.well-known/openid-configuration' });
    expect(discovery.json()).toMatchObject({ issuer: 'http://localhost:3000/_emulator/oidc' });
    const token = await app.inject({
      method: 'POST',
      url: '/_emulator/oidc/token',
      payload: 'grant_type=authorization_code&code=x&client_id=a&client_secret=b&redirect_uri=http%3A%2F%2Fx',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
    });
    expect(token.json()).toEqual({ error: 'invalid_grant' });
    await app.close();
  });

  it('closes promptly while a slow answer is pending', async () => {
    const own = await startEmulator();
    await own.control({ provider: 'google', mode: 'slow', slowMs: 60_000 });
    const pending = fetch(`${own.url}/google/jwks`).then(
      (r) => r.status,
      () => 'reset',
    );
    // A request sent after it, to a provider that is not slow, is answered: the server has read the slow one by then
    // and is holding it.
    expect((await fetch(`${own.url}/oidc/jwks`)).status).toBe(200);
    const closing = Date.now();
    await own.close();
    // close() does not wait out the minute the answer is held for.
    expect(Date.now() - closing).toBeLessThan(10_000);
    // The held answer is cut short: a 503, or the connection closed under it.
    expect([503, 'reset']).toContain(await pending);
  });

  it('prints how to use it when started as a command', async () => {
    const lines: string[] = [];
    const server = await runEmulatorCommand({ port: 0, host: '127.0.0.1', write: (line) => lines.push(line) });
    try {
      expect(lines[0]).toBe(`IdP emulator listening on ${server.url} (development and tests only; never expose it)`);
      expect((await fetch(`${server.url}/`)).status).toBe(200);
    } finally {
      await server.close();
    }
  });
});

describe('BoundedMap', () => {
  it('forgets the oldest entries past its size', () => {
    const map = new BoundedMap<string, number>(2);
    map.set('a', 1);
    map.set('b', 2);
    map.set('c', 3);
    expect([map.get('a'), map.get('b'), map.get('c')]).toEqual([undefined, 2, 3]);
  });
});
