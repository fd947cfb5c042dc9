/**
 * Everything that must not end in a session: unlisted callback URLs, forged, malformed or replayed states, the IdP
 * declining, another user's state, resuming before the IdP answered, another browser.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sha256 } from '../../../src/lib/crypto.js';
import { type EmulatorHarness, startEmulator } from '../../harness/emulator.js';
import { type RunningGatehouse, startGatehouse } from '../../harness/gatehouse.js';
import { expectNoWrites, tableCounts } from '../../harness/storage.js';
import {
  appCallback,
  aSocialTenant,
  CookieJar,
  callbackParams,
  deliverCallback,
  envelopeNulls,
  resume,
  resumeSecretOf,
  security,
  socialLogin,
} from './support.js';

let idp: EmulatorHarness;
let gatehouse: RunningGatehouse;
let base: string;

beforeAll(async () => {
  idp = await startEmulator();
  gatehouse = await startGatehouse();
  await aSocialTenant(gatehouse.core, idp, 'refuse');
  base = `${gatehouse.url}/t/refuse`;
});
afterAll(async () => {
  await gatehouse?.close();
  await idp?.close();
});

const flowOf = (state: string) =>
  gatehouse.storage.db
    .selectFrom('login_flows')
    .select(['status', 'error', 'user_id'])
    .where('state_digest', '=', sha256(state))
    .executeTakeFirst();

const accountCounts = async () => {
  const counts = await tableCounts(gatehouse.storage.db);
  return { users: counts.users, identities: counts.identities };
};

/** A made-up user of the emulator, so that every test signs in someone new. */
const newcomer = (name: string) => ({
  test_user_sub: String(Math.floor(Math.random() * 1e9)),
  test_user_email: `${name}@newcomer.example`,
  test_user_email_verified: 'true',
});

const errorPage = async (response: Response) => {
  expect(response.status).toBe(400);
  expect(response.headers.get('location')).toBeNull();
  expect(response.headers.get('content-type')).toContain('text/html');
  expect(await response.text()).toContain('This sign-in link has expired or was already used.');
};

describe('POST /Security/StartSocialAuthentication refusals', () => {
  it('refuses a PostExtIdpAuthCallbackUrl no client lists, exactly, and stores nothing', async () => {
    for (const url of [
      'https://evil.example/after-login',
      `${appCallback}/`,
      `${appCallback}?x=1`,
      'HTTPS://app.example/after-login',
    ]) {
      const refused = await expectNoWrites(gatehouse.storage.db, () =>
        security(base, 'StartSocialAuthentication', { IdpName: 'Google', PostExtIdpAuthCallbackUrl: url }),
      );
      expect(refused.body).toEqual({
        success: false,
        Result: null,
        Message: 'PostExtIdpAuthCallbackUrl is not an allowed callback URL',
        MessageID: null,
        Exception: null,
        ErrorID: null,
        ErrorCode: 'InvalidRequest',
        InnerExceptions: null,
      });
    }
  });

  it('refuses an IdpName the tenant has no connection for', async () => {
    const refused = await expectNoWrites(gatehouse.storage.db, () =>
      security(base, 'StartSocialAuthentication', { IdpName: 'MySpace', PostExtIdpAuthCallbackUrl: appCallback }),
    );
    expect(refused.body).toMatchObject({
      success: false,
      Result: null,
      ErrorCode: 'NotFound',
      Message: 'IdpName MySpace is not configured',
    });
  });

  it('answers every malformed request in the envelope with HTTP 200', async () => {
    const post = (path: string, body: string, type = 'application/json') =>
      fetch(`${base}/Security/${path}`, { method: 'POST', headers: { 'content-type': type }, body });
    const cases = [
      await post('StartSocialAuthentication', '{"IdpName": '),
      await post('StartSocialAuthentication', 'IdpName=Google', 'application/x-www-form-urlencoded'),
      await post('StartSocialAuthentication', '{"IdpName": "Google"}'),
      await post('NoSuchThing', '{}'),
    ];
    const bodies = await Promise.all(
      cases.map(async (r) => ({ status: r.status, body: (await r.json()) as Record<string, unknown> })),
    );
    expect(bodies.map((b) => [b.status, b.body.success, b.body.Result, b.body.ErrorCode])).toEqual([
      [200, false, null, 'InvalidRequest'],
      [200, false, null, 'InvalidRequest'],
      [200, false, null, 'InvalidRequest'],
      [200, false, null, 'NotFound'],
    ]);
    expect(bodies[2]?.body.Message).toBe(
      "body.PostExtIdpAuthCallbackUrl: must have required property 'PostExtIdpAuthCallbackUrl'",
    );
  });
});

