/**
 * The consent page of a third-party client (`settings.consent: required`) in Chromium: which application, which
 * scopes; deny returns `access_denied` to the client, allow returns a code and is remembered per user, client and
 * scopes; new scopes and `prompt=consent` ask again; `prompt=none` cannot ask and says `consent_required`.
 */
import { createServer, type Server } from 'node:http';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchBrowser } from '../../harness/browser.js';
import { type RunningGatehouse, startGatehouse } from '../../harness/gatehouse.js';
import { storageKinds } from '../../harness/storage.js';

const password = 'consent is not implied';

/** A stand-in relying party that records each arrival at its callback. */
const startCallbackServer = async () => {
  const waiters: ((url: URL) => void)[] = [];
  const server: Server = createServer((request, response) => {
    const url = new URL(request.url ?? '/', 'http://127.0.0.1');
    // Only the callback counts (not the browser's favicon request).
    if (url.pathname === '/callback') for (const resolve of waiters.splice(0)) resolve(url);
    response.writeHead(200, { 'content-type': 'text/html' }).end('<!doctype html><title>Back at the app</title>');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  return {
    redirectUri: `http://127.0.0.1:${port}/callback`,
    next: () => new Promise<URL>((resolve) => waiters.push(resolve)),
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
};

describe.each(storageKinds)('the consent page in Chromium (%s)', (kind) => {
  let gatehouse: RunningGatehouse;
  let browser: Browser;
  let app: Awaited<ReturnType<typeof startCallbackServer>>;
  let page: Page;
  const violations: string[] = [];
  const tenantId = `consent-${kind}`;
  const email = `cora-${kind}@example.com`;

  const authorize = (scope: string, extra: Record<string, string> = {}) => {
    const url = new URL(`${gatehouse.issuer(tenantId)}/authorize`);
    const params = {
      response_type: 'code',
      client_id: 'recipes-app',
      redirect_uri: app.redirectUri,
      scope,
      state: 'st-1',
      ...extra,
    };
    for (const [name, value] of Object.entries(params)) url.searchParams.set(name, value);
    return url.href;
  };
  /** Navigates and waits for the browser to land back at the client. */
  const arrive = async (action: () => Promise<unknown>) => {
    const arrived = app.next();
    await action();
    return arrived;
  };

  beforeAll(async () => {
    [gatehouse, app, browser] = await Promise.all([
      startGatehouse({ storage: kind }),
      startCallbackServer(),
      launchBrowser(),
    ]);
    await gatehouse.core.tenants.create({ id: tenantId, name: 'Acme Kitchen' });
    await gatehouse.core.clients.create(tenantId, {
      clientId: 'recipes-app',
      name: 'Recipe Box',
      redirectUris: [app.redirectUri],
      settings: { consent: 'required' },
    });
    await gatehouse.core.users.create(tenantId, { email, password, emailVerified: true });
    const context = await browser.newContext();
    page = await context.newPage();
    page.on('console', (message) => {
      if (/Content Security Policy/i.test(message.text())) violations.push(message.text());
    });
  });
  afterAll(async () => {
    await browser?.close();
    await app?.close();
    await gatehouse?.close();
  });

  it('shows which application asks for what, and returns access_denied with state and iss on deny', async () => {
    await page.goto(authorize('openid email'));
    await page.getByLabel('Email').fill(email);
    await page.getByLabel('Password').fill(password);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL(/\/consent$/);
    expect(await page.title()).toBe('Allow Recipe Box? – Acme Kitchen');
    await expect(page.getByRole('heading', { level: 1 }).textContent()).resolves.toBe(
      'Allow Recipe Box to use your account?',
    );
    const list = page.getByRole('list', { name: 'Recipe Box will be able to:' });
    await expect(list.getByRole('listitem').allTextContents()).resolves.toEqual([
      'Know who you are when you sign in',
      'See your email address',
    ]);
    for (const width of [1280, 390]) {
      await page.setViewportSize({ width, height: 800 });
      await page.screenshot({ path: `/tmp/consent-${kind}-${width}.png`, fullPage: true });
    }
    const back = await arrive(() => page.getByRole('button', { name: 'Deny' }).click());
    expect(Object.fromEntries(back.searchParams)).toEqual({
      error: 'access_denied',
      error_description: 'the user did not allow the application',
      state: 'st-1',
      iss: gatehouse.issuer(tenantId),
    });
    const stored = await gatehouse.storage.db.selectFrom('consent_grants').selectAll().execute();
    expect(stored).toEqual([]);
  });

  it('asks again after a deny, issues a code on allow, and remembers it for the same scopes', async () => {
    await page.goto(authorize('openid email'));
    await page.waitForURL(/\/consent$/);
    const back = await arrive(() => page.getByRole('button', { name: 'Allow' }).click());
    expect(back.searchParams.get('code')).toMatch(/.+/);
    expect(back.searchParams.get('state')).toBe('st-1');
    // Remembered: the next request comes straight back with a code.
    const again = await arrive(() => page.goto(authorize('openid email')));
    expect(again.searchParams.get('code')).toMatch(/.+/);
    const stored = await gatehouse.storage.db.selectFrom('consent_grants').select(['scope', 'client_id']).execute();
    expect(stored).toEqual([{ scope: 'openid email', client_id: 'recipes-app' }]);
  });

  it('asks only for the new scope, and prompt=none says consent_required instead of asking', async () => {
    const silent = await arrive(() => page.goto(authorize('openid email profile', { prompt: 'none' })));
    expect(Object.fromEntries(silent.searchParams)).toEqual({
      error: 'consent_required',
      error_description: 'the user has not allowed this application these scopes',
      state: 'st-1',
      iss: gatehouse.issuer(tenantId),
    });
    await page.goto(authorize('openid email profile'));
    await page.waitForURL(/\/consent$/);
    const items = await page.getByRole('list', { name: 'Recipe Box will be able to:' }).getByRole('listitem');
    await expect(items.allTextContents()).resolves.toEqual([
      'Know who you are when you sign in',
      'See your email address',
      'See your name and profile picture (new)',
    ]);
    const back = await arrive(() => page.getByRole('button', { name: 'Allow' }).click());
    expect(back.searchParams.get('code')).toMatch(/.+/);
    const stored = await gatehouse.storage.db.selectFrom('consent_grants').select('scope').executeTakeFirst();
    expect(stored?.scope).toBe('openid email profile');
  });

  it('asks again with prompt=consent, whatever was allowed', async () => {
    await page.goto(authorize('openid email', { prompt: 'consent' }));
    await page.waitForURL(/\/consent$/);
    const back = await arrive(() => page.getByRole('button', { name: 'Allow' }).click());
    expect(back.searchParams.get('code')).toMatch(/.+/);
    expect(violations).toEqual([]);
  });

  it('is enforced by the core too: no code for a third-party client without the grant', async () => {
    const tenant = await gatehouse.core.tenants.require(tenantId);
    const other = await gatehouse.core.users.create(tenantId, { email: `nova-${kind}@example.com`, password });
    const approve = gatehouse.core.login.authorizationRequests.approve(
      tenant,
      'recipes-app',
      { redirectUri: app.redirectUri, scope: 'openid', prompt: [] },
      { userId: other.id, amr: ['pwd'], authTime: new Date() },
    );
    await expect(approve).rejects.toMatchObject({ code: 'consent_required' });
  });
});
