/**
 * Changing a second factor on the hosted pages needs a step-up: a sign-in from the last five minutes and, once the
 * user has a factor, that factor. A bearer token in `.ASPXAUTH` is not enough on its own. A change ends what earlier
 * sign-ins obtained.
 */
import { Secret, TOTP } from 'otpauth';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestClock } from '../../../src/lib/clock.js';
import { type RunningGatehouse, startGatehouse } from '../../harness/gatehouse.js';
import { expectNoWrites, storageKinds } from '../../harness/storage.js';

const password = 'step up before you change it';

describe.each(storageKinds)('POST /t/{tenant}/mfa/totp with .ASPXAUTH (%s)', (kind) => {
  const clock = createTestClock();
  let gh: RunningGatehouse;
  let clientSecret = '';
  const tenantId = `step-up-${kind}`;
  const email = `sam-${kind}@example.com`;
  let key = '';
  const base = () => `${gh.issuer(tenantId)}/mfa`;
  const totp = (offsetSteps = 0) =>
    TOTP.generate({ secret: Secret.fromBase32(key), timestamp: clock.now().getTime() + offsetSteps * 30_000 });

  /** A password-grant token (amr ["pwd"], auth_time now) and its refresh token. */
  const passwordTokens = async () => {
    const response = await fetch(`${gh.issuer(tenantId)}/token`, {
      method: 'POST',
      body: new URLSearchParams({
        grant_type: 'password',
        username: email,
        password,
        client_id: `${tenantId}-app`,
        client_secret: clientSecret,
      }),
    });
    expect(response.status).toBe(200);
    return (await response.json()) as { access_token: string; refresh_token: string };
  };
  const refresh = (refreshToken: string) =>
    fetch(`${gh.issuer(tenantId)}/token`, {
      method: 'POST',
      body: new URLSearchParams({
        grant_type: 'refresh_token',
        refresh_token: refreshToken,
        client_id: `${tenantId}-app`,
        client_secret: clientSecret,
      }),
    });
  const page = async (token: string) => {
    const response = await fetch(base(), { headers: { cookie: `.ASPXAUTH=${token}` } });
    const html = await response.text();
    return { status: response.status, html, csrf: /name="csrf" value="([^"]+)"/.exec(html)?.[1] ?? '' };
  };
  const post = async (token: string, path: string, body: Record<string, string>) => {
    const response = await fetch(`${base()}${path}`, {
      method: 'POST',
      headers: { cookie: `.ASPXAUTH=${token}`, 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams(body).toString(),
    });
    return { status: response.status, html: await response.text() };
  };
  const keyOf = (html: string) => /Key: <code>([A-Z2-7]+)<\/code>/.exec(html)?.[1] ?? '';

  beforeAll(async () => {
    gh = await startGatehouse({ storage: kind, clock });
    await gh.core.tenants.create({ id: tenantId });
    const client = await gh.core.clients.create(tenantId, {
      clientId: `${tenantId}-app`,
      name: 'App',
      grantTypes: ['password', 'refresh_token'],
    });
    clientSecret = client.clientSecret ?? '';
    await gh.core.users.create(tenantId, { email, password, emailVerified: true });
  });
  afterAll(async () => gh?.close());

  it('lets a fresh sign-in set up the first authenticator, and ends the refresh tokens of earlier sign-ins', async () => {
    const earlier = await passwordTokens();
    const tokens = await passwordTokens();
    const { csrf, html } = await page(tokens.access_token);
    expect(html).not.toContain('name="current_code"');
    const begun = await post(tokens.access_token, '/totp', { csrf });
    expect(begun.status).toBe(200);
    key = keyOf(begun.html);
    expect(key).toMatch(/^[A-Z2-7]{32}$/);
    const confirmed = await post(tokens.access_token, '/totp/confirm', { csrf, code: totp() });
    expect(confirmed.status).toBe(200);
    expect(confirmed.html).toContain('Your other sign-ins have ended');
    // Every refresh-token family of the user is revoked, the access tokens issued in them with it.
    expect((await refresh(earlier.refresh_token)).status).toBe(400);
    expect((await refresh(tokens.refresh_token)).status).toBe(400);
    expect((await gh.core.tokens.verifyAccessToken(tenantId, earlier.access_token).catch((e) => e)).code).toBe(
      'invalid_token',
    );
    await gh.core.audit.flush();
    const changed = (await gh.core.audit.list(tenantId)).filter((e) => e.type === 'mfa.factor_changed');
    expect(changed).toHaveLength(1);
    expect(changed[0]?.details).toMatchObject({ factor: 'totp', replaced: false, familiesRevoked: 2 });
  });

  it('refuses to replace the authenticator for a bearer token without the existing factor, and writes nothing', async () => {
    clock.advance(60_000);
    const { access_token: token } = await passwordTokens();
    const { csrf, html } = await page(token);
    expect(html).toContain(
      '<label for="current-code">A code from your current authenticator app, or a recovery code</label>',
    );
    const missing = await expectNoWrites(gh.storage.db, () => post(token, '/totp', { csrf }));
    expect(missing.status).toBe(403);
    expect(missing.html).toContain('Enter a code from your current authenticator app, or a recovery code.');
    const wrong = await expectNoWrites(gh.storage.db, () =>
      post(token, '/totp', { csrf, current_code: totp() === '000000' ? '111111' : '000000' }),
    );
    expect(wrong.status).toBe(403);
    expect(wrong.html).toContain('That code is wrong or was already used.');
    // The confirm step cannot be reached around it: there is no pending enrolment.
    const around = await post(token, '/totp/confirm', { csrf, code: totp() });
    expect(around.status).toBe(400);
    expect(around.html).toContain('start the enrolment first');
  });

  it('refuses a token whose sign-in is older than five minutes, even with a right code', async () => {
    const { access_token: token } = await passwordTokens();
    clock.advance(5 * 60_000 + 1000);
    const { csrf } = await page(token);
    const stale = await expectNoWrites(gh.storage.db, () => post(token, '/totp', { csrf, current_code: totp() }));
    expect(stale.status).toBe(403);
    expect(stale.html).toContain('Sign in again to change your second factors');
  });

  it('replaces the authenticator after a step-up with a code of the current one, once per code', async () => {
    clock.advance(60_000);
    const { access_token: token } = await passwordTokens();
    const { csrf } = await page(token);
    const code = totp();
    const begun = await post(token, '/totp', { csrf, current_code: code });
    expect(begun.status).toBe(200);
    const replay = await post(token, '/totp', { csrf, current_code: code });
    expect(replay.status).toBe(403);
    const newKey = keyOf(begun.html);
    expect(newKey).not.toBe(key);
    key = newKey;
    const confirmed = await post(token, '/totp/confirm', { csrf, code: totp() });
    expect(confirmed.status).toBe(200);
    await gh.core.audit.flush();
    const changed = (await gh.core.audit.list(tenantId)).filter((e) => e.type === 'mfa.factor_changed');
    expect(changed.map((e) => (e.details as { replaced: boolean }).replaced).sort()).toEqual([false, true]);
  });
});
