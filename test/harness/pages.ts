/**
 * Every hosted page, reachable by name: a Gatehouse with one branded tenant (connections of every kind at the IdP
 * emulator, a password user, a first-party and a third-party client) and a stand-in application, plus the steps that
 * walk a browser to each page. `npm run screenshots` and the pages' Chromium test share them; a new page is one more
 * step in `pageSteps`.
 */
import { generateKeyPairSync } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import { Secret, TOTP } from 'otpauth';
import type { Page } from 'playwright-core';
import { type EmulatorHarness, startEmulator } from './emulator.js';
import { type RunningGatehouse, type StartOptions, startGatehouse } from './gatehouse.js';

/** A small logo as a `data:` URI (a rounded square with a fork), as a tenant would upload it. */
export const demoLogo = `data:image/svg+xml;base64,${Buffer.from(
  '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 40 40"><rect width="40" height="40" rx="9" fill="#b4441f"/><path d="M14 9v9a4 4 0 0 0 3 3.9V31h3V21.9a4 4 0 0 0 3-3.9V9h-2v8h-1.5V9h-2v8H16V9z M26 9c2.5 0 3.5 4 3.5 8s-1 5-2.5 5v9h-3V9z" fill="#fff"/></svg>',
).toString('base64')}`;

const appleKey = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({
  format: 'pem',
  type: 'pkcs8',
}) as string;

