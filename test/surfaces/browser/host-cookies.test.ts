/**
 * The hosted pages' cookies on an https public URL (the server itself listens on plain http behind it, as behind a
 * TLS-terminating proxy): every cookie a sign-in (password, or an upstream IdP through the emulator), the consent
 * page and logout set is `__Host-` (Secure, Path=/, no Domain), and the names keep tenants and concurrent
 * authorization requests in one browser apart.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { browserFetch, CookieJar, csrfOf } from '../../harness/clients.js';
import { type EmulatorHarness, startEmulator } from '../../harness/emulator.js';
import { type RunningGatehouse, startGatehouse } from '../../harness/gatehouse.js';
import { storageKinds } from '../../harness/storage.js';
import { aSocialTenant } from '../cyberark/support.js';

const publicUrl = 'https://gatehouse.test';
const redirectUri = 'https://app.example/oauth/callback';
const password = 'a password for the https pages';

let idp: EmulatorHarness;
beforeAll(async () => {
  idp = await startEmulator();
});
afterAll(async () => {
  await idp?.close();
});

/** Every `__Host-` cookie rule (RFC 6265bis §4.1.3.2), plus the attributes the hosted pages always set. */
const expectHostCookie = (line: string) => {
  const [pair = '', ...attributes] = line.split(';').map((part) => part.trim());
  expect(pair).toMatch(/^__Host-gatehouse_(session|authz|flow)_[A-Za-z0-9_-]{16}=/);
  expect(attributes).toContain('Secure');
  expect(attributes).toContain('Path=/');
  expect(attributes).toContain('HttpOnly');
  expect(attributes.some((a) => /^domain=/i.test(a))).toBe(false);
  expect(attributes.filter((a) => /^path=/i.test(a))).toEqual(['Path=/']);
};