describe('GET /SocialAuth/{Idp}AuthCallback refusals', () => {
  it('accepts each state once: a replayed callback is an error page, never a second redirect', async () => {
    const { callback, response } = await socialLogin(idp, base, 'Google', 'alice');
    expect(callbackParams(response).get('username')).toBe('alice@example.com');
    await errorPage(await expectNoWrites(gatehouse.storage.db, () => deliverCallback(callback)));
  });

  it('shows an error page for a forged, malformed or foreign state, and writes nothing', async () => {
    for (const state of [
      `refuse-${randomUUID()}`,
      'refuse-1',
      '',
      `other-${randomUUID()}`,
      `${'a'.repeat(300)}-${randomUUID()}`,
    ]) {
      const url = `${base}/SocialAuth/GoogleAuthCallback?code=whatever&state=${encodeURIComponent(state)}`;
      await errorPage(await expectNoWrites(gatehouse.storage.db, () => fetch(url, { redirect: 'manual' })));
    }
  });

  it('refuses a callback that arrives at another provider’s path or another tenant’s prefix', async () => {
    const started = await security(base, 'StartSocialAuthentication', {
      IdpName: 'LinkedIn',
      PostExtIdpAuthCallbackUrl: appCallback,
    });
    const extra = newcomer('path');
    const callback = await idp.signIn((started.body.Result as { IdpRedirectUrl: string }).IdpRedirectUrl, '', extra);
    const query = callback.params.toString();
    await errorPage(await fetch(`${base}/SocialAuth/GoogleAuthCallback?${query}`, { redirect: 'manual' }));
    await errorPage(
      await fetch(`${gatehouse.url}/t/other/SocialAuth/LinkedInAuthCallback?${query}`, { redirect: 'manual' }),
    );
    // Neither attempt spent the state: the real callback still works.
    expect(callbackParams(await deliverCallback(callback)).get('username')).toBe(extra.test_user_email);
  });

  it('sends the app error=access_denied when the user declines at the IdP, and the state cannot be resumed', async () => {
    const { response, idpRedirectUrl, secret } = await socialLogin(idp, base, 'Microsoft', 'alice', {
      extra: { deny: '1' },
    });
    const state = idpRedirectUrl.searchParams.get('state') ?? '';
    const params = callbackParams(response);
    expect(Object.fromEntries(params)).toEqual({
      customerId: 'refuse',
      ExtIdpAuthChallengeState: state,
      error: 'access_denied',
      error_description: 'access_denied: The user declined the sign-in.',
    });
    expect(await flowOf(state)).toEqual({ status: 'failed', error: 'idp_error', user_id: null });
    const resumed = await resume(
      base,
      { ExtIdpAuthChallengeState: state, username: 'alice@example.com', customerId: 'refuse' },
      secret,
    );
    expect(resumed.body).toMatchObject({ success: false, Result: null, ErrorCode: 'SessionInvalid' });
    expect(resumed.response.headers.getSetCookie()).toEqual([]);
  });

  it('ends with error=merge_needed when a proven email belongs to an account the identity is not linked to', async () => {
    const { response } = await socialLogin(idp, base, 'Google', 'alice');
    expect(callbackParams(response).get('username')).toBe('alice@example.com');
    // alice@example.com has an account (through Google); Facebook, trusted for emails, vouches for the address too.
    const before = await accountCounts();
    const { response: second } = await socialLogin(idp, base, 'Facebook', 'alice');
    const params = callbackParams(second);
    expect(params.get('error')).toBe('merge_needed');
    expect(params.get('error_description')).toBe(
      'an account with the email alice@example.com already exists: sign in to it first, then link Facebook',
    );
    expect(params.get('username')).toBeNull();
    expect(await accountCounts()).toEqual(before);
  });

  it('answers an unverified email that has an account as it answers a new one: a new account, claiming nothing', async () => {
    const { response } = await socialLogin(idp, base, 'Facebook', 'bob');
    expect(callbackParams(response).get('username')).toBe('bob@example.com');
    const owner = await gatehouse.core.users.findByEmail('refuse', 'bob@example.com');
    // Google does not verify bob's address: whoever signs in there has not shown they own it.
    const { response: second, secret } = await socialLogin(idp, base, 'Google', 'bob');
    const params = callbackParams(second);
    expect(Object.fromEntries(params)).toEqual({
      customerId: 'refuse',
      ExtIdpAuthChallengeState: expect.any(String),
      username: 'bob@example.com',
    });
    const resumed = await resume(base, params, secret);
    expect(resumed.body.Result).toMatchObject({ Summary: 'LoginSuccess', User: 'bob@example.com' });
    expect((resumed.body.Result as { UserId: string }).UserId).not.toBe(owner?.id);
    expect(await gatehouse.core.users.findByEmail('refuse', 'bob@example.com')).toEqual(owner);
  });
});

