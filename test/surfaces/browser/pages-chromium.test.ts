/**
 * Every hosted page in Chromium, on both stores, in English and in German: no serious or critical axe-core finding,
 * provider buttons at least 44 px tall on a 390 px phone in the tenant's order, the German catalogue chosen by
 * `Accept-Language` and by `ui_locales`, the tenant's branding and a client's over it, one second factor at a time
 * with the others a click away, the QR code kept after a wrong code, and the waiting email step continuing by itself
 * once the link is approved (and with its button, without JavaScript).
 */
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seriousAxeViolations } from '../../harness/axe.js';
import { launchBrowser } from '../../harness/browser.js';
import {
  demoLogo,
  type PagesFixture,
  pageSteps,
  providerOrder,
  startPagesFixture,
  type Walk,
} from '../../harness/pages.js';
import { storageKinds } from '../../harness/storage.js';

/** Walks every page step in a new browser context, checking each with axe; `check` sees each page as it stands. */
const walkAll = async (
  browser: Browser,
  fixture: PagesFixture,
  locale: string,
  check: (name: string, page: Page, walk: Walk) => Promise<void> = async () => {},
) => {
  const context = await browser.newContext({ locale, viewport: { width: 390, height: 844 } });
  const page = await context.newPage();
  const walk: Walk = {};
  const findings: Record<string, unknown> = {};
  try {
    for (const step of pageSteps) {
      await step.run(page, fixture, walk);
      const violations = await seriousAxeViolations(page);
      if (violations.length > 0) findings[step.name] = violations;
      await check(step.name, page, walk);
    }
  } finally {
    await context.close();
  }
  expect(findings).toEqual({});
  return walk;
};

const signIn = async (page: Page, fixture: PagesFixture) => {
  await page.locator('#email').fill(fixture.email);
  await page.locator('#password').fill(fixture.password);
  await page.locator('form button[type=submit]').first().click();
};

/** The newest approval link in the dev outbox. */
const newestLink = async (fixture: PagesFixture): Promise<string> => {
  const [newest] = await fixture.gh.core.mail.outbox();
  const link = /https?:\/\/\S+\/mfa\/email\?token=\S+/.exec(newest?.text ?? '')?.[0];
  if (link === undefined) throw new Error('no approval link in the outbox');
  return link;
};

/** A second-factor step waiting for its email, in `context`: signs in again and asks for the email. */
const waitingForEmail = async (context: BrowserContext, fixture: PagesFixture): Promise<Page> => {
  await fixture.gh.core.tenants.update(fixture.tenantId, { policies: { mfa: 'all' } });
  const page = await context.newPage();
  await page.goto(fixture.authorizeUrl(fixture.clientId, { prompt: 'login' }));
  await signIn(page, fixture);
  await page.waitForURL(/\/mfa\?/);
  const email = page.locator('a.button.secondary', { hasText: /mail/i });
  if ((await email.count()) > 0) await email.click();
  await page.locator('form:has(input[value=start_oob]) button').first().click();
  await page.locator('#poll-form').waitFor();
  return page;
};

const approveInAnotherPage = async (context: BrowserContext, fixture: PagesFixture) => {
  const other = await context.newPage();
  await other.goto(await newestLink(fixture));
  await other.locator('form button[type=submit]').click();
  await other.locator('h1').waitFor();
  await other.close();
};

