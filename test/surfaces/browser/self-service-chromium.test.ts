/**
 * The self-service journeys in real Chromium: sign-up → verification → signed in at the app; forgot password → reset →
 * the old sessions and refresh tokens are dead; sign-in with a mailed code. Mail comes from a real SMTP receiver.
 * Every page the journeys pass is checked with axe-core (no serious or critical violation).
 */
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { createRequire } from 'node:module';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchBrowser } from '../../harness/browser.js';
import { discover, oidc } from '../../harness/clients.js';
import { type RunningGatehouse, startGatehouse } from '../../harness/gatehouse.js';
import { type SmtpHarness, startSmtp } from '../../harness/smtp.js';
import { codeOf } from '../self-service/support.js';

const axeSource = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

/** A stand-in relying party: answers its callback with a plain page and hands each hit to whoever waits. */
const startCallbackServer = async () => {
  const waiters: ((url: URL) => void)[] = [];
  const server: Server = createServer((request, response) => {
    const url = new URL(request.url ?? '/', 'http://127.0.0.1');
    for (const resolve of waiters.splice(0)) resolve(url);
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

let gatehouse: RunningGatehouse;
let smtp: SmtpHarness;
let browser: Browser;
let app: Awaited<ReturnType<typeof startCallbackServer>>;
let config: oidc.Configuration;
const tenantId = 'market';

beforeAll(async () => {
  [smtp, app, browser] = await Promise.all([startSmtp(), startCallbackServer(), launchBrowser()]);
  gatehouse = await startGatehouse({ config: { smtpUrl: smtp.url } });
  await gatehouse.core.tenants.create({ id: tenantId, name: 'Market', policies: { emailCodeSignIn: true } });
  const created = await gatehouse.core.clients.create(tenantId, {
    clientId: 'market-web',
    name: 'Market web',
    redirectUris: [app.redirectUri],
    grantTypes: ['authorization_code', 'refresh_token'],
  });
  config = await discover(gatehouse.issuer(tenantId), created.client.clientId, {
    secret: created.clientSecret as string,
  });
});
afterAll(async () => {
  await browser?.close();
  await app?.close();
  await gatehouse?.close();
  await smtp?.close();
});

/** An authorization request with PKCE, and the way to redeem what comes back. */
const authorization = async (extra: Record<string, string> = {}) => {
  const verifier = oidc.randomPKCECodeVerifier();
  const state = oidc.randomState();
  const url = oidc.buildAuthorizationUrl(config, {
    redirect_uri: app.redirectUri,
    scope: 'openid email',
    code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
    code_challenge_method: 'S256',
    state,
    ...extra,
  });
  return {
    url: url.href,
    redeem: (callback: URL) =>
      oidc.authorizationCodeGrant(config, new URL(`${app.redirectUri}${callback.search}`), {
        pkceCodeVerifier: verifier,
        expectedState: state,
      }),
  };
};

/** No serious or critical axe-core violation on the page as it is. */
const expectAccessible = async (page: Page) => {
  await page.addScriptTag({ content: axeSource });
  const violations = await page.evaluate(async () => {
    const result = await (
      globalThis as unknown as { axe: { run: () => Promise<{ violations: { id: string; impact: string }[] }> } }
    ).axe.run();
    return result.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical').map((v) => v.id);
  });
  expect(violations, page.url()).toEqual([]);
};

/** A browser context whose pages axe can be injected into (the pages' CSP forbids every script). */
const newContext = () => browser.newContext({ bypassCSP: true });

describe('self-service in Chromium', () => {
  it('signs up, verifies the address with the mailed code, and arrives at the app signed in', async () => {
    const request = await authorization();
    const page = await (await newContext()).newPage();
    await page.goto(request.url);
    await page.getByRole('button', { name: 'Create account' }).click();
    expect(await page.title()).toBe('Create an account – Market');
    await expectAccessible(page);
    await page.getByLabel('Email').fill('newbie@example.com');
    await page.getByLabel('Password', { exact: true }).fill('password');
    await page.getByRole('button', { name: 'Create account' }).click();
    await expect(page.getByRole('alert').textContent()).resolves.toBe(
      'This password is one of the most common ones. Choose another.',
    );
    await page.getByLabel('Password', { exact: true }).fill('purple walrus umbrella');
    await page.getByRole('button', { name: 'Create account' }).click();
    expect(await page.title()).toBe('Check your mail – Market');
    await expectAccessible(page);

    const code = codeOf(await smtp.next('newbie@example.com'));
    await page.getByLabel('Code from the email').fill(code);
    const arrived = app.next();
    await page.getByRole('button', { name: 'Confirm' }).click();
    const tokens = await request.redeem(await arrived);
    expect(tokens.claims()).toMatchObject({ email: 'newbie@example.com', email_verified: true, amr: ['otp'] });
  });

  it('resets a forgotten password: the old session and refresh token stop working, the new password signs in', async () => {
    const email = 'forgetful@example.com';
    await gatehouse.core.users.create(tenantId, { email, password: 'the old passphrase', emailVerified: true });

    // An earlier sign-in, in its own browser: a session there and a refresh token at the app.
    const before = await authorization({ login_hint: email });
    const oldContext = await newContext();
    const oldPage = await oldContext.newPage();
    await oldPage.goto(before.url);
    await oldPage.getByLabel('Password').fill('the old passphrase');
    const first = app.next();
    await oldPage.getByRole('button', { name: 'Sign in' }).click();
    const earlier = await before.redeem(await first);
    expect(earlier.refresh_token).toBeDefined();

    const request = await authorization();
    const page = await (await newContext()).newPage();
    await page.goto(request.url);
    await page.getByRole('button', { name: 'Forgot password?' }).click();
    expect(await page.title()).toBe('Forgot your password? – Market');
    await expectAccessible(page);
    await page.getByLabel('Email').fill(email);
    await page.getByRole('button', { name: 'Email me a code' }).click();
    expect(await page.title()).toBe('Set a new password – Market');
    await expectAccessible(page);
    await page.getByLabel('Code from the email').fill(codeOf(await smtp.next(email)));
    await page.getByLabel('New password').fill('the new passphrase');
    await page.getByRole('button', { name: 'Set new password' }).click();
    expect(await page.title()).toBe('Password changed – Market');
    await expectAccessible(page);

    await expect(oidc.refreshTokenGrant(config, earlier.refresh_token as string)).rejects.toMatchObject({
      error: 'invalid_grant',
    });
    const silent = await authorization({ prompt: 'none' });
    const refused = app.next();
    await oldPage.goto(silent.url);
    expect((await refused).searchParams.get('error')).toBe('login_required');

    await page.getByRole('button', { name: 'Back to sign-in' }).click();
    await page.getByLabel('Email').fill(email);
    await page.getByLabel('Password').fill('the new passphrase');
    const arrived = app.next();
    await page.getByRole('button', { name: 'Sign in' }).click();
    const tokens = await request.redeem(await arrived);
    expect(tokens.claims()).toMatchObject({ email, amr: ['pwd'] });
  });

  it('signs in with a code mailed to the address, no password', async () => {
    const email = 'passwordless@example.com';
    const user = await gatehouse.core.users.create(tenantId, { email, emailVerified: true });
    const request = await authorization();
    const page = await (await newContext()).newPage();
    await page.goto(request.url);
    await page.getByRole('button', { name: 'Email me a sign-in code' }).click();
    expect(await page.title()).toBe('Sign in with a code – Market');
    await expectAccessible(page);
    await page.getByLabel('Email').fill(email);
    await page.getByRole('button', { name: 'Email me a code' }).click();
    await expectAccessible(page);
    const code = codeOf(await smtp.next(email));
    const wrong = code === '000000' ? '111111' : '000000';
    await page.getByLabel('Code from the email').fill(wrong);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await expect(page.getByRole('alert').textContent()).resolves.toBe('The code is wrong, expired or already used.');
    await page.getByLabel('Code from the email').fill(code);
    const arrived = app.next();
    await page.getByRole('button', { name: 'Sign in' }).click();
    const tokens = await request.redeem(await arrived);
    expect(tokens.claims()).toMatchObject({ sub: user.id, email, amr: ['otp'] });
  });
});
