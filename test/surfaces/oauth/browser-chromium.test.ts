import { createServer, type Server } from 'node:http';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchBrowser } from '../../harness/browser.js';
import { discover, oidc } from '../../harness/clients.js';
import { type RunningGatehouse, startGatehouse } from '../../harness/gatehouse.js';
import { password, setUpTenant, type TestTenant } from './fixture.js';

/** A stand-in relying party: records every request to its callback and answers a plain page. */
const startCallbackServer = async () => {
  const hits: URL[] = [];
  const waiters: ((url: URL) => void)[] = [];
  const server: Server = createServer((request, response) => {
    const url = new URL(request.url ?? '/', 'http://127.0.0.1');
    hits.push(url);
    for (const resolve of waiters.splice(0)) resolve(url);
    response.writeHead(200, { 'content-type': 'text/html' }).end('<!doctype html><title>Back at the app</title>');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  return {
    redirectUri: `http://127.0.0.1:${port}/callback`,
    hits,
    next: () => new Promise<URL>((resolve) => waiters.push(resolve)),
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
};

let gatehouse: RunningGatehouse;
let tenant: TestTenant;
let browser: Browser;
let app: Awaited<ReturnType<typeof startCallbackServer>>;
let client: { clientId: string; secret: string };

beforeAll(async () => {
  [gatehouse, app, browser] = await Promise.all([startGatehouse(), startCallbackServer(), launchBrowser()]);
  tenant = await setUpTenant(gatehouse, 'chromium');
  const created = await gatehouse.core.clients.create(tenant.id, {
    clientId: 'chromium-app',
    name: 'Browser app',
    redirectUris: [app.redirectUri],
  });
  client = { clientId: created.client.clientId, secret: created.clientSecret as string };
});
afterAll(async () => {
  await browser?.close();
  await app?.close();
  await gatehouse?.close();
});

describe('the hosted sign-in page in Chromium', () => {
  it('signs in and redirects back with a code, without a consent step', async () => {
    const config = await discover(tenant.issuer, client.clientId, { secret: client.secret });
    const verifier = oidc.randomPKCECodeVerifier();
    const state = oidc.randomState();
    const url = oidc.buildAuthorizationUrl(config, {
      redirect_uri: app.redirectUri,
      scope: 'openid email',
      code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
      code_challenge_method: 'S256',
      state,
      login_hint: tenant.user.email,
    });

    const context = await browser.newContext();
    const page = await context.newPage();
    const violations: string[] = [];
    page.on('console', (message) => {
      if (/Content Security Policy/i.test(message.text())) violations.push(message.text());
    });
    await page.goto(url.href);
    expect(await page.title()).toBe(`Sign in – Tenant ${tenant.id}`);
    await expect(page.getByLabel('Email').inputValue()).resolves.toBe(tenant.user.email);

    await page.getByLabel('Password').fill('wrong password');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await expect(page.getByRole('alert').textContent()).resolves.toBe('The email or password is wrong.');

    await page.getByLabel('Password').fill(password);
    const arrived = app.next();
    await page.getByRole('button', { name: 'Sign in' }).click();
    const callback = await arrived;
    await page.waitForURL(`${app.redirectUri}?**`);
    expect(violations).toEqual([]);
    expect([...callback.searchParams.keys()].sort()).toEqual(['code', 'iss', 'state']);
    expect(callback.searchParams.get('state')).toBe(state);
    expect(callback.searchParams.get('iss')).toBe(tenant.issuer);

    const tokens = await oidc.authorizationCodeGrant(config, new URL(`${app.redirectUri}${callback.search}`), {
      pkceCodeVerifier: verifier,
      expectedState: state,
    });
    expect(tokens.claims()).toMatchObject({ sub: tenant.user.id, email: tenant.user.email, amr: ['pwd'] });

    // Single sign-on: the same browser comes straight back for the next request.
    const again = app.next();
    await page.goto(
      oidc.buildAuthorizationUrl(config, {
        redirect_uri: app.redirectUri,
        scope: 'openid',
        state: 'second',
        prompt: 'none',
      }).href,
    );
    expect((await again).searchParams.get('state')).toBe('second');
    expect((await again).searchParams.has('code')).toBe(true);
    await context.close();
  });
});
