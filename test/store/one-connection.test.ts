/**
 * Every flow that issues tokens, on a store of ONE connection (a PostgreSQL pool of one, and the embedded PGlite),
 * each for a new tenant that has no signing keys yet: no transaction may wait for a second connection, or the request
 * waits for itself and the whole server freezes. Each request is bounded, so a deadlock fails the test.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { grantTypes } from '../../src/core/clients/client.js';
import type { TenantPolicies } from '../../src/store/schema.js';
import { browserFetch, CookieJar, csrfOf, locationOf } from '../harness/clients.js';
import { type EmulatorHarness, startEmulator } from '../harness/emulator.js';
import { type RunningGatehouse, startGatehouse } from '../harness/gatehouse.js';
import { apps, claimsOf } from '../harness/social.js';
import { openTestStorage, type StorageKind, type TestStorage } from '../harness/storage.js';
import { aSocialTenant } from '../surfaces/cyberark/support.js';

/** Far above any honest answer here, far below the test's own timeout: a request that waits for itself fails. */
const bound = () => AbortSignal.timeout(15_000);
const password = 'correct horse battery staple';
const redirectUri = 'http://127.0.0.1:9/callback';

interface Answer {
  readonly status: number;
  readonly body: Record<string, unknown>;
}

const send = async (url: string, init: RequestInit): Promise<Answer> => {
  const response = await fetch(url, { ...init, signal: bound(), redirect: 'manual' });
  const text = await response.text();
  return { status: response.status, body: text === '' ? {} : (JSON.parse(text) as Record<string, unknown>) };
};
const form = (url: string, params: Record<string, string>, headers: Record<string, string> = {}) =>
  send(url, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
    body: new URLSearchParams(params),
  });
const json = (url: string, body: unknown) =>
  send(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-idap-native-client': 'true' },
    body: JSON.stringify(body),
  });