describe.each(storageKinds)('the hosted pages in Chromium (%s)', (kind) => {
  let browser: Browser;
  let english: PagesFixture;
  let german: PagesFixture;

  beforeAll(async () => {
    [browser, english, german] = await Promise.all([
      launchBrowser(),
      startPagesFixture({ tenantId: `pages-en-${kind}`, start: { storage: kind } }),
      startPagesFixture({ tenantId: `pages-de-${kind}`, start: { storage: kind } }),
    ]);
  }, 240_000);
  afterAll(async () => {
    await browser?.close();
    await english?.close();
    await german?.close();
  });

  it('passes axe on every page in English, with 44 px provider buttons in order, branding, one factor at a time and the QR code kept', async () => {
    const seen = new Set<string>();
    await walkAll(browser, english, 'en-GB', async (name, page, walk) => {
      seen.add(name);
      switch (name) {
        case 'sign-in': {
          expect(await page.locator('html').getAttribute('lang')).toBe('en');
          const buttons = page.locator('a.provider');
          expect(await buttons.allTextContents()).toEqual([
            'Continue with Google',
            'Continue with Apple',
            'Continue with Microsoft',
            'Continue with Facebook',
            'Continue with GitHub',
            'Continue with LinkedIn',
            'Continue with Acme SSO',
          ]);
          expect(providerOrder).toHaveLength(7);
          for (const box of await buttons.evaluateAll((links) => links.map((l) => l.getBoundingClientRect())))
            expect(box.height).toBeGreaterThanOrEqual(44);
          // The tenant's branding: its name, logo and colour.
          expect(await page.locator('header.brand').textContent()).toBe('Acme Kitchen');
          expect(await page.locator('header.brand img').getAttribute('src')).toBe(demoLogo);
          expect(
            await page
              .locator('button[type=submit]:not(.secondary)')
              .first()
              .evaluate((b) => getComputedStyle(b).backgroundColor),
          ).toBe('rgb(180, 68, 31)');
          expect(await page.title()).toBe('Sign in – Acme Kitchen');
          break;
        }
        case 'consent':
          // The third-party client's branding over the tenant's.
          expect(await page.locator('header.brand').textContent()).toBe('Meal Planner by Partner');
          expect(
            await page.getByRole('button', { name: 'Allow' }).evaluate((b) => getComputedStyle(b).backgroundColor),
          ).toBe('rgb(11, 110, 79)');
          break;
        case 'totp-setup-wrong-code':
          expect(await page.locator('.error').textContent()).toBe(
            'That code is wrong. Try the next one the app shows.',
          );
          expect(await page.locator('img.qr').isVisible()).toBe(true);
          expect(await page.locator('.key code').textContent()).toBe(walk.seed);
          break;
        case 'recovery-codes':
          expect(walk.recoveryCodes?.length).toBeGreaterThan(0);
          expect(await page.locator('a[download]').getAttribute('href')).toMatch(/^data:text\/plain/);
          expect(await page.locator('#copy-codes').isVisible()).toBe(true);
          break;
        case 'mfa-totp':
        case 'mfa-recovery-code':
        case 'mfa-email':
          // One method shown, the other two a link each.
          expect(await page.locator('main h2').first().textContent()).toBe(
            {
              'mfa-totp': 'Authenticator app',
              'mfa-recovery-code': 'Use a recovery code',
              'mfa-email': 'Email me a code',
            }[name],
          );
          expect(
            await page
              .locator('input[name=mechanism]')
              .evaluateAll((i) => new Set(i.map((e) => (e as HTMLInputElement).value)).size),
          ).toBe(1);
          expect(await page.locator('a.button.secondary').count()).toBe(2);
          break;
      }
    });
    expect([...seen]).toEqual(pageSteps.map((s) => s.name));
  }, 120_000); // sixteen pages, each walked and checked by axe-core

  // The German walk once, on the embedded store: which catalogue a page speaks does not depend on the store, and
  // every page already runs on both stores in English above.
  if (kind === 'pglite')
    it('passes axe on every page in German, chosen by Accept-Language', async () => {
      await walkAll(browser, german, 'de-DE', async (name, page) => {
        expect(await page.locator('html').getAttribute('lang'), name).toBe('de');
        if (name === 'sign-in') {
          expect(await page.locator('h1').textContent()).toBe('Anmelden');
          expect(await page.locator('a.provider').first().textContent()).toBe('Weiter mit Google');
        }
        if (name === 'mfa-email-waiting')
          expect(await page.getByRole('button', { name: 'Ich habe bestätigt, weiter' }).count()).toBe(1);
        if (name === 'dev-outbox') {
          // The email went out in the language of the page that asked for it.
          const [mail] = await german.gh.core.mail.outbox();
          expect(mail?.subject).toBe('Bestätigen Sie Ihre Anmeldung');
          expect(mail?.text).toMatch(
            /^Jemand \(hoffentlich Sie\) meldet sich gerade an\.\n\nGeben Sie diesen Code ein: \d{6}\n/,
          );
        }
      });
    }, 120_000);

  it('speaks German when the application asks with ui_locales, whatever the browser says', async () => {
    const context = await browser.newContext({ locale: 'en-US' });
    const page = await context.newPage();
    const response = await page.goto(english.authorizeUrl(english.clientId, { ui_locales: 'fr de' }));
    await page.waitForURL(/\/sign-in\/[^/]+$/);
    expect(await page.locator('h1').textContent()).toBe('Anmelden');
    expect(await page.locator('html').getAttribute('lang')).toBe('de');
    expect(response?.status()).toBe(200);
    await context.close();
  });

  it('shows the password form only once the tenant has a user with a password', async () => {
    const { gh, app } = english;
    const tenantId = `social-only-${kind}`;
    await gh.core.tenants.create({ id: tenantId, name: 'Social only', policies: { signup: 'upstream' } });
    await gh.core.connections.set(tenantId, {
      id: 'github',
      kind: 'github',
      clientId: 'gh-app',
      clientSecret: 'gh-secret',
      emulator: english.idp.url,
    });
    await gh.core.clients.create(tenantId, {
      clientId: `${tenantId}-app`,
      name: 'App',
      redirectUris: [app.redirectUri],
    });
    await gh.core.users.create(tenantId, { email: 'social@example.com', emailVerified: true });
    const url = new URL(`${gh.issuer(tenantId)}/authorize`);
    for (const [name, value] of Object.entries({
      response_type: 'code',
      client_id: `${tenantId}-app`,
      redirect_uri: app.redirectUri,
      scope: 'openid',
    }))
      url.searchParams.set(name, value);
    const context = await browser.newContext({ locale: 'en-GB' });
    const page = await context.newPage();
    await page.goto(url.href);
    await page.waitForURL(/\/sign-in\/[^/]+$/);
    expect(await page.locator('a.provider').allTextContents()).toEqual(['Continue with GitHub']);
    expect(await page.locator('#password').count()).toBe(0);
    await gh.core.users.create(tenantId, { email: 'pat@example.com', password: 'a long enough password' });
    await page.reload();
    expect(await page.locator('#password').count()).toBe(1);
    await context.close();
  });

  it('allows an https logo origin in img-src on that client’s pages only', async () => {
    const tenantId = english.tenantId;
    await english.gh.core.clients.update(tenantId, english.thirdPartyId, {
      settings: {
        consent: 'required',
        branding: { displayName: 'Meal Planner', logoUrl: 'https://cdn.partner.example/logo.svg' },
      },
    });
    const context = await browser.newContext({ locale: 'en-GB' });
    const page = await context.newPage();
    const partner = await page.goto(english.authorizeUrl(english.thirdPartyId));
    const own = await page.goto(english.authorizeUrl(english.clientId));
    expect((await partner?.allHeaders())?.['content-security-policy']).toContain(
      "img-src 'self' data: https://cdn.partner.example;",
    );
    expect((await own?.allHeaders())?.['content-security-policy']).toContain("img-src 'self' data:;");
    await context.close();
  });

  it('continues by itself once the emailed link is approved', async () => {
    const context = await browser.newContext({ locale: 'en-GB' });
    const page = await waitingForEmail(context, english);
    const arrived = english.app.next();
    await approveInAnotherPage(context, english);
    const back = await arrived;
    expect(back.searchParams.get('code')).toMatch(/.+/);
    expect(back.searchParams.get('state')).toBe('s1');
    await page.waitForURL(/\/callback\?/);
    await context.close();
  });

  it('continues with the button after approval when JavaScript is off', async () => {
    const context = await browser.newContext({ locale: 'en-GB', javaScriptEnabled: false });
    const page = await waitingForEmail(context, english);
    await page.getByRole('button', { name: 'I approved it, continue' }).click();
    expect(await page.locator('.notice[role=status]').first().textContent()).toBe('The link has not been opened yet.');
    await approveInAnotherPage(context, english);
    const arrived = english.app.next();
    await page.getByRole('button', { name: 'I approved it, continue' }).click();
    expect((await arrived).searchParams.get('code')).toMatch(/.+/);
    await context.close();
  });
});