/** A stand-in application that records each arrival at its callback. */
const startCallbackServer = async () => {
  const waiters: ((url: URL) => void)[] = [];
  const server: Server = createServer((request, response) => {
    const url = new URL(request.url ?? '/', 'http://127.0.0.1');
    if (url.pathname === '/callback') for (const resolve of waiters.splice(0)) resolve(url);
    response
      .writeHead(200, { 'content-type': 'text/html' })
      .end('<!doctype html><html lang="en"><title>Back at the app</title><h1>Back at the app</h1></html>');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  return {
    redirectUri: `http://127.0.0.1:${port}/callback`,
    next: () => new Promise<URL>((resolve) => waiters.push(resolve)),
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
};

export interface PagesFixture {
  readonly gh: RunningGatehouse;
  readonly idp: EmulatorHarness;
  readonly app: Awaited<ReturnType<typeof startCallbackServer>>;
  readonly tenantId: string;
  /** A first-party client. */
  readonly clientId: string;
  /** A third-party client (consent page), with branding of its own. */
  readonly thirdPartyId: string;
  readonly email: string;
  readonly password: string;
  /** The `/authorize` URL of a client, with extra parameters. */
  authorizeUrl(client: string, extra?: Readonly<Record<string, string>>): string;
  close(): Promise<void>;
}

/** Connection kinds in the order the tenant shows them. */
export const providerOrder = ['google', 'apple', 'microsoft', 'facebook', 'github', 'linkedin', 'oidc'];

export const startPagesFixture = async (
  options: { readonly tenantId?: string; readonly start?: StartOptions } = {},
): Promise<PagesFixture> => {
  const [idp, gh, app] = await Promise.all([startEmulator(), startGatehouse(options.start), startCallbackServer()]);
  const tenantId = options.tenantId ?? 'acme';
  const email = `dana@${tenantId}.example`;
  const password = 'correct horse battery staple';
  await gh.core.tenants.create({
    id: tenantId,
    name: 'Acme',
    policies: {
      linking: 'merge_needed',
      mfa: 'off',
      branding: {
        displayName: 'Acme Kitchen',
        logoUrl: demoLogo,
        primaryColor: '#b4441f',
        supportUrl: 'https://help.acme.example/',
        providerOrder,
      },
    },
  });
  for (const kind of [...providerOrder].reverse()) {
    await gh.core.connections.set(tenantId, {
      id: kind,
      kind,
      clientId: `${kind}-app`,
      clientSecret: kind === 'apple' ? appleKey : `${kind}-secret`,
      emulator: idp.url,
      trustEmail: true,
      ...(kind === 'apple' ? { settings: { teamId: 'TEAM000001', keyId: 'KEY0000001' } } : {}),
      ...(kind === 'oidc' ? { settings: { issuer: `${idp.url}/oidc`, displayName: 'Acme SSO' } } : {}),
    });
  }
  await gh.core.clients.create(tenantId, {
    clientId: `${tenantId}-web`,
    name: 'Acme Recipes',
    redirectUris: [app.redirectUri],
  });
  await gh.core.clients.create(tenantId, {
    clientId: `${tenantId}-partner`,
    name: 'Meal Planner',
    redirectUris: [app.redirectUri],
    settings: {
      consent: 'required',
      branding: { displayName: 'Meal Planner by Partner', primaryColor: '#0b6e4f' },
    },
  });
  await gh.core.users.create(tenantId, { email, password, emailVerified: true });
  return {
    gh,
    idp,
    app,
    tenantId,
    clientId: `${tenantId}-web`,
    thirdPartyId: `${tenantId}-partner`,
    email,
    password,
    authorizeUrl: (client, extra = {}) => {
      const url = new URL(`${gh.issuer(tenantId)}/authorize`);
      const params = {
        response_type: 'code',
        client_id: client,
        redirect_uri: app.redirectUri,
        scope: 'openid email profile',
        state: 's1',
        ...extra,
      };
      for (const [name, value] of Object.entries(params)) url.searchParams.set(name, value);
      return url.href;
    },
    close: async () => {
      await app.close();
      await gh.close();
      await idp.close();
    },
  };
};

/** The six-digit code of a base32 seed now. */
export const totpCode = (secret: string): string =>
  new TOTP({ secret: Secret.fromBase32(secret), algorithm: 'SHA1', digits: 6, period: 30 }).generate();

/** What the walk learned on the way, for the steps after (the seed, the recovery codes). */
export interface Walk {
  seed?: string;
  recoveryCodes?: string[];
}

/** One page a browser is brought to: its name (the screenshot's file name) and how to get there from the last step. */
export interface PageStep {
  readonly name: string;
  run(page: Page, fixture: PagesFixture, walk: Walk): Promise<void>;
}

const signIn = async (page: Page, fixture: PagesFixture) => {
  await page.locator('#email').fill(fixture.email);
  await page.locator('#password').fill(fixture.password);
  await page.locator('form button[type=submit]').first().click();
};

/**
 * Every hosted page in an order that reaches each from the one before: the landing pages, sign-in, its refusal,
 * the consent page, the second-factor settings, authenticator set-up (and its refusal, QR code kept), the recovery
 * codes, the second-factor step (authenticator, email waiting, recovery code), the email link and its approval, and
 * the dev outbox.
 */
export const pageSteps: readonly PageStep[] = [
  { name: 'landing', run: async (page, f) => void (await page.goto(`${f.gh.url}/`)) },
  { name: 'tenant-landing', run: async (page, f) => void (await page.goto(f.gh.issuer(f.tenantId))) },
  {
    name: 'sign-in',
    run: async (page, f) => {
      await page.goto(f.authorizeUrl(f.clientId));
      await page.waitForURL(/\/sign-in\/[^/]+$/);
    },
  },
  {
    name: 'sign-in-wrong-password',
    run: async (page, f) => {
      await page.locator('#email').fill(f.email);
      await page.locator('#password').fill('not the password');
      await page.locator('form button[type=submit]').first().click();
      await page.locator('.error').waitFor();
    },
  },
  {
    name: 'consent',
    run: async (page, f) => {
      await page.goto(f.authorizeUrl(f.thirdPartyId));
      await signIn(page, f);
      await page.waitForURL(/\/consent$/);
    },
  },
  { name: 'factors', run: async (page, f) => void (await page.goto(`${f.gh.issuer(f.tenantId)}/mfa`)) },
  {
    name: 'totp-setup',
    run: async (page, _f, walk) => {
      await page.locator('form button[type=submit]').click();
      walk.seed = (await page.locator('.key code').textContent()) ?? '';
    },
  },
  {
    name: 'totp-setup-wrong-code',
    run: async (page) => {
      await page.locator('#code').fill('000000');
      await page.locator('form button[type=submit]').click();
      await page.locator('.error').waitFor();
    },
  },
  {
    name: 'recovery-codes',
    run: async (page, _f, walk) => {
      await page.locator('#code').fill(totpCode(walk.seed ?? ''));
      await page.locator('form button[type=submit]').click();
      await page.locator('#codes').waitFor();
      walk.recoveryCodes = await page.locator('#codes code').allTextContents();
    },
  },
  {
    name: 'mfa-totp',
    run: async (page, f) => {
      await f.gh.core.tenants.update(f.tenantId, { policies: { mfa: 'all' } });
      await page.goto(f.authorizeUrl(f.clientId, { prompt: 'login' }));
      await signIn(page, f);
      await page.waitForURL(/\/mfa\?/);
      const other = page.locator('a.button.secondary', { hasText: /Authenticator/ });
      if ((await other.count()) > 0) await other.click();
      await page.locator('#answer').waitFor();
    },
  },
  {
    name: 'mfa-recovery-code',
    run: async (page) => {
      await page.locator('a.button.secondary', { hasText: /recovery|Wiederherstellung/i }).click();
      await page.locator('#answer').waitFor();
    },
  },
  {
    name: 'mfa-email',
    run: async (page) => {
      await page.locator('a.button.secondary', { hasText: /mail/i }).click();
      await page.locator('input[name=action][value=start_oob]').waitFor({ state: 'attached' });
    },
  },
  {
    name: 'mfa-email-waiting',
    run: async (page) => {
      await page.locator('form:has(input[value=start_oob]) button').first().click();
      await page.locator('#poll-form').waitFor();
    },
  },
  {
    name: 'dev-outbox',
    run: async (page, f) => void (await page.goto(`${f.gh.url}/_dev/outbox`)),
  },
  {
    name: 'email-link',
    run: async (page) => {
      await page.locator('article a').first().click();
      await page.waitForURL(/\/mfa\/email\?token=/);
    },
  },
  {
    name: 'email-link-approved',
    run: async (page) => {
      await page.locator('form button[type=submit]').click();
      await page.locator('h1').waitFor();
    },
  },
];
