import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { browserFetch, CookieJar, csrfOf, locationOf } from '../../harness/clients.js';
import { type RunningGatehouse, startGatehouse } from '../../harness/gatehouse.js';
import { expectNoWrites } from '../../harness/storage.js';
import { authorizeUrl, obtainCode, password, pkce, redirectUri, setUpTenant, type TestTenant } from './fixture.js';

let gatehouse: RunningGatehouse;
let tenant: TestTenant;

beforeAll(async () => {
  gatehouse = await startGatehouse();
  tenant = await setUpTenant(gatehouse, 'authz');
  await gatehouse.core.clients.create(tenant.id, {
    clientId: 'authz-narrow',
    redirectUris: [redirectUri],
    settings: { scopes: ['openid'] },
  });
  await gatehouse.core.clients.create(tenant.id, {
    clientId: 'authz-machine',
    redirectUris: [redirectUri],
    grantTypes: ['client_credentials'],
  });
});
afterAll(async () => {
  await gatehouse?.close();
});

const noWrites = <T>(action: () => Promise<T>) => expectNoWrites(gatehouse.storage.db, action);

const get = (url: string, jar = new CookieJar()) =>
  noWrites(async () => {
    const response = await browserFetch(jar, url);
    return {
      status: response.status,
      location: response.headers.get('location'),
      headers: response.headers,
      text: await response.text(),
    };
  });

/** The error parameters of a redirect to the client, as a plain object. */
const redirectParams = (location: string | null) => {
  expect(location).not.toBeNull();
  const url = new URL(location as string);
  expect(`${url.origin}${url.pathname}`).toBe(redirectUri);
  return Object.fromEntries(url.searchParams);
};

