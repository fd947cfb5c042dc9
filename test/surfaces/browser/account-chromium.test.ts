/**
 * The account page in Chromium: signing in to it through the hosted sign-in page, a change of name, an email change
 * finished with the code read from the SMTP receiver, a password change that needs the current password or a fresh
 * sign-in, and a session ended from another browser: that browser's session is gone and its refresh token refused.
 */
import { createServer, type Server } from 'node:http';
import { createRequire } from 'node:module';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestClock } from '../../../src/lib/clock.js';
import { launchBrowser } from '../../harness/browser.js';
import { type RunningGatehouse, startGatehouse } from '../../harness/gatehouse.js';
import { type SmtpHarness, startSmtp } from '../../harness/smtp.js';
import { storageKinds } from '../../harness/storage.js';

const password = 'first account password';
const axePath = createRequire(import.meta.url).resolve('axe-core/axe.min.js');

/** axe-core's serious and critical violations on the page (the context bypasses CSP so that axe can be injected). */
const accessibilityViolations = async (target: Page): Promise<string[]> => {
  await target.addScriptTag({ path: axePath });
  const results = (await target.evaluate('axe.run()')) as {
    violations: { id: string; impact: string | null; nodes: unknown[] }[];
  };
  return results.violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => `${v.id} (${v.nodes.length})`);
};

