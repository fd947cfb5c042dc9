/** The hosted self-service pages without a browser: links by policy, CSRF, refusals, and the mailed links' pages. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { browserFetch, CookieJar, csrfOf, locationOf } from '../../harness/clients.js';
import { type RunningGatehouse, startGatehouse } from '../../harness/gatehouse.js';
import { type SmtpHarness, startSmtp } from '../../harness/smtp.js';
import { expectNoWrites } from '../../harness/storage.js';
import { pkce } from '../oauth/fixture.js';
import { codeOf, linkTokenOf } from '../self-service/support.js';

let gatehouse: RunningGatehouse;
let smtp: SmtpHarness;
const redirectUri = 'http://127.0.0.1:9/callback';

beforeAll(async () => {
  smtp = await startSmtp();
  gatehouse = await startGatehouse({ config: { smtpUrl: smtp.url } });
});
afterAll(async () => {
  await gatehouse?.close();
  await smtp?.close();
});

/** A tenant with `policies`, a client, and this jar's pending authorization request: its sign-in page URL. */
const pendingSignIn = async (id: string, policies: Record<string, unknown>, jar: CookieJar) => {
  await gatehouse.core.tenants.create({ id, name: `Tenant ${id}`, policies });
  await gatehouse.core.clients.create(id, {
    clientId: `${id}-app`,
    name: 'App',
    public: true,
    redirectUris: [redirectUri],
  });
  const authorize = new URL(`${gatehouse.issuer(id)}/authorize`);
  for (const [name, value] of Object.entries({
    response_type: 'code',
    client_id: `${id}-app`,
    redirect_uri: redirectUri,
    scope: 'openid email',
    state: 's',
    code_challenge: pkce().challenge,
    code_challenge_method: 'S256',
  }))
    authorize.searchParams.set(name, value);
  return locationOf(await browserFetch(jar, authorize.href), authorize.href);
};

const buttons = (page: string) => [...page.matchAll(/<button[^>]*>([^<]+)<\/button>/g)].map((m) => m[1]);

