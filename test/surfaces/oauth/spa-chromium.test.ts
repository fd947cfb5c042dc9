import { createServer, type Server } from 'node:http';
import * as jose from 'jose';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchBrowser } from '../../harness/browser.js';
import { type RunningGatehouse, startGatehouse } from '../../harness/gatehouse.js';
import { password, setUpTenant, type TestTenant } from './fixture.js';

/**
 * A single-page application as one is written: a static page that does the authorization code flow with PKCE
 * itself (Web Crypto), redeems the code, refreshes and calls userinfo with `fetch`, from its own origin.
 */
const spaPage = (issuer: string, clientId: string) => `<!doctype html>
<meta charset="utf-8"><title>Single-page app</title>
<script>
const issuer = ${JSON.stringify(issuer)};
const clientId = ${JSON.stringify(clientId)};
const redirectUri = location.origin + '/callback';
const b64url = (bytes) =>
  btoa(String.fromCharCode(...new Uint8Array(bytes))).replace(/\\+/g, '-').replace(/\\//g, '_').replace(/=+$/, '');
const random = () => b64url(crypto.getRandomValues(new Uint8Array(32)));

async function login() {
  const verifier = random();
  const state = random();
  sessionStorage.setItem('verifier', verifier);
  sessionStorage.setItem('state', state);
  const challenge = b64url(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(verifier)));
  const url = new URL(issuer + '/authorize');
  url.search = new URLSearchParams({
    response_type: 'code', client_id: clientId, redirect_uri: redirectUri, scope: 'openid email',
    state, code_challenge: challenge, code_challenge_method: 'S256',
  }).toString();
  location.assign(url.href);
}

async function token(params) {
  const response = await fetch(issuer + '/token', { method: 'POST', body: new URLSearchParams(params) });
  return { status: response.status, body: await response.json() };
}

async function finish() {
  const params = new URLSearchParams(location.search);
  if (params.get('state') !== sessionStorage.getItem('state')) throw new Error('state mismatch');
  const issued = await token({
    grant_type: 'authorization_code', code: params.get('code'), redirect_uri: redirectUri, client_id: clientId,
    code_verifier: sessionStorage.getItem('verifier'),
  });
  const refreshed = await token({ grant_type: 'refresh_token', refresh_token: issued.body.refresh_token, client_id: clientId });
  const response = await fetch(issuer + '/userinfo', { headers: { authorization: 'Bearer ' + refreshed.body.access_token } });
  return { issued, refreshed, userinfo: { status: response.status, body: await response.json() } };
}

/** What an origin no client registered can do: read the public documents, and nothing else. */
async function probe() {
  const outcome = async (call) => {
    try { return 'read ' + (await call()).status; } catch (error) { return 'blocked: ' + error.name; }
  };
  return {
    jwks: await outcome(() => fetch(issuer + '/jwks')),
    discovery: await outcome(() => fetch(issuer + '/.well-known/openid-configuration')),
    token: await outcome(() => fetch(issuer + '/token', {
      method: 'POST', body: new URLSearchParams({ grant_type: 'refresh_token', refresh_token: 'x', client_id: clientId }),
    })),
    userinfo: await outcome(() => fetch(issuer + '/userinfo', { headers: { authorization: 'Bearer x' } })),
  };
}
</script>
<p>Single-page app</p>`;

/** A static server for the page: every path answers it (the app routes itself, `/callback` included). */
const startStaticServer = async (page: () => string) => {
  const server: Server = createServer((_request, response) => {
    response.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(page());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  return {
    origin: `http://127.0.0.1:${port}`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
};

let gatehouse: RunningGatehouse;
let tenant: TestTenant;
let browser: Browser;
let spa: Awaited<ReturnType<typeof startStaticServer>>;
let stranger: Awaited<ReturnType<typeof startStaticServer>>;
const clientId = 'spa-chromium';

beforeAll(async () => {
  let html = '';
  [gatehouse, browser, spa, stranger] = await Promise.all([
    startGatehouse(),
    launchBrowser(),
    startStaticServer(() => html),
    startStaticServer(() => html),
  ]);
  tenant = await setUpTenant(gatehouse, 'spa-chromium');
  html = spaPage(tenant.issuer, clientId);
  await gatehouse.core.clients.create(tenant.id, {
    clientId,
    name: 'Single-page app',
    public: true,
    redirectUris: [`${spa.origin}/callback`],
    settings: { allowedOrigins: [spa.origin] },
  });
});
afterAll(async () => {
  await browser?.close();
  await spa?.close();
  await stranger?.close();
  await gatehouse?.close();
});

describe('a single-page application on another origin, in Chromium', () => {
  it('signs in with the code flow and PKCE, redeems and refreshes by fetch, and reads userinfo', async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    await page.goto(`${spa.origin}/`);
    await page.evaluate('login()');
    await page.waitForURL(`${tenant.issuer}/**`);
    await page.getByLabel('Email').fill(tenant.user.email);
    await page.getByLabel('Password').fill(password);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL(`${spa.origin}/callback?**`);

    const result = (await page.evaluate('finish()')) as {
      issued: { status: number; body: { id_token: string; refresh_token: string; access_token: string } };
      refreshed: { status: number; body: { access_token: string; refresh_token: string } };
      userinfo: { status: number; body: Record<string, unknown> };
    };
    expect(result.issued.status).toBe(200);
    expect(result.issued.body.refresh_token).toEqual(expect.any(String));
    const idToken = await jose.jwtVerify(
      result.issued.body.id_token,
      jose.createRemoteJWKSet(new URL(`${tenant.issuer}/jwks`)),
      { issuer: tenant.issuer, audience: clientId, algorithms: ['RS256'] },
    );
    expect(idToken.payload.sub).toBe(tenant.user.id);
    expect(result.refreshed.status).toBe(200);
    expect(result.refreshed.body.refresh_token).not.toBe(result.issued.body.refresh_token);
    expect(result.userinfo).toEqual({
      status: 200,
      body: expect.objectContaining({ sub: tenant.user.id, email: tenant.user.email }),
    });
    await context.close();
  });

  it('lets an origin no client registered read the public documents, and blocks its calls to the token side', async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    await page.goto(`${stranger.origin}/`);
    expect(await page.evaluate('probe()')).toEqual({
      jwks: 'read 200',
      discovery: 'read 200',
      token: 'blocked: TypeError',
      userinfo: 'blocked: TypeError',
    });
    await context.close();
  });
});
