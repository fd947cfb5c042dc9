/**
 * Social login through the Security API in real Chromium, with Apple's cross-site form_post: the IdP (the emulator,
 * reached as `localhost`) is another site than Gatehouse (`127.0.0.1`), so only a `SameSite=None` cookie survives the
 * POST back. Both a native-style start (bound to the app by its resume secret) and a same-origin widget start (bound
 * to the browser by a cookie) are driven.
 */
import { createServer, type Server } from 'node:http';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEmulatorServer, type EmulatorServer } from '../../../src/emulator/index.js';
import { launchBrowser } from '../../harness/browser.js';
import { freePort, type RunningGatehouse, startGatehouse } from '../../harness/gatehouse.js';
import { connectionOf, envelopeNulls, resume, resumeSecretOf, security } from './support.js';

/** The app's callback page, on its own site: records where the browser arrived. */
const startApp = async () => {
  const waiters: ((url: URL) => void)[] = [];
  const server: Server = createServer((request, response) => {
    const url = new URL(request.url ?? '/', `http://${request.headers.host}`);
    for (const resolve of waiters.splice(0)) resolve(url);
    response.writeHead(200, { 'content-type': 'text/html' }).end('<!doctype html><title>Back at the app</title>');
  });
  const port = await freePort();
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  return {
    callbackUrl: `http://localhost:${port}/after-login`,
    next: () => new Promise<URL>((resolve) => waiters.push(resolve)),
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
};

let emulator: EmulatorServer;
let gatehouse: RunningGatehouse;
let browser: Browser;
let app: Awaited<ReturnType<typeof startApp>>;

beforeAll(async () => {
  const emulatorPort = await freePort();
  [emulator, gatehouse, browser, app] = await Promise.all([
    createEmulatorServer({
      port: emulatorPort,
      publicUrl: `http://localhost:${emulatorPort}`,
      apps: [{ provider: 'apple', clientId: connectionOf('Apple', '').clientId }],
    }),
    startGatehouse(),
    launchBrowser(),
    startApp(),
  ]);
  await gatehouse.core.tenants.create({ id: 'chrome' });
  await gatehouse.core.clients.create('chrome', {
    clientId: 'chrome-app',
    public: true,
    callbackUrls: [app.callbackUrl],
  });
  await gatehouse.core.connections.set('chrome', connectionOf('Apple', emulator.url));
});
afterAll(async () => {
  await browser?.close();
  await app?.close();
  await gatehouse?.close();
  await emulator?.close();
});

const base = () => `${gatehouse.url}/t/chrome`;

/** At the emulator's Apple page: sign in as `user` and let the form_post go back (auto-submitted, or clicked). */
const signInAtApple = async (page: Page, idpRedirectUrl: string, user: string) => {
  const url = new URL(idpRedirectUrl);
  url.searchParams.set('test_user', user);
  const arrived = app.next();
  await page.goto(url.href);
  const button = page.getByRole('button', { name: 'Continue' });
  await Promise.race([arrived, button.click({ timeout: 5000 }).catch(() => undefined)]);
  return arrived;
};

describe('Security API social login in Chromium (Apple, form_post)', () => {
  it('returns the browser to the app for a flow a native client started, and the client resumes it', async () => {
    const started = await security(base(), 'StartSocialAuthentication', {
      IdpName: 'Apple',
      PostExtIdpAuthCallbackUrl: app.callbackUrl,
    });
    const { IdpRedirectUrl } = started.body.Result as { IdpRedirectUrl: string };
    const context = await browser.newContext();
    try {
      const back = await signInAtApple(await context.newPage(), IdpRedirectUrl, 'erin');
      expect(`${back.origin}${back.pathname}`).toBe(app.callbackUrl);
      const params = Object.fromEntries(back.searchParams);
      expect(params).toMatchObject({ customerId: 'chrome', username: 'x7k2q9p4r1@privaterelay.appleid.com' });
      const resumed = await resume(base(), params, resumeSecretOf(started));
      expect(resumed.body.Result).toMatchObject({ Summary: 'LoginSuccess', User: params.username });
    } finally {
      await context.close();
    }
  });

  it('binds a flow started by a same-origin page to the browser through the cross-site form_post', async () => {
    const context = await browser.newContext();
    try {
      const page = await context.newPage();
      await page.goto(`${gatehouse.url}/healthz`);
      const started = (await page.evaluate(async (callbackUrl) => {
        const response = await fetch('/t/chrome/Security/StartSocialAuthentication', {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'x-idap-native-client': 'true' },
          body: JSON.stringify({ IdpName: 'Apple', PostExtIdpAuthCallbackUrl: callbackUrl }),
        });
        return response.json();
      }, app.callbackUrl)) as { Result: { IdpRedirectUrl: string } };
      const bound = (await context.cookies(gatehouse.url)).filter((c) => c.name.startsWith('__Host-gatehouse_flow_'));
      expect(bound).toMatchObject([{ httpOnly: true, secure: true, sameSite: 'None', path: '/' }]);

      const back = await signInAtApple(page, started.Result.IdpRedirectUrl, 'alice');
      const params = Object.fromEntries(back.searchParams);
      expect(params.username).toBe('alice@example.com');

      // Another client, without the browser's cookie, cannot resume it.
      const stolen = await security(base(), 'ResumeFromExtIdpAuth', {}, { query: params });
      expect(stolen.body).toMatchObject({ success: false, ErrorCode: 'SessionInvalid' });

      await page.goto(`${gatehouse.url}/healthz`);
      const resumed = (await page.evaluate(async (query) => {
        const response = await fetch(`/t/chrome/Security/ResumeFromExtIdpAuth?${new URLSearchParams(query)}`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: '{}',
        });
        return response.json();
      }, params)) as { success: boolean; Result: { Auth: string; Summary: string } };
      expect(resumed).toMatchObject({ success: true, Result: { Summary: 'LoginSuccess' }, ...envelopeNulls });
      const session = (await context.cookies(gatehouse.url)).find((c) => c.name === '.ASPXAUTH');
      expect(session).toMatchObject({ value: resumed.Result.Auth, httpOnly: true, sameSite: 'Lax' });
    } finally {
      await context.close();
    }
  });
});