describe('the hosted self-service pages', () => {
  it('links from the sign-in page only to what the tenant offers', async () => {
    const openJar = new CookieJar();
    const open = await (
      await browserFetch(openJar, await pendingSignIn('ss-open', { emailCodeSignIn: true }, openJar))
    ).text();
    expect(buttons(open)).toEqual(['Sign in', 'Email me a sign-in code', 'Forgot password?', 'Create account']);
    const closedJar = new CookieJar();
    const closed = await (
      await browserFetch(closedJar, await pendingSignIn('ss-closed', { signup: 'upstream' }, closedJar))
    ).text();
    expect(buttons(closed)).toEqual(['Sign in', 'Forgot password?']);
  });

  it('redirects the public sign-up address to the page under the request, and refuses it where sign-up is off', async () => {
    const jar = new CookieJar();
    const signIn = await pendingSignIn('ss-off', { signup: 'off' }, jar);
    const requestId = new URL(signIn).pathname.split('/').pop() ?? '';
    const publicUrl = `${gatehouse.issuer('ss-off')}/sign-up/${requestId}`;
    const redirected = await browserFetch(jar, publicUrl);
    expect(redirected.status).toBe(303);
    expect(locationOf(redirected, publicUrl)).toBe(`${signIn}/sign-up`);
    const refused = await browserFetch(jar, `${signIn}/sign-up`);
    expect(refused.status).toBe(403);
    expect(refused.headers.get('content-type')).toMatch(/^text\/html/);
    expect((await browserFetch(jar, `${signIn}/code`)).status).toBe(403);
  });

  it("refuses a form without this browser's CSRF token, and another browser, writing nothing", async () => {
    const jar = new CookieJar();
    const signIn = await pendingSignIn('ss-csrf', {}, jar);
    const page = await (await browserFetch(jar, `${signIn}/sign-up`)).text();
    const form = { email: 'csrf@example.com', password: 'a long enough passphrase' };
    const forged = await expectNoWrites(gatehouse.storage.db, () =>
      browserFetch(jar, `${signIn}/sign-up`, { method: 'POST', body: new URLSearchParams({ ...form, csrf: 'x' }) }),
    );
    expect(forged.status).toBe(403);
    const stranger = await expectNoWrites(gatehouse.storage.db, () =>
      browserFetch(new CookieJar(), `${signIn}/sign-up`, {
        method: 'POST',
        body: new URLSearchParams({ ...form, csrf: csrfOf(page) }),
      }),
    );
    expect(stranger.status).toBe(400);
    expect(await gatehouse.core.users.findByEmail('ss-csrf', 'csrf@example.com')).toBeUndefined();
  });

  it('shows the same verification page for a taken address and a new one', async () => {
    const jar = new CookieJar();
    const signIn = await pendingSignIn('ss-same', {}, jar);
    await gatehouse.core.users.create('ss-same', { email: 'taken@example.com', emailVerified: true });
    const pages: string[] = [];
    for (const email of ['taken@example.com', 'fresh@example.com']) {
      const form = await (await browserFetch(jar, `${signIn}/sign-up`)).text();
      const posted = await browserFetch(jar, `${signIn}/sign-up`, {
        method: 'POST',
        body: new URLSearchParams({ csrf: csrfOf(form), email, password: 'a long enough passphrase' }),
      });
      expect(posted.status).toBe(303);
      const next = await browserFetch(jar, locationOf(posted, signIn));
      pages.push(
        (await next.text())
          .replaceAll(email, 'EMAIL')
          .replace(/nonce-[^']+'/g, '')
          .replace(/nonce="[^"]+"/g, ''),
      );
    }
    expect(pages[0]).toBe(pages[1]);
  });

  it('verifies by the mailed link only when the button is pressed, and once', async () => {
    const jar = new CookieJar();
    const signIn = await pendingSignIn('ss-link', {}, jar);
    const form = await (await browserFetch(jar, `${signIn}/sign-up`)).text();
    await browserFetch(jar, `${signIn}/sign-up`, {
      method: 'POST',
      body: new URLSearchParams({
        csrf: csrfOf(form),
        email: 'link@example.com',
        password: 'a long enough passphrase',
      }),
    });
    const { url, token } = linkTokenOf(await smtp.next('link@example.com'));
    const opened = await expectNoWrites(gatehouse.storage.db, () => fetch(url));
    expect(opened.status).toBe(200);
    expect((await gatehouse.core.users.findByEmail('ss-link', 'link@example.com'))?.emailVerified).toBe(false);
    const confirm = () =>
      fetch(`${gatehouse.issuer('ss-link')}/verify-email`, { method: 'POST', body: new URLSearchParams({ token }) });
    const confirmed = await confirm();
    expect(confirmed.status).toBe(200);
    expect(await confirmed.text()).toContain('Address confirmed');
    expect((await gatehouse.core.users.findByEmail('ss-link', 'link@example.com'))?.emailVerified).toBe(true);
    const again = await confirm();
    expect(again.status).toBe(400);
    expect(await again.text()).toContain('This link is wrong, expired or already used.');
  });

  it("sets a new password through the recovery mail's link page, and speaks German when asked", async () => {
    const jar = new CookieJar();
    const signIn = await pendingSignIn('ss-reset', {}, jar);
    await gatehouse.core.users.create('ss-reset', { email: 'reset@example.com', password: 'the old passphrase' });
    const forgot = await (await browserFetch(jar, `${signIn}/forgot`, { headers: { 'accept-language': 'de' } })).text();
    expect(forgot).toContain('<html lang="de">');
    expect(forgot).toContain('Passwort vergessen?');
    await browserFetch(jar, `${signIn}/forgot`, {
      method: 'POST',
      headers: { 'accept-language': 'de' },
      body: new URLSearchParams({ csrf: csrfOf(forgot), email: 'reset@example.com' }),
    });
    const mail = await smtp.next('reset@example.com');
    expect(mail.text).toContain('Jemand (hoffentlich Sie) möchte ein neues Passwort für Ihr Konto bei Tenant ss-reset');
    expect(codeOf(mail)).toMatch(/^\d{6}$/);
    const { token } = linkTokenOf(mail);
    const weak = await fetch(`${gatehouse.issuer('ss-reset')}/recovery`, {
      method: 'POST',
      body: new URLSearchParams({ token, password: 'short' }),
    });
    expect(weak.status).toBe(400);
    expect(await weak.text()).toContain('The password needs at least 8 characters.');
    const done = await fetch(`${gatehouse.issuer('ss-reset')}/recovery`, {
      method: 'POST',
      body: new URLSearchParams({ token, password: 'the new passphrase' }),
    });
    expect(done.status).toBe(200);
    await expect(
      gatehouse.core.users.verifyCredentials('ss-reset', 'reset@example.com', 'the new passphrase'),
    ).resolves.toBeDefined();
  });
});