describe('GET /t/:tenant/authorize before the redirect URI is trusted', () => {
  it('shows an error page, and never redirects, for an unregistered redirect_uri', async () => {
    const response = await get(
      authorizeUrl(tenant.issuer, { client_id: tenant.web.clientId, redirect_uri: 'https://evil.example/cb' }),
    );
    expect(response.status).toBe(400);
    expect(response.location).toBeNull();
    expect(response.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(response.headers.get('content-security-policy')).toMatch(/^default-src 'none'; style-src 'nonce-[^']+';/);
    expect(response.text).toContain('Details: redirect_uri is not registered for this client');
    expect(response.text).not.toContain('evil.example');
  });

  it('shows an error page for an unknown client', async () => {
    const response = await get(authorizeUrl(tenant.issuer, { client_id: 'nobody' }));
    expect(response.status).toBe(400);
    expect(response.location).toBeNull();
    expect(response.text).toContain('Details: the client is not known to this issuer');
  });

  it('shows an error page when client_id is missing or redirect_uri is repeated', async () => {
    const missing = await get(authorizeUrl(tenant.issuer, {}));
    expect(missing.status).toBe(400);
    expect(missing.text).toContain('Details: client_id is missing');
    const repeated = await get(
      `${authorizeUrl(tenant.issuer, { client_id: tenant.web.clientId })}&redirect_uri=${encodeURIComponent(redirectUri)}`,
    );
    expect(repeated.status).toBe(400);
    expect(repeated.location).toBeNull();
    expect(repeated.text).toContain('Details: redirect_uri was sent more than once');
  });

  it('shows an error page for an unknown tenant', async () => {
    const response = await get(authorizeUrl(`${gatehouse.url}/t/nowhere`, { client_id: tenant.web.clientId }));
    expect(response.status).toBe(404);
    expect(response.location).toBeNull();
    expect(response.text).toContain('Details: tenant &quot;nowhere&quot; does not exist');
  });
});

describe('GET /t/:tenant/authorize errors sent back to the client', () => {
  const issuerParam = () => ({ state: 'state-123', iss: tenant.issuer });

  it('requires PKCE from a public client', async () => {
    const response = await get(authorizeUrl(tenant.issuer, { client_id: tenant.spa.clientId }));
    expect(response.status).toBe(303);
    expect(redirectParams(response.location)).toEqual({
      error: 'invalid_request',
      error_description: 'code_challenge is required (PKCE with S256) for public clients',
      ...issuerParam(),
    });
  });

  it('refuses the plain PKCE method', async () => {
    const response = await get(
      authorizeUrl(tenant.issuer, {
        client_id: tenant.spa.clientId,
        code_challenge: pkce().verifier,
        code_challenge_method: 'plain',
      }),
    );
    expect(redirectParams(response.location)).toEqual({
      error: 'invalid_request',
      error_description: 'code_challenge_method must be S256',
      ...issuerParam(),
    });
  });

  it('refuses any response_type but code', async () => {
    const response = await get(authorizeUrl(tenant.issuer, { client_id: tenant.web.clientId, response_type: 'token' }));
    expect(redirectParams(response.location)).toEqual({
      error: 'unsupported_response_type',
      error_description: 'only response_type=code is supported',
      ...issuerParam(),
    });
  });

  it('refuses a scope the client may not ask for', async () => {
    const response = await get(authorizeUrl(tenant.issuer, { client_id: 'authz-narrow', scope: 'openid email' }));
    expect(redirectParams(response.location)).toEqual({
      error: 'invalid_scope',
      error_description: 'the client may not request scope "email"',
      ...issuerParam(),
    });
  });

  it('answers prompt=none without a session with login_required', async () => {
    const response = await get(authorizeUrl(tenant.issuer, { client_id: tenant.web.clientId, prompt: 'none' }));
    expect(redirectParams(response.location)).toEqual({
      error: 'login_required',
      error_description: 'the user is not signed in',
      ...issuerParam(),
    });
  });

  it('refuses a client that may not use the authorization code grant', async () => {
    const response = await get(authorizeUrl(tenant.issuer, { client_id: 'authz-machine' }));
    expect(redirectParams(response.location)).toEqual({
      error: 'unauthorized_client',
      error_description: 'the client may not use the authorization code grant',
      ...issuerParam(),
    });
  });
});

describe('GET /t/:tenant/authorize and the hosted sign-in page', () => {
  it('stores the request with its idp_hint, bound to the browser by a cookie scoped to its sign-in page', async () => {
    const url = authorizeUrl(tenant.issuer, { client_id: tenant.web.clientId, idp_hint: 'google' });
    const start = await browserFetch(new CookieJar(), url);
    expect(start.status).toBe(303);
    const cookie = start.headers.getSetCookie().find((c) => c.startsWith('gatehouse_authz=')) as string;
    const match = new RegExp(
      `^gatehouse_authz=([A-Za-z0-9_-]{43}); Max-Age=1800; Path=/t/${tenant.id}/sign-in/([A-Za-z0-9_-]{32}); HttpOnly; SameSite=Lax$`,
    ).exec(cookie);
    expect(match).not.toBeNull();
    const [, binding, requestId] = match as unknown as [string, string, string];
    const pending = await gatehouse.core.login.authorizationRequests.find(tenant.id, requestId, binding);
    expect(pending).toMatchObject({
      tenantId: tenant.id,
      clientId: tenant.web.clientId,
      params: { idpHint: 'google', state: 'state-123', redirectUri, scope: 'openid email profile', prompt: [] },
    });
    expect(
      await gatehouse.core.login.authorizationRequests.find(tenant.id, requestId, 'another-browser'),
    ).toBeUndefined();
  });

  it('shows the sign-in page under a strict CSP, with login_hint prefilled, only to the browser that started it', async () => {
    const jar = new CookieJar();
    const url = authorizeUrl(tenant.issuer, { client_id: tenant.web.clientId, login_hint: tenant.user.email });
    const start = await browserFetch(jar, url);
    const page = locationOf(start, url);
    expect(page).toMatch(new RegExp(`^${tenant.issuer}/sign-in/[A-Za-z0-9_-]{32}$`));

    const response = await browserFetch(jar, page);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-security-policy')).toMatch(
      new RegExp(
        `^default-src 'none'; style-src 'nonce-[A-Za-z0-9+/=]+'; img-src 'self' data:; form-action 'self' ${gatehouse.url} http://127.0.0.1:9; frame-ancestors 'none'; base-uri 'none'$`,
      ),
    );
    expect(response.headers.get('x-frame-options')).toBe('DENY');
    const html = await response.text();
    expect(html).toContain(`value="${tenant.user.email}"`);
    expect(html).toContain('<label for="password">Password</label>');
    expect(html).toContain('to continue to Web shop');
    expect(html).not.toContain('<script');

    const elsewhere = await browserFetch(new CookieJar(), page);
    expect(elsewhere.status).toBe(400);
    expect(await elsewhere.text()).toContain('This sign-in link has expired or was already used.');
  });

  it('re-renders the form on a wrong password and writes nothing', async () => {
    const jar = new CookieJar();
    const url = authorizeUrl(tenant.issuer, { client_id: tenant.web.clientId });
    const page = locationOf(await browserFetch(jar, url), url);
    const csrf = csrfOf(await (await browserFetch(jar, page)).text());
    const response = await noWrites(() =>
      browserFetch(jar, page, {
        method: 'POST',
        body: new URLSearchParams({ csrf, email: tenant.user.email, password: 'not it' }),
      }),
    );
    expect(response.status).toBe(401);
    const html = await response.text();
    expect(html).toContain('<p class="error" role="alert" id="form-error">The email or password is wrong.</p>');
    expect(html).toContain('aria-invalid="true" aria-describedby="form-error"');
    expect(response.headers.get('location')).toBeNull();
  });

  it('refuses a form without the right CSRF token', async () => {
    const jar = new CookieJar();
    const url = authorizeUrl(tenant.issuer, { client_id: tenant.web.clientId });
    const page = locationOf(await browserFetch(jar, url), url);
    const response = await noWrites(() =>
      browserFetch(jar, page, {
        method: 'POST',
        body: new URLSearchParams({ csrf: 'forged', email: tenant.user.email, password }),
      }),
    );
    expect(response.status).toBe(403);
    expect(await response.text()).toContain('Details: the form is stale; reload the page and try again');
  });

  it('signs in once and answers the next client from the session (SSO), with iss and state', async () => {
    const jar = new CookieJar();
    const first = await obtainCode(tenant, tenant.web.clientId, { jar });
    expect(first.callback.searchParams.get('iss')).toBe(tenant.issuer);
    expect(first.callback.searchParams.get('state')).toBe('state-123');
    expect(jar.names()).toContain('gatehouse_session');

    const { challenge } = pkce();
    const url = authorizeUrl(tenant.issuer, {
      client_id: tenant.spa.clientId,
      code_challenge: challenge,
      code_challenge_method: 'S256',
      prompt: 'none',
    });
    const sso = await browserFetch(jar, url);
    expect(sso.status).toBe(303);
    const params = redirectParams(sso.headers.get('location'));
    expect(Object.keys(params).sort()).toEqual(['code', 'iss', 'state']);

    const again = await browserFetch(
      jar,
      authorizeUrl(tenant.issuer, { client_id: tenant.web.clientId, prompt: 'login' }),
    );
    expect(locationOf(again, tenant.issuer)).toMatch(/\/sign-in\//);
    const aged = await browserFetch(jar, authorizeUrl(tenant.issuer, { client_id: tenant.web.clientId, max_age: '0' }));
    expect(locationOf(aged, tenant.issuer)).toMatch(/\/sign-in\//);
  });

  it('accepts the authorization request by POST', async () => {
    const jar = new CookieJar();
    const { searchParams } = new URL(authorizeUrl(tenant.issuer, { client_id: tenant.web.clientId }));
    const response = await browserFetch(jar, `${tenant.issuer}/authorize`, { method: 'POST', body: searchParams });
    expect(response.status).toBe(303);
    expect(locationOf(response, tenant.issuer)).toMatch(new RegExp(`^${tenant.issuer}/sign-in/`));
  });
});