describe.each([
  ['a PostgreSQL pool of one connection', 'postgres'],
  ['PGlite', 'pglite'],
] as const)('every flow on %s, for a tenant without signing keys', (_name, kind: StorageKind) => {
  let storage: TestStorage;
  let gh: RunningGatehouse;
  let idp: EmulatorHarness;

  beforeAll(async () => {
    idp = await startEmulator();
    storage = await openTestStorage(kind, { poolSize: 1 });
    gh = await startGatehouse({ sharedStorage: storage });
  });
  afterAll(async () => {
    await gh?.close();
    await storage?.close();
    await idp?.close();
  });

  /** A new tenant (no keys), a confidential client allowed every grant, a user with a password, Google and Facebook. */
  const aTenant = async (label: string, policies: Partial<TenantPolicies> = {}) => {
    const id = `${label}-${randomBytes(3).toString('hex')}`;
    const { core } = gh;
    await core.tenants.create({ id, policies: { linking: 'auto_link_verified', mfa: 'off', ...policies } });
    for (const idpKind of ['google', 'facebook'] as const) {
      await idp.registerApp({ provider: idpKind, clientId: apps[idpKind], clientSecret: `${idpKind}-secret` });
      await core.connections.set(id, {
        id: idpKind,
        kind: idpKind,
        clientId: apps[idpKind],
        clientSecret: `${idpKind}-secret`,
        emulator: idp.url,
        trustEmail: true,
      });
    }
    const { client, clientSecret } = await core.clients.create(id, {
      clientId: `${id}-app`,
      name: 'App',
      redirectUris: [redirectUri],
      grantTypes: [...grantTypes],
    });
    const email = `ada@${id}.example`;
    const user = await core.users.create(id, { email, password, emailVerified: true, firstName: 'Ada' });
    expect(await storage.db.selectFrom('signing_keys').select('kid').where('tenant_id', '=', id).execute()).toEqual([]);
    return {
      id,
      issuer: gh.issuer(id),
      email,
      userId: user.id,
      credentials: { client_id: client.clientId, client_secret: clientSecret ?? '' },
    };
  };

  const idToken = async (sub: string, email: string) =>
    (await idp.mint('google', { clientId: apps.google, sub, email, emailVerified: true, name: 'Gia' })).id_token ?? '';

  it('OAuth password grant, then refresh_token', async () => {
    const t = await aTenant('pwd');
    const first = await form(`${t.issuer}/token`, {
      grant_type: 'password',
      username: t.email,
      password,
      scope: 'openid',
      ...t.credentials,
    });
    expect(first.status).toBe(200);
    expect(claimsOf(first.body.access_token).sub).toBe(t.userId);
    const refreshed = await form(`${t.issuer}/token`, {
      grant_type: 'refresh_token',
      refresh_token: String(first.body.refresh_token),
      ...t.credentials,
    });
    expect(refreshed.status).toBe(200);
  });

  it('OAuth client_credentials', async () => {
    const t = await aTenant('cc');
    const answer = await form(`${t.issuer}/token`, { grant_type: 'client_credentials', ...t.credentials });
    expect(answer.status).toBe(200);
    expect(claimsOf(answer.body.access_token).sub).toBe(t.credentials.client_id);
  });

  it('hosted login, then authorization_code', async () => {
    const t = await aTenant('code');
    const jar = new CookieJar();
    const authorize = new URL(`${t.issuer}/authorize`);
    for (const [name, value] of Object.entries({
      response_type: 'code',
      client_id: t.credentials.client_id,
      redirect_uri: redirectUri,
      scope: 'openid email',
      state: 'state-1',
    }))
      authorize.searchParams.set(name, value);
    const toPage = await browserFetch(jar, authorize.href, { signal: bound() });
    const pageUrl = locationOf(toPage, authorize.href);
    const page = await browserFetch(jar, pageUrl, { signal: bound() });
    expect(page.status).toBe(200);
    const posted = await browserFetch(jar, pageUrl, {
      method: 'POST',
      body: new URLSearchParams({ csrf: csrfOf(await page.text()), email: t.email, password }),
      signal: bound(),
    });
    const code = new URL(locationOf(posted, pageUrl)).searchParams.get('code');
    expect(code).toEqual(expect.any(String));
    const tokens = await form(`${t.issuer}/token`, {
      grant_type: 'authorization_code',
      code: code ?? '',
      redirect_uri: redirectUri,
      ...t.credentials,
    });
    expect(tokens.status).toBe(200);
    expect(claimsOf(tokens.body.id_token).sub).toBe(t.userId);
  });

  it('OAuth token exchange (RFC 8693) of a new identity', async () => {
    const t = await aTenant('exchange');
    const answer = await form(`${t.issuer}/token`, {
      grant_type: 'urn:ietf:params:oauth:grant-type:token-exchange',
      subject_token: await idToken('g-new', 'gia@exchange.example'),
      subject_token_type: 'urn:ietf:params:oauth:token-type:id_token',
      subject_issuer: 'google',
      scope: 'openid email',
      ...t.credentials,
    });
    expect(answer.status).toBe(200);
    expect(claimsOf(answer.body.access_token).amr).toEqual(['external', 'google']);
  });

  it('Flex password grant and auth_with_idp linking the same user', async () => {
    const t = await aTenant('flex');
    const byPassword = await form(`${gh.url}/v1/auth/token`, {
      grant_type: 'password',
      username: t.email,
      password,
      scope: 'user',
      ...t.credentials,
    });
    expect(byPassword.status).toBe(200);
    const u = await aTenant('flex-idp');
    const byIdp = await form(`${gh.url}/v1/auth/auth_with_idp`, {
      idp_id: 'google',
      idp_client_id: apps.google,
      idp_token: await idToken('g-flex', u.email),
      ...u.credentials,
    });
    expect(byIdp.status).toBe(200);
    expect(claimsOf(byIdp.body.access_token).sub).toBe(u.userId);
  });

  it('STS Facebook grant of a new user, then the account it creates', async () => {
    const t = await aTenant('sts');
    const minted = await idp.mint('facebook', {
      clientId: apps.facebook,
      sub: 'fb-1',
      email: 'fay@sts.example',
      emailVerified: true,
      name: 'Fay',
    });
    const first = await form(`${gh.url}/connect/token`, {
      grant_type: 'Facebook',
      assertion: minted.access_token ?? '',
      ...t.credentials,
    });
    expect(first.status).toBe(200);
    expect(claimsOf(first.body.access_token)).toMatchObject({ newuser: true });
    const created = await form(
      `${gh.url}/connect/accounts`,
      { firstName: 'Fay' },
      { authorization: `Bearer ${String(first.body.access_token)}` },
    );
    expect(created.status).toBe(201);
  });

  /** The Security API: StartAuthentication, then each answer until LoginSuccess. */
  const securityLogin = async (tenantId: string, email: string, mfa: boolean) => {
    const base = `${gh.url}/t/${tenantId}/Security`;
    const started = await json(`${base}/StartAuthentication`, { User: email, Version: '1.0' });
    const pkg = started.body.Result as {
      SessionId: string;
      Challenges: { Mechanisms: { Name: string; MechanismId: string }[] }[];
    };
    const mechanism = (step: number, name: string) =>
      pkg.Challenges[step]?.Mechanisms.find((m) => m.Name === name)?.MechanismId ?? '';
    const advance = (MechanismId: string, Action: string, Answer?: string) =>
      json(`${base}/AdvanceAuthentication`, {
        TenantId: tenantId,
        SessionId: pkg.SessionId,
        MechanismId,
        Action,
        ...(Answer === undefined ? {} : { Answer }),
      });
    const first = await advance(mechanism(0, 'UP'), 'Answer', password);
    if (!mfa) return first;
    expect(first.body).toMatchObject({ success: true, Result: { Summary: 'StartNextChallenge' } });
    expect((await advance(mechanism(1, 'EMAIL'), 'StartOOB')).body).toMatchObject({ success: true });
    const mail = (await gh.core.mail.outbox()).find((m) => m.to === email);
    const code = /Enter this code: (\d{6})/.exec(mail?.text ?? '')?.[1] ?? '';
    return advance(mechanism(1, 'EMAIL'), 'Answer', code);
  };

  it.each([
    ['a password', false],
    ['a password and an emailed code', true],
  ])('Security API sign-in with %s', async (_label, mfa) => {
    const id = `sec-${randomBytes(3).toString('hex')}`;
    await aSocialTenant(gh.core, idp, id, { mfa: mfa ? 'all' : 'off' });
    const email = `pat@${id}.example`;
    await gh.core.users.create(id, { email, password, emailVerified: true });
    const done = await securityLogin(id, email, mfa);
    expect(done.status).toBe(200);
    expect(done.body).toMatchObject({ success: true, Result: { Summary: 'LoginSuccess' } });
  });

  it('Security API sign-in on an instance started after the keys were made (a restart)', async () => {
    const id = `sec-restart-${randomBytes(3).toString('hex')}`;
    await aSocialTenant(gh.core, idp, id);
    const email = `pat@${id}.example`;
    await gh.core.users.create(id, { email, password, emailVerified: true });
    await gh.core.keys.list(id);
    const restarted = await startGatehouse({ sharedStorage: storage });
    try {
      const base = `${restarted.url}/t/${id}/Security`;
      const started = await json(`${base}/StartAuthentication`, { User: email, Version: '1.0' });
      const pkg = started.body.Result as { SessionId: string; Challenges: { Mechanisms: { MechanismId: string }[] }[] };
      const done = await json(`${base}/AdvanceAuthentication`, {
        TenantId: id,
        SessionId: pkg.SessionId,
        MechanismId: pkg.Challenges[0]?.Mechanisms[0]?.MechanismId ?? '',
        Action: 'Answer',
        Answer: password,
      });
      expect(done.body).toMatchObject({ success: true, Result: { Summary: 'LoginSuccess' } });
    } finally {
      await restarted.close();
    }
  });

  it('still answers readiness after all of it', async () => {
    expect((await send(`${gh.url}/readyz`, {})).status).toBe(200);
  });
});