/** A stand-in relying party that records each arrival at its callback. */
const startCallbackServer = async () => {
  const waiters: ((url: URL) => void)[] = [];
  const server: Server = createServer((request, response) => {
    const url = new URL(request.url ?? '/', 'http://127.0.0.1');
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

describe.each(storageKinds)('the account page in Chromium (%s)', (kind) => {
  const clock = createTestClock();
  let gh: RunningGatehouse;
  let smtp: SmtpHarness;
  let browser: Browser;
  let app: Awaited<ReturnType<typeof startCallbackServer>>;
  let laptop: BrowserContext;
  let page: Page;
  let clientSecret: string;
  const tenantId = `account-${kind}`;
  const email = `ada-${kind}@example.com`;
  const accountUrl = () => `${gh.issuer(tenantId)}/account`;

  const signIn = async (target: Page, address: string, secret: string) => {
    await target.getByLabel('Email').fill(address);
    await target.getByLabel('Password').fill(secret);
    await target.getByRole('button', { name: 'Sign in' }).click();
  };

  beforeAll(async () => {
    smtp = await startSmtp();
    [gh, app, browser] = await Promise.all([
      startGatehouse({ storage: kind, clock, config: { smtpUrl: smtp.url } }),
      startCallbackServer(),
      launchBrowser(),
    ]);
    await gh.core.tenants.create({ id: tenantId, name: 'Acme Kitchen' });
    const created = await gh.core.clients.create(tenantId, {
      clientId: `kitchen-${kind}`,
      redirectUris: [app.redirectUri],
    });
    clientSecret = created.clientSecret as string;
    await gh.core.users.create(tenantId, { email, password, emailVerified: true, firstName: 'Ada' });
    laptop = await browser.newContext({
      bypassCSP: true,
      userAgent:
        'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Safari/537.36',
    });
    page = await laptop.newPage();
  });
  afterAll(async () => {
    await browser?.close();
    await app?.close();
    await gh?.close();
    await smtp?.close();
  });

  it('sends a browser without a session through the sign-in page, then shows the account', async () => {
    await page.goto(accountUrl());
    await page.waitForURL(/\/sign-in\//);
    await signIn(page, email, password);
    await page.waitForURL(accountUrl());
    expect(await page.title()).toBe('Your account – Acme Kitchen');
    await expect(page.getByLabel('First name').inputValue()).resolves.toBe('Ada');
    await expect(page.getByText(`Your address: ${email}`).count()).resolves.toBe(1);
    const sessions = page.getByRole('region', { name: 'Where you are signed in' });
    await expect(sessions.getByText('Chrome on Windows').count()).resolves.toBe(1);
    for (const width of [1280, 390]) {
      await page.setViewportSize({ width, height: 900 });
      await page.screenshot({ path: `/tmp/account-${kind}-${width}.png`, fullPage: true });
    }
    expect(await accessibilityViolations(page)).toEqual([]);
  });

  it('saves the name', async () => {
    await page.getByLabel('Last name').fill('Lovelace');
    await page.getByRole('button', { name: 'Save' }).click();
    await page.waitForURL(/done=profile_saved/);
    await expect(page.getByRole('status').textContent()).resolves.toBe('Your name has been saved.');
    const user = await gh.core.users.findByEmail(tenantId, email);
    expect(user).toMatchObject({ firstName: 'Ada', lastName: 'Lovelace' });
  });

  it('changes the email only once the code mailed to the new address comes back', async () => {
    const newEmail = `ada.l-${kind}@example.org`;
    await page.getByLabel('New email address').fill(newEmail);
    const mail = smtp.next(newEmail);
    await page.getByRole('button', { name: 'Send a code to the new address' }).click();
    await page.waitForURL(/done=email_code_sent/);
    const code = /\b(\d{6})\b/.exec((await mail).text)?.[1] ?? '';
    expect(code).toMatch(/^\d{6}$/);
    // Not yet: the address is still the old one.
    expect(await gh.core.users.findByEmail(tenantId, email)).toBeDefined();

    const wrong = code === '000000' ? '111111' : '000000';
    await page.getByLabel(`The code we sent to ${newEmail}`).fill(wrong);
    await page.getByRole('button', { name: 'Confirm the new address' }).click();
    await expect(page.getByRole('alert').textContent()).resolves.toBe('That code is wrong or has expired.');
    expect(await gh.core.users.findByEmail(tenantId, newEmail)).toBeUndefined();

    await page.getByLabel(`The code we sent to ${newEmail}`).fill(code);
    await page.getByRole('button', { name: 'Confirm the new address' }).click();
    await page.waitForURL(/done=email_changed/);
    expect(await gh.core.users.findByEmail(tenantId, newEmail)).toMatchObject({ emailVerified: true });
    expect(await gh.core.users.findByEmail(tenantId, email)).toBeUndefined();
    // Single use: the code is spent.
    expect(await gh.storage.db.selectFrom('email_changes').selectAll().execute()).toEqual([]);
  });

  it('changes the password with the current one; without it only after a fresh sign-in', async () => {
    const address = `ada.l-${kind}@example.org`;
    await page.getByLabel('Current password').fill('not my password');
    await page.getByLabel('New password (at least 8 characters)').fill('second account password');
    await page.getByRole('button', { name: 'Change password' }).click();
    await expect(page.getByRole('alert').textContent()).resolves.toBe('Your current password is wrong.');

    // Six minutes after the sign-in: without the current password, the change needs a fresh sign-in.
    clock.advance(6 * 60 * 1000);
    await page.goto(accountUrl());
    await page.getByLabel('New password (at least 8 characters)').fill('second account password');
    await page.getByRole('button', { name: 'Change password' }).click();
    await expect(page.getByRole('alert').textContent()).resolves.toMatch(/needs a recent sign-in/);
    await expect(gh.core.users.verifyCredentials(tenantId, address, password)).resolves.toBeDefined();

    await page.getByRole('button', { name: 'Sign in again' }).click();
    await page.waitForURL(/\/sign-in\//);
    await signIn(page, address, password);
    await page.waitForURL(accountUrl());
    await page.getByLabel('New password (at least 8 characters)').fill('second account password');
    await page.getByRole('button', { name: 'Change password' }).click();
    await page.waitForURL(/done=password_changed/);
    await expect(gh.core.users.verifyCredentials(tenantId, address, 'second account password')).resolves.toBeDefined();
  });

  it('ends the session of another browser: it is signed out and its refresh token is refused', async () => {
    const address = `ada.l-${kind}@example.org`;
    const phone = await browser.newContext({
      userAgent:
        'Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1',
    });
    const phonePage = await phone.newPage();
    const authorize = new URL(`${gh.issuer(tenantId)}/authorize`);
    for (const [name, value] of Object.entries({
      response_type: 'code',
      client_id: `kitchen-${kind}`,
      redirect_uri: app.redirectUri,
      scope: 'openid offline_access',
      state: 'phone',
    }))
      authorize.searchParams.set(name, value);
    const arrived = app.next();
    await phonePage.goto(authorize.href);
    await signIn(phonePage, address, 'second account password');
    const code = (await arrived).searchParams.get('code') ?? '';
    const token = (body: Record<string, string>) =>
      fetch(`${gh.issuer(tenantId)}/token`, {
        method: 'POST',
        headers: {
          'content-type': 'application/x-www-form-urlencoded',
          authorization: `Basic ${Buffer.from(`kitchen-${kind}:${clientSecret}`).toString('base64')}`,
        },
        body: new URLSearchParams(body).toString(),
      });
    const issued = (await (
      await token({ grant_type: 'authorization_code', code, redirect_uri: app.redirectUri })
    ).json()) as { refresh_token?: string };
    expect(issued.refresh_token).toEqual(expect.any(String));

    await page.goto(accountUrl());
    const sessions = page.getByRole('region', { name: 'Where you are signed in' });
    await sessions.getByRole('button', { name: 'End this session: Safari on iOS' }).click();
    await page.waitForURL(/done=sessions_ended/);
    await expect(sessions.getByText('Safari on iOS').count()).resolves.toBe(0);

    const refused = await token({ grant_type: 'refresh_token', refresh_token: issued.refresh_token ?? '' });
    expect(refused.status).toBe(400);
    expect(await refused.json()).toMatchObject({ error: 'invalid_grant' });
    // The phone's browser is signed out: its account page asks it to sign in.
    await phonePage.goto(accountUrl());
    await phonePage.waitForURL(/\/sign-in\//);
    await phone.close();
  });

  it('refuses a form without its CSRF token and changes nothing', async () => {
    const response = await page.request.post(`${accountUrl()}/forms/profile`, {
      form: { first_name: 'Mallory', csrf: 'forged' },
    });
    expect(response.status()).toBe(403);
    expect(await gh.core.users.findByEmail(tenantId, `ada.l-${kind}@example.org`)).toMatchObject({ firstName: 'Ada' });
  });
});