describe.each(storageKinds)('hosted-page cookies on an https public URL (%s)', (kind) => {
  let gatehouse: RunningGatehouse;
  const tenantA = `hc-a-${kind}`;
  const tenantB = `hc-b-${kind}`;
  /** Every Set-Cookie line Gatehouse sent, in order. */
  const setCookies: string[] = [];

  /** The public address as the server is reached here (the proxy's job). */
  const local = (url: string) => (url.startsWith(publicUrl) ? `${gatehouse.url}${url.slice(publicUrl.length)}` : url);
  const visit = async (jar: CookieJar, url: string, init: RequestInit = {}) => {
    const response = await browserFetch(jar, local(url), init);
    setCookies.push(...response.headers.getSetCookie());
    return response;
  };
  const locationOf = (response: Response): string => {
    const location = response.headers.get('location');
    if (location === null) throw new Error(`expected a redirect, got ${response.status}`);
    return new URL(location, publicUrl).href;
  };
  /** Follows Gatehouse's redirects until one leaves it (to the client or the IdP); the last answer and that URL. */
  const follow = async (jar: CookieJar, first: Response) => {
    let response = first;
    let next = '';
    while (response.status === 302 || response.status === 303) {
      next = locationOf(response);
      if (!next.startsWith(publicUrl)) break;
      response = await visit(jar, next);
    }
    return { response, next };
  };
  const postForm = (jar: CookieJar, url: string, fields: Record<string, string>) =>
    visit(jar, url, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams(fields).toString(),
    });
  const authorizeUrl = (tenant: string, client: string, extra: Record<string, string> = {}) => {
    const url = new URL(`${publicUrl}/t/${tenant}/authorize`);
    const params = {
      response_type: 'code',
      client_id: client,
      redirect_uri: redirectUri,
      scope: 'openid',
      // Public clients: PKCE (the verifier is not needed, no code is redeemed here).
      code_challenge: 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM',
      code_challenge_method: 'S256',
      ...extra,
    };
    for (const [name, value] of Object.entries(params)) url.searchParams.set(name, value);
    return url.href;
  };
  const callbackOf = (next: string) => {
    expect(next.startsWith(`${redirectUri}?`)).toBe(true);
    return new URL(next).searchParams;
  };
  /** The hosted sign-in page of a new request, then its password form: where the browser goes next. */
  const passwordSignIn = async (jar: CookieJar, tenant: string, client: string) => {
    const { response: page, next: signInPage } = await follow(jar, await visit(jar, authorizeUrl(tenant, client)));
    expect(page.status).toBe(200);
    const csrf = csrfOf(await page.text());
    return follow(jar, await postForm(jar, signInPage, { csrf, email: `pat@${tenant}.example`, password }));
  };
  /** `prompt=none`: whether the jar holds a live session at the tenant. */
  const silently = async (jar: CookieJar, tenant: string) => {
    const response = await visit(jar, authorizeUrl(tenant, `${tenant}-app`, { prompt: 'none' }));
    const params = callbackOf(locationOf(response));
    return params.get('code') === null ? params.get('error') : 'code';
  };

  beforeAll(async () => {
    gatehouse = await startGatehouse({ storage: kind, config: { publicUrl } });
    for (const tenant of [tenantA, tenantB]) {
      await aSocialTenant(gatehouse.core, idp, tenant);
      await gatehouse.core.users.create(tenant, { email: `pat@${tenant}.example`, password, emailVerified: true });
      await gatehouse.core.clients.create(tenant, {
        clientId: `${tenant}-third-party`,
        name: 'A third party',
        public: true,
        redirectUris: [redirectUri],
        settings: { consent: 'required' },
      });
    }
  });
  afterAll(async () => {
    await gatehouse?.close();
  });

  it('sets only __Host- cookies through a password sign-in, the consent page and logout', async () => {
    setCookies.length = 0;
    const jar = new CookieJar();
    const { response: consent, next: consentPage } = await passwordSignIn(jar, tenantA, `${tenantA}-third-party`);
    expect(consent.status).toBe(200);
    expect(new URL(consentPage).pathname).toMatch(/\/consent$/);
    const allowed = await postForm(jar, consentPage, { csrf: csrfOf(await consent.text()), decision: 'allow' });
    expect(callbackOf(locationOf(allowed)).get('code')).toMatch(/.+/);

    const logout = await visit(jar, `${publicUrl}/t/${tenantA}/logout`);
    expect(logout.status).toBe(200);
    const form = await logout.text();
    const confirm = /name="confirm" value="([^"]+)"/.exec(form)?.[1] ?? '';
    const signedOut = await postForm(jar, `${publicUrl}/t/${tenantA}/logout`, { confirm });
    expect(signedOut.status).toBe(200);
    expect(await silently(jar, tenantA)).toBe('login_required');

    // Set: the request binding and the session; cleared: the binding (consent) and the session (logout).
    expect(setCookies.filter((line) => !line.includes('Max-Age=0'))).toHaveLength(2);
    expect(setCookies.filter((line) => line.includes('Max-Age=0'))).toHaveLength(2);
    for (const line of setCookies) expectHostCookie(line);
    expect(jar.names()).toEqual([]);
  });

  it('sets only __Host- cookies through an upstream sign-in at the emulator', async () => {
    setCookies.length = 0;
    const jar = new CookieJar();
    const authorize = authorizeUrl(tenantA, `${tenantA}-app`, { idp_hint: 'google' });
    const { next: idpUrl } = await follow(jar, await visit(jar, authorize));
    expect(idpUrl.startsWith(`${idp.url}/google/authorize?`)).toBe(true);
    const callback = await idp.signIn(idpUrl, 'alice');
    const back = `${callback.redirectUri}?${callback.params}`;
    expect(back.startsWith(publicUrl)).toBe(true);
    const { next } = await follow(jar, await visit(jar, back));
    expect(callbackOf(next).get('code')).toMatch(/.+/);

    expect(setCookies.length).toBeGreaterThanOrEqual(4);
    for (const line of setCookies) expectHostCookie(line);
    expect(setCookies.some((line) => line.startsWith('__Host-gatehouse_flow_'))).toBe(true);
    expect(jar.names().filter((name) => name.startsWith('__Host-gatehouse_session_'))).toHaveLength(1);
    expect(await silently(jar, tenantA)).toBe('code');
  });

  it("keeps two tenants' sessions in one browser apart", async () => {
    const jar = new CookieJar();
    expect(callbackOf((await passwordSignIn(jar, tenantA, `${tenantA}-app`)).next).get('code')).toMatch(/.+/);
    expect(await silently(jar, tenantB)).toBe('login_required');
    expect(callbackOf((await passwordSignIn(jar, tenantB, `${tenantB}-app`)).next).get('code')).toMatch(/.+/);
    const sessions = jar.names().filter((name) => name.startsWith('__Host-gatehouse_session_'));
    expect(new Set(sessions).size).toBe(2);
    expect(await silently(jar, tenantA)).toBe('code');
    expect(await silently(jar, tenantB)).toBe('code');

    // Signing out at one tenant leaves the other signed in.
    const logout = await visit(jar, `${publicUrl}/t/${tenantB}/logout`);
    const confirm = /name="confirm" value="([^"]+)"/.exec(await logout.text())?.[1] ?? '';
    await postForm(jar, `${publicUrl}/t/${tenantB}/logout`, { confirm });
    expect(await silently(jar, tenantB)).toBe('login_required');
    expect(await silently(jar, tenantA)).toBe('code');
  });

  it('keeps two pending requests in one browser apart', async () => {
    const jar = new CookieJar();
    const first = await follow(jar, await visit(jar, authorizeUrl(tenantA, `${tenantA}-app`)));
    const second = await follow(jar, await visit(jar, authorizeUrl(tenantA, `${tenantA}-app`)));
    expect(first.next).not.toBe(second.next);
    expect(jar.names().filter((name) => name.startsWith('__Host-gatehouse_authz_'))).toHaveLength(2);
    // The first request's page still works after the second started (each has its own binding).
    const csrf = csrfOf(await first.response.text());
    const signedIn = await postForm(jar, first.next, { csrf, email: `pat@${tenantA}.example`, password });
    expect(callbackOf((await follow(jar, signedIn)).next).get('code')).toMatch(/.+/);
    expect(jar.names().filter((name) => name.startsWith('__Host-gatehouse_authz_'))).toHaveLength(1);
  });

  it('does not read the session from a cookie without the __Host- name', async () => {
    const jar = new CookieJar();
    await passwordSignIn(jar, tenantA, `${tenantA}-app`);
    const [session] = jar.values();
    const response = await fetch(local(authorizeUrl(tenantA, `${tenantA}-app`, { prompt: 'none' })), {
      headers: { cookie: `gatehouse_session=${session}` },
      redirect: 'manual',
    });
    expect(callbackOf(locationOf(response)).get('error')).toBe('login_required');
  });
});
