import { createHash, randomBytes } from 'node:crypto';
import { decodeProtectedHeader } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { browserFetch, CookieJar, locationOf } from '../harness/clients.js';
import { type EmulatorHarness, startEmulator } from '../harness/emulator.js';
import { type Fleet, type Instance, startFleet } from './fleet.js';

let fleet: Fleet;
let a: Instance;
let b: Instance;
let idp: EmulatorHarness;
const app = { id: 'fleet-spa', redirectUri: 'https://app.example/oauth/callback' };
const tenant = `fleet-${randomBytes(4).toString('hex')}`;
const client = { id: 'fleet-app', secret: `fleet-secret-${randomBytes(16).toString('hex')}` };
const user = { email: 'ada@example.com', password: `pw-${randomBytes(12).toString('hex')}` };

const basic = (id: string, secret: string) => `Basic ${Buffer.from(`${id}:${secret}`).toString('base64')}`;

const token = async (instance: Instance, fields: Record<string, string>, secret = client.secret) => {
  const response = await fetch(`${instance.url}/t/${tenant}/token`, {
    method: 'POST',
    headers: { authorization: basic(client.id, secret), 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams(fields).toString(),
  });
  return {
    status: response.status,
    headers: response.headers,
    body: (await response.json()) as Record<string, string>,
  };
};

const kids = async (instance: Instance): Promise<string[]> => {
  const response = await fetch(`${instance.url}/t/${tenant}/jwks`);
  expect(response.status).toBe(200);
  return ((await response.json()) as { keys: { kid: string }[] }).keys.map((k) => k.kid);
};

const signingKid = async (instance: Instance): Promise<string | undefined> => {
  const { status, body } = await token(instance, { grant_type: 'client_credentials' });
  expect(status).toBe(200);
  return decodeProtectedHeader(String(body.access_token)).kid;
};

/** Polls `check` until it holds; instances cache keys for up to 5 s (see docs/deployment.md). */
const eventually = async (check: () => Promise<boolean>, what: string, timeoutMs = 20_000): Promise<void> => {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`not within ${timeoutMs} ms: ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
};

beforeAll(async () => {
  [fleet, idp] = await Promise.all([startFleet(2), startEmulator()]);
  await idp.registerApp({ provider: 'google', clientId: 'fleet-google', clientSecret: 'unused' });
  [a, b] = fleet.instances as [Instance, Instance];
  const imported = await fetch(`${a.url}/admin/import`, {
    method: 'POST',
    headers: { authorization: `Bearer ${fleet.adminToken}`, 'content-type': 'application/json' },
    body: JSON.stringify({
      version: 1,
      tenants: [
        {
          id: tenant,
          clients: [
            {
              clientId: client.id,
              clientSecret: client.secret,
              grantTypes: ['password', 'refresh_token', 'client_credentials'],
            },
            { clientId: app.id, public: true, redirectUris: [app.redirectUri] },
          ],
          idps: [{ id: 'google', kind: 'google', clientId: 'fleet-google', clientSecret: 'unused', emulator: idp.url }],
          users: [{ email: user.email, password: user.password, emailVerified: true }],
        },
      ],
    }),
  });
  expect(imported.status, await imported.clone().text()).toBe(200);
}, 120_000);

afterAll(async () => {
  await Promise.all([fleet?.close(), idp?.close()]);
});

/** The same URL on another instance (every instance answers for the public URL). */
const on = (instance: Instance, url: string): string => {
  const target = new URL(url);
  const base = new URL(instance.url);
  target.host = base.host;
  return target.href;
};

/** Follows redirects while they stay on Gatehouse, sending each hop to `instance`; returns where they leave it. */
const followOn = async (instance: Instance, jar: CookieJar, first: string): Promise<string> => {
  let url = on(instance, first);
  for (let hops = 0; hops < 10; hops++) {
    const response = await browserFetch(jar, url);
    expect([302, 303], `${url} answered ${response.status}: ${await response.clone().text()}`).toContain(
      response.status,
    );
    const next = locationOf(response, url);
    if (!next.startsWith(fleet.publicUrl) && !next.startsWith(a.url) && !next.startsWith(b.url)) return next;
    url = on(instance, next);
  }
  throw new Error('too many redirects');
};

describe('two instances over one PostgreSQL and one Redis', () => {
  it('completes on one instance a redirect login started on the other, and the code redeems on the first', async () => {
    const jar = new CookieJar();
    const verifier = randomBytes(32).toString('base64url');
    const authorize = new URL(`${a.url}/t/${tenant}/authorize`);
    for (const [name, value] of Object.entries({
      response_type: 'code',
      client_id: app.id,
      redirect_uri: app.redirectUri,
      scope: 'openid email',
      state: 'app-state',
      code_challenge: createHash('sha256').update(verifier).digest('base64url'),
      code_challenge_method: 'S256',
      idp_hint: 'google',
    }))
      authorize.searchParams.set(name, value);

    // Started on the first instance: the flow is stored, the browser sent to the IdP.
    const idpUrl = await followOn(a, jar, authorize.href);
    expect(idpUrl.startsWith(`${idp.url}/google/authorize?`)).toBe(true);
    const callback = await idp.signIn(idpUrl, 'alice');
    expect(callback.method).toBe('GET');

    // The IdP's answer lands on the second instance, which finishes the flow.
    const back = await followOn(b, jar, `${callback.redirectUri}?${callback.params}`);
    const returned = new URL(back);
    expect(`${returned.origin}${returned.pathname}`).toBe(app.redirectUri);
    expect(returned.searchParams.get('state')).toBe('app-state');

    const redeemed = await fetch(`${a.url}/t/${tenant}/token`, {
      method: 'POST',
      body: new URLSearchParams({
        grant_type: 'authorization_code',
        code: returned.searchParams.get('code') ?? '',
        redirect_uri: app.redirectUri,
        client_id: app.id,
        code_verifier: verifier,
      }),
    });
    expect(redeemed.status).toBe(200);
    const tokens = (await redeemed.json()) as Record<string, string>;
    const userinfo = await fetch(`${b.url}/t/${tenant}/userinfo`, {
      headers: { authorization: `Bearer ${tokens.access_token}` },
    });
    expect(await userinfo.json()).toMatchObject({ email: 'alice@example.com' });
  });

  it('rotates on one instance a refresh token issued by the other, and revokes the family when the old one is replayed', async () => {
    const issued = await token(a, {
      grant_type: 'password',
      username: user.email,
      password: user.password,
      scope: 'openid offline_access',
    });
    expect(issued.status).toBe(200);
    const first = String(issued.body.refresh_token);

    const rotated = await token(b, { grant_type: 'refresh_token', refresh_token: first });
    expect(rotated.status).toBe(200);
    expect(rotated.body.refresh_token).toEqual(expect.any(String));
    expect(rotated.body.refresh_token).not.toBe(first);

    // RFC 9700 §4.14.2: the rotated-out token, replayed on the first instance, is refused and its family revoked.
    const replayed = await token(a, { grant_type: 'refresh_token', refresh_token: first });
    expect(replayed.status).toBe(400);
    expect(replayed.body.error).toBe('invalid_grant');
    const revoked = await token(a, { grant_type: 'refresh_token', refresh_token: String(rotated.body.refresh_token) });
    expect(revoked.status).toBe(400);
    expect(revoked.body.error).toBe('invalid_grant');
  });

  it('serves a key rotated on one instance from both: published by each, then signing on each', async () => {
    const before = await kids(a);
    expect(await kids(b)).toEqual(before);

    const response = await fetch(`${a.url}/admin/tenants/${tenant}/keys/rotate`, {
      method: 'POST',
      headers: { authorization: `Bearer ${fleet.adminToken}` },
    });
    expect(response.status).toBe(200);
    // Access tokens are signed with the ES256 key; the RS256 key (ID tokens) rotates with it.
    const keys = ((await response.json()) as { items: { kid: string; alg: string; state: string }[] }).items.filter(
      (k) => k.alg === 'ES256',
    );
    const active = keys.find((k) => k.state === 'active')?.kid;
    const next = keys.find((k) => k.state === 'next')?.kid;
    expect(active).toBeDefined();
    expect(next).toBeDefined();
    // The key that starts signing was published before the rotation, so no verifier meets an unknown kid.
    expect(before).toContain(active);
    expect(before).not.toContain(next);

    expect(await kids(a)).toContain(next);
    expect(await signingKid(a)).toBe(active);
    await eventually(
      async () => (await kids(b)).includes(String(next)),
      'the other instance publishes the new next key',
    );
    await eventually(async () => (await signingKid(b)) === active, 'the other instance signs with the new active key');

    // A token the first instance signed after the rotation is accepted by the second.
    const { body } = await token(a, {
      grant_type: 'password',
      username: user.email,
      password: user.password,
      scope: 'openid email',
    });
    expect(decodeProtectedHeader(String(body.access_token)).kid).toBe(active);
    const userinfo = await fetch(`${b.url}/t/${tenant}/userinfo`, {
      headers: { authorization: `Bearer ${String(body.access_token)}` },
    });
    expect(userinfo.status).toBe(200);
    expect(await userinfo.json()).toMatchObject({ email: user.email });
  });

  it('shares rate limits: client authentication failures on one instance count on the other', async () => {
    // The client_auth policy allows 20 failures per client and address per minute; spread them over both.
    for (let i = 0; i < 20; i++) {
      const failed = await token(i % 2 === 0 ? a : b, { grant_type: 'client_credentials' }, 'wrong-secret');
      expect(failed.status).toBe(401);
      expect(failed.body.error).toBe('invalid_client');
    }
    for (const instance of [a, b]) {
      const refused = await token(instance, { grant_type: 'client_credentials' });
      expect(refused.status).toBe(429);
      expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(0);
    }
  });
});