describe('POST /Security/ResumeFromExtIdpAuth refusals', () => {
  it('refuses another user’s name with a state, and still resumes for the right one', async () => {
    const { response, secret } = await socialLogin(idp, base, 'LinkedIn', '', { extra: newcomer('lin') });
    const params = Object.fromEntries(callbackParams(response));
    const foreign = await resume(base, { ...params, username: 'mallory@example.com' }, secret);
    expect(foreign.body).toMatchObject({ success: false, Result: null, ErrorCode: 'SessionInvalid' });
    const own = await resume(base, params, secret);
    expect(own.body.Result).toMatchObject({ Summary: 'LoginSuccess', User: params.username });
  });

  it('refuses a state whose IdP has not answered yet', async () => {
    const started = await security(base, 'StartSocialAuthentication', {
      IdpName: 'Google',
      PostExtIdpAuthCallbackUrl: appCallback,
    });
    const state =
      new URL((started.body.Result as { IdpRedirectUrl: string }).IdpRedirectUrl).searchParams.get('state') ?? '';
    const early = await expectNoWrites(gatehouse.storage.db, () =>
      resume(
        base,
        { ExtIdpAuthChallengeState: state, username: 'alice@example.com', customerId: 'refuse' },
        resumeSecretOf(started),
      ),
    );
    expect(early.body).toEqual({
      success: false,
      Result: null,
      Message: 'the login session is unknown, expired or already used',
      MessageID: null,
      Exception: null,
      ErrorID: null,
      ErrorCode: 'SessionInvalid',
      InnerExceptions: null,
    });
  });

  it('binds a flow started by a same-origin page to that browser: the callback needs its cookie', async () => {
    const browser = new CookieJar();
    const started = await security(
      base,
      'StartSocialAuthentication',
      { IdpName: 'Google', PostExtIdpAuthCallbackUrl: appCallback },
      { jar: browser, headers: { 'sec-fetch-site': 'same-origin' } },
    );
    expect([...browser.cookies.keys()]).toEqual([expect.stringMatching(/^__Host-gatehouse_flow_[0-9A-Za-z_-]{16}$/)]);
    expect(started.response.headers.getSetCookie()[0]).toMatch(/; Path=\/; HttpOnly; Secure; SameSite=None$/);
    expect(started.body.Result).toEqual({ IdpRedirectUrl: expect.any(String), Status: 'RedirectToIdp' });
    const extra = newcomer('bound');
    const callback = await idp.signIn((started.body.Result as { IdpRedirectUrl: string }).IdpRedirectUrl, '', extra);
    await errorPage(await deliverCallback(callback, new CookieJar()));
    const params = Object.fromEntries(callbackParams(await deliverCallback(callback, browser)));
    expect(params.username).toBe(extra.test_user_email);
    const elsewhere = await security(base, 'ResumeFromExtIdpAuth', {}, { query: params });
    expect(elsewhere.body).toMatchObject({ success: false, ErrorCode: 'SessionInvalid' });
    const here = await security(base, 'ResumeFromExtIdpAuth', {}, { query: params, jar: browser });
    expect(here.body).toMatchObject({ success: true, Result: { Summary: 'LoginSuccess' }, ...envelopeNulls });
  });
});
