/**
 * The hosted social-login journeys that must never strand a person, in real Chromium against the IdP emulator: a
 * cancel at the IdP goes back to the sign-in page (another way, or back to the app with `access_denied`), an email that
 * already has an account asks for proof of that account before linking (its password, or a mailed code) and then
 * completes the original request, a disabled account and a late return from the IdP are answered, and a redirect URI
 * that is not registered is a page, never a redirect. `openid-client` checks the error response it receives.
 */
import { createServer, type Server } from 'node:http';
import * as oidc from 'openid-client';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchBrowser } from '../../harness/browser.js';
import { discover } from '../../harness/clients.js';
import { type EmulatorHarness, startEmulator } from '../../harness/emulator.js';
import { type RunningGatehouse, startGatehouse } from '../../harness/gatehouse.js';
import { type SmtpHarness, startSmtp } from '../../harness/smtp.js';
import { storageKinds } from '../../harness/storage.js';

const password = 'a long and honest password';
/** RFC 7636 Appendix B's challenge: the public client must send one; no test here redeems the code. */
const pkce = { code_challenge: 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM', code_challenge_method: 'S256' };

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

/** A clock the test moves forward (a late return from the IdP), otherwise the real time. */
const movableClock = () => {
  let offsetMs = 0;
  return { now: () => new Date(Date.now() + offsetMs), advance: (ms: number) => (offsetMs += ms) };
};

describe.each(storageKinds)('hosted social-login journeys in Chromium (%s)', (kind) => {
  let gatehouse: RunningGatehouse;
  let idp: EmulatorHarness;
  let smtp: SmtpHarness;
  let browser: Browser;
  let app: Awaited<ReturnType<typeof startCallbackServer>>;
  const clock = movableClock();
  const tenantId = `journeys-${kind}`;
  const violations: string[] = [];

  const authorizeUrl = (extra: Record<string, string> = {}) => {
    const url = new URL(`${gatehouse.issuer(tenantId)}/authorize`);
    const params = {
      response_type: 'code',
      client_id: 'recipes-app',
      redirect_uri: app.redirectUri,
      scope: 'openid email',
      state: 'st-1',
      ...extra,
    };
    for (const [name, value] of Object.entries(params)) url.searchParams.set(name, value);
    return url.href;
  };

  const newPage = async (): Promise<{ context: BrowserContext; page: Page }> => {
    const context = await browser.newContext();
    const page = await context.newPage();
    page.on('console', (message) => {
      if (/Content Security Policy/i.test(message.text())) violations.push(message.text());
    });
    return { context, page };
  };

  /** From the sign-in page to the emulator's Google page, then as a made-up Google user back to Gatehouse. */
  const continueWithGoogleAs = async (page: Page, user: { sub: string; email: string }) => {
    await page.getByRole('link', { name: 'Continue with Google' }).click();
    await page.waitForURL(`${idp.url}/**`);
    await page.getByLabel('Subject (user id)').fill(user.sub);
    await page.getByLabel('Email (optional)').fill(user.email);
    await page.getByLabel('Email verified').check();
    await page.getByRole('button', { name: 'Sign in' }).click();
  };

  const identitiesOf = (userId: string) =>
    gatehouse.storage.db.selectFrom('identities').selectAll().where('user_id', '=', userId).execute();

  const shoot = async (page: Page, name: string) => {
    for (const width of [1280, 390]) {
      await page.setViewportSize({ width, height: 900 });
      await page.screenshot({ path: `/tmp/journeys-${name}-${kind}-${width}.png`, fullPage: true });
    }
  };

  beforeAll(async () => {
    [idp, smtp, app, browser] = await Promise.all([
      startEmulator(),
      startSmtp(),
      startCallbackServer(),
      launchBrowser(),
    ]);
    gatehouse = await startGatehouse({ storage: kind, clock, config: { smtpUrl: smtp.url } });
    await gatehouse.core.tenants.create({
      id: tenantId,
      name: 'Acme Kitchen',
      policies: { linking: 'merge_needed', mfa: 'off' },
    });
    await gatehouse.core.clients.create(tenantId, {
      clientId: 'recipes-app',
      name: 'Recipe Box',
      public: true,
      redirectUris: [app.redirectUri],
    });
    await gatehouse.core.connections.set(tenantId, {
      id: 'google',
      kind: 'google',
      clientId: 'google-web.apps.example',
      clientSecret: 'google-secret',
      emulator: idp.url,
      trustEmail: true,
    });
    await gatehouse.core.connections.set(tenantId, {
      id: 'github',
      kind: 'github',
      clientId: 'github-web',
      clientSecret: 'github-secret',
      emulator: idp.url,
    });
    // As at each provider's console: the emulator refuses an app it does not know.
    await idp.registerApp({ provider: 'google', clientId: 'google-web.apps.example', clientSecret: 'google-secret' });
    await idp.registerApp({ provider: 'github', clientId: 'github-web', clientSecret: 'github-secret' });
  });
  afterAll(async () => {
    await browser?.close();
    await app?.close();
    await gatehouse?.close();
    await smtp?.close();
    await idp?.close();
  });

  it('goes back to the sign-in page after a cancel at the IdP, and "Back to Recipe Box" returns access_denied', async () => {
    const { context, page } = await newPage();
    try {
      await page.goto(authorizeUrl({ ...pkce }));
      await page.getByRole('link', { name: 'Continue with Google' }).click();
      await page.waitForURL(`${idp.url}/**`);
      await page.getByRole('link', { name: /^Cancel/ }).click();
      await page.waitForURL(/\/sign-in\/[^/]+\?notice=cancelled$/);
      await expect(page.getByRole('status').textContent()).resolves.toBe(
        'You cancelled the sign-in with the provider. Choose another way to sign in, or go back.',
      );
      // Another way is still there: the password form and the provider.
      await expect(page.getByLabel('Password').count()).resolves.toBe(1);
      await expect(page.getByRole('link', { name: 'Continue with Google' }).count()).resolves.toBe(1);
      await shoot(page, 'sign-in-cancelled');
      const back = app.next();
      await page.getByRole('button', { name: 'Back to Recipe Box' }).click();
      expect(Object.fromEntries((await back).searchParams)).toEqual({
        error: 'access_denied',
        error_description: 'the user cancelled the sign-in',
        state: 'st-1',
        iss: gatehouse.issuer(tenantId),
      });
      expect(violations).toEqual([]);
    } finally {
      await context.close();
    }
  });

  it('asks for the existing account’s password before linking Google, then completes the original request', async () => {
    const owner = await gatehouse.core.users.create(tenantId, {
      email: `alice-${kind}@example.com`,
      password,
      emailVerified: true,
    });
    const { context, page } = await newPage();
    try {
      await page.goto(authorizeUrl({ state: 'link-1', ...pkce }));
      await continueWithGoogleAs(page, { sub: `g-alice-${kind}`, email: owner.email ?? '' });
      await page.waitForURL(/\/link\?login=/);
      expect(await page.title()).toBe('Link Google to your account – Acme Kitchen');
      await expect(page.getByRole('heading', { level: 1 }).textContent()).resolves.toBe('Link Google to your account');
      const body = (await page.textContent('main')) ?? '';
      expect(body).toContain(`You already have an account with a…@example.com. Sign in to it to link Google`);
      expect(body).not.toContain(owner.email ?? '');
      await shoot(page, 'link-account');

      // A wrong password links nothing.
      await page.getByLabel('Password of this account').fill('not the password');
      await page.getByRole('button', { name: 'Sign in and link Google' }).click();
      await expect(page.getByRole('alert').textContent()).resolves.toBe(
        'That password or code is wrong, or the code has expired.',
      );
      expect(await identitiesOf(owner.id)).toEqual([]);

      await page.getByLabel('Password of this account').fill(password);
      const formAction = await page.locator('form:has(input[type=password])').getAttribute('action');
      const csrf = await page.locator('form:has(input[type=password]) input[name=csrf]').inputValue();
      const mechanism = await page.locator('form:has(input[type=password]) input[name=mechanism]').inputValue();
      const held = (await context.cookies(gatehouse.url)).map((c) => `${c.name}=${c.value}`).join('; ');
      const back = app.next();
      await page.getByRole('button', { name: 'Sign in and link Google' }).click();
      const arrived = await back;
      expect([...arrived.searchParams.keys()].sort()).toEqual(['code', 'iss', 'state']);
      expect(arrived.searchParams.get('state')).toBe('link-1');
      const linked = await identitiesOf(owner.id);
      expect(linked).toMatchObject([{ idp: 'google', subject: `g-alice-${kind}` }]);

      // The link step is single-use: the same answer, replayed from this browser, links nothing more.
      const replay = await fetch(formAction ?? '', {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', cookie: held },
        body: new URLSearchParams({ csrf, mechanism, action: 'answer', answer: password }),
        redirect: 'manual',
      });
      expect(replay.status).toBe(400);
      expect(await replay.text()).toContain('This sign-in link has expired or was already used.');
      expect(await identitiesOf(owner.id)).toHaveLength(1);
      await gatehouse.core.audit.flush();
      const audit = await gatehouse.core.audit.list(tenantId, 1000);
      expect(audit.filter((e) => e.type === 'identity.linked' && e.user_id === owner.id)).toHaveLength(1);
      expect(audit.filter((e) => e.type === 'login.merge_needed')).not.toHaveLength(0);

      // From now on Google signs Alice in directly.
      const again = app.next();
      await context.clearCookies();
      await page.goto(authorizeUrl({ state: 'link-2', ...pkce }));
      await continueWithGoogleAs(page, { sub: `g-alice-${kind}`, email: owner.email ?? '' });
      expect((await again).searchParams.get('state')).toBe('link-2');
      expect(violations).toEqual([]);
    } finally {
      await context.close();
    }
  });

  it('proves an account without a password by a code mailed to its address', async () => {
    const owner = await gatehouse.core.users.create(tenantId, {
      email: `erin-${kind}@example.com`,
      emailVerified: true,
    });
    const { context, page } = await newPage();
    try {
      await page.goto(authorizeUrl({ state: 'mail-1', ...pkce }));
      await continueWithGoogleAs(page, { sub: `g-erin-${kind}`, email: owner.email ?? '' });
      await page.waitForURL(/\/link\?login=/);
      await expect(page.getByLabel('Password of this account').count()).resolves.toBe(0);
      await page.getByRole('button', { name: 'Email a code to e…@example.com' }).click();
      await expect(page.getByRole('status').textContent()).resolves.toContain('We sent a code to e…@example.com.');
      const mail = await smtp.next(owner.email ?? '');
      const code = /Enter this code: (\d{6})/.exec(mail.text)?.[1] ?? '';
      expect(code).toMatch(/^\d{6}$/);
      // A wrong code links nothing.
      await page.getByLabel('Code from the email').fill(code === '000000' ? '111111' : '000000');
      await page.getByRole('button', { name: 'Verify and link Google' }).click();
      await expect(page.getByRole('alert').textContent()).resolves.toContain('wrong');
      expect(await identitiesOf(owner.id)).toEqual([]);

      await page.getByLabel('Code from the email').fill(code);
      const back = app.next();
      await page.getByRole('button', { name: 'Verify and link Google' }).click();
      const arrived = await back;
      expect(arrived.searchParams.get('state')).toBe('mail-1');
      expect(arrived.searchParams.has('code')).toBe(true);
      expect(await identitiesOf(owner.id)).toMatchObject([{ idp: 'google', subject: `g-erin-${kind}` }]);
    } finally {
      await context.close();
    }
  });

  it('returns access_denied with state and iss to the app for a disabled account', async () => {
    const { context, page } = await newPage();
    try {
      const user = { sub: `g-dora-${kind}`, email: `dora-${kind}@example.com` };
      const first = app.next();
      await page.goto(authorizeUrl({ state: 'dora-1', ...pkce }));
      await continueWithGoogleAs(page, user);
      expect((await first).searchParams.has('code')).toBe(true);
      const dora = await gatehouse.core.users.findByEmail(tenantId, user.email);
      await gatehouse.core.users.setStatus(tenantId, dora?.id ?? '', 'disabled');

      await context.clearCookies();
      const back = app.next();
      await page.goto(authorizeUrl({ state: 'dora-2', ...pkce }));
      await continueWithGoogleAs(page, user);
      expect(Object.fromEntries((await back).searchParams)).toEqual({
        error: 'access_denied',
        error_description: expect.any(String),
        state: 'dora-2',
        iss: gatehouse.issuer(tenantId),
      });
    } finally {
      await context.close();
    }
  });

  /** As a GitHub user who shares no email address: the callback asks for one. */
  const continueWithGitHubWithoutEmail = async (page: Page, sub: string) => {
    await page.getByRole('link', { name: 'Continue with GitHub' }).click();
    await page.waitForURL(`${idp.url}/**`);
    await page.getByLabel('Subject (user id)').fill(sub);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL(/\/email\?login=/);
  };

  it('asks for an address when the IdP shares none, and proves it by a code mailed to it', async () => {
    const { context, page } = await newPage();
    const address = `nomail-${kind}@example.com`;
    try {
      await page.goto(authorizeUrl({ state: 'no-mail', ...pkce }));
      await continueWithGitHubWithoutEmail(page, `gh-nomail-${kind}`);
      await expect(page.getByRole('heading', { level: 1 }).textContent()).resolves.toBe('Confirm your email address');
      await shoot(page, 'address');
      await page.setViewportSize({ width: 1280, height: 900 });
      await page.getByLabel('Your email address').fill(address);
      await page.getByRole('button', { name: 'Email me a code' }).click();
      await expect(page.getByRole('status').textContent()).resolves.toContain('We sent a code to n…@example.com.');
      const mail = await smtp.next(address);
      expect(mail.subject).toBe('Confirm your email address');
      const code = /Enter this code: (\d{6})/.exec(mail.text)?.[1] ?? '';
      expect(code).toMatch(/^\d{6}$/);

      // A wrong code is refused, and nothing is created.
      await page.getByLabel('Code from the email to n…@example.com').fill(code === '000000' ? '111111' : '000000');
      await page.getByRole('button', { name: 'Verify and continue' }).click();
      await expect(page.getByRole('alert').textContent()).resolves.toBe('That code is wrong or has expired.');
      await expect(gatehouse.core.users.findByEmail(tenantId, address)).resolves.toBeUndefined();

      const back = app.next();
      await page.getByLabel('Code from the email to n…@example.com').fill(code);
      await page.getByRole('button', { name: 'Verify and continue' }).click();
      const arrived = await back;
      expect(arrived.searchParams.get('state')).toBe('no-mail');
      expect(arrived.searchParams.has('code')).toBe(true);
      const user = await gatehouse.core.users.findByEmail(tenantId, address);
      expect(user).toMatchObject({ email: address, emailVerified: true });
      expect(await identitiesOf(user?.id ?? '')).toMatchObject([{ idp: 'github', subject: `gh-nomail-${kind}` }]);
      expect(violations).toEqual([]);
    } finally {
      await context.close();
    }
  });

  it('refuses an address that is not one, and sends no mail', async () => {
    const { context, page } = await newPage();
    try {
      await page.goto(authorizeUrl({ state: 'no-mail-2', ...pkce }));
      await continueWithGitHubWithoutEmail(page, `gh-bad-${kind}`);
      // The browser's own check is bypassed: the server must refuse too.
      await page.getByLabel('Your email address').evaluate((input) => input.setAttribute('type', 'text'));
      await page.getByLabel('Your email address').fill('not-an-address');
      await page.getByRole('button', { name: 'Email me a code' }).click();
      await expect(page.getByRole('alert').textContent()).resolves.toBe('Enter a valid email address.');
      expect(smtp.received.filter((m) => m.to.includes('not-an-address'))).toEqual([]);
    } finally {
      await context.close();
    }
  });

  it('limits the codes sent for a flow, and answers the app with access_denied after five wrong codes', async () => {
    const { context, page } = await newPage();
    const address = `limits-${kind}@example.com`;
    try {
      await page.goto(authorizeUrl({ state: 'no-mail-4', ...pkce }));
      await continueWithGitHubWithoutEmail(page, `gh-limits-${kind}`);
      for (let sent = 0; sent < 3; sent += 1) {
        await page.getByLabel('Your email address').fill(address);
        await page.getByRole('button', { name: sent === 0 ? 'Email me a code' : 'Send a new code' }).click();
        await expect(page.getByRole('status').textContent()).resolves.toContain('We sent a code to l…@example.com.');
        await smtp.next(address);
      }
      await page.getByLabel('Your email address').fill(address);
      await page.getByRole('button', { name: 'Send a new code' }).click();
      await expect(page.getByRole('alert').textContent()).resolves.toBe(
        'Too many codes or attempts. Wait a few minutes, then try again.',
      );

      for (let wrong = 1; wrong < 5; wrong += 1) {
        await page.getByLabel('Code from the email to l…@example.com').fill('12345x');
        await page.getByRole('button', { name: 'Verify and continue' }).click();
        await expect(page.getByRole('alert').textContent()).resolves.toBe('That code is wrong or has expired.');
      }
      const back = app.next();
      await page.getByLabel('Code from the email to l…@example.com').fill('12345x');
      await page.getByRole('button', { name: 'Verify and continue' }).click();
      expect(Object.fromEntries((await back).searchParams)).toEqual({
        error: 'access_denied',
        error_description: expect.any(String),
        state: 'no-mail-4',
        iss: gatehouse.issuer(tenantId),
      });
      await expect(gatehouse.core.users.findByEmail(tenantId, address)).resolves.toBeUndefined();
    } finally {
      await context.close();
    }
  });

  it('leads a proven address of an existing account to the link page, never to a silent link', async () => {
    const owner = await gatehouse.core.users.create(tenantId, {
      email: `frank-${kind}@example.com`,
      emailVerified: true,
    });
    const { context, page } = await newPage();
    try {
      await page.goto(authorizeUrl({ state: 'no-mail-3', ...pkce }));
      await continueWithGitHubWithoutEmail(page, `gh-frank-${kind}`);
      await page.getByLabel('Your email address').fill(owner.email ?? '');
      await page.getByRole('button', { name: 'Email me a code' }).click();
      const code = /Enter this code: (\d{6})/.exec((await smtp.next(owner.email ?? '')).text)?.[1] ?? '';
      await page.getByLabel('Code from the email to f…@example.com').fill(code);
      await page.getByRole('button', { name: 'Verify and continue' }).click();
      await page.waitForURL(/\/link\?login=/);
      await expect(page.getByRole('heading', { level: 1 }).textContent()).resolves.toBe('Link GitHub to your account');
      expect(await identitiesOf(owner.id)).toEqual([]);
    } finally {
      await context.close();
    }
  });

  it('shows a page, never a redirect, for a redirect_uri that is not registered', async () => {
    const { context, page } = await newPage();
    try {
      const response = await page.goto(authorizeUrl({ redirect_uri: 'https://evil.example/callback' }));
      expect(response?.status()).toBe(400);
      expect(page.url()).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/t\//);
      await expect(page.getByRole('heading', { level: 1 }).textContent()).resolves.toBe('Sign-in could not continue');
      const body = (await page.textContent('main')) ?? '';
      expect(body).toContain('The application sent a request we cannot accept');
      expect(body).not.toContain('invalid_request');
      await shoot(page, 'error');
    } finally {
      await context.close();
    }
  });

  it('hands openid-client access_denied with state and iss after a cancel at the IdP', async () => {
    const config = await discover(gatehouse.issuer(tenantId), 'recipes-app', { auth: 'none' });
    const verifier = oidc.randomPKCECodeVerifier();
    const state = oidc.randomState();
    const url = oidc.buildAuthorizationUrl(config, {
      redirect_uri: app.redirectUri,
      scope: 'openid',
      code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
      code_challenge_method: 'S256',
      state,
    });
    const { context, page } = await newPage();
    try {
      await page.goto(url.href);
      await page.getByRole('link', { name: 'Continue with Google' }).click();
      await page.waitForURL(`${idp.url}/**`);
      await page.getByRole('link', { name: /^Cancel/ }).click();
      await page.waitForURL(/notice=cancelled$/);
      const back = app.next();
      await page.getByRole('button', { name: 'Back to Recipe Box' }).click();
      const callback = await back;
      const refused = await oidc
        .authorizationCodeGrant(config, new URL(`${app.redirectUri}${callback.search}`), {
          pkceCodeVerifier: verifier,
          expectedState: state,
        })
        .then(
          () => undefined,
          (error: unknown) => error,
        );
      // openid-client checked `iss` (RFC 9207) and `state` before it read the error.
      expect(refused).toBeInstanceOf(oidc.AuthorizationResponseError);
      expect(refused).toMatchObject({ error: 'access_denied', error_description: 'the user cancelled the sign-in' });
    } finally {
      await context.close();
    }
  });
  // Last: it moves the clock on.
  it('goes back to the sign-in page with a notice when the IdP answers after the login expired', async () => {
    const { context, page } = await newPage();
    try {
      await page.goto(authorizeUrl({ state: 'late-1', ...pkce }));
      await page.getByRole('link', { name: 'Continue with Google' }).click();
      await page.waitForURL(`${idp.url}/**`);
      clock.advance(11 * 60 * 1000);
      await page.getByLabel('Subject (user id)').fill(`g-late-${kind}`);
      await page.getByRole('button', { name: 'Sign in' }).click();
      await page.waitForURL(/\/sign-in\/[^/]+\?notice=expired$/);
      await expect(page.getByRole('status').textContent()).resolves.toBe(
        'The sign-in with the provider took too long, so it was stopped. Start it again.',
      );
      await shoot(page, 'sign-in-expired');
      await page.setViewportSize({ width: 1280, height: 900 });
      // The original request is still there: the user can go on.
      const back = app.next();
      await continueWithGoogleAs(page, { sub: `g-late-${kind}`, email: `late-${kind}@example.com` });
      expect((await back).searchParams.get('state')).toBe('late-1');
    } finally {
      await context.close();
    }
  });
});
