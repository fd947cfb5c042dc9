/**
 * Native token binding (decision 0022): nonces issued at `POST /t/{tenant}/nonce`, spent by the sign-in with the ID
 * token that carries them, and every other ID token spent once, at the STS grant and at RFC 8693 token exchange,
 * across two instances sharing PostgreSQL and Redis.
 */
import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ClientWithSecret } from '../../../src/core/clients/client.js';
import type { MintRequest } from '../../../src/emulator/context.js';
import { createTestClock } from '../../../src/lib/clock.js';
import { type RunningGatehouse, startGatehouse } from '../../harness/gatehouse.js';
import { startRedis, type TestRedis } from '../../harness/redis.js';
import { apps, claimsOf, postForm, type SocialFixture, startSocialFixture } from '../../harness/social.js';
import { expectNoWrites } from '../../harness/storage.js';

const idTokenType = 'urn:ietf:params:oauth:token-type:id_token';
const sha256Hex = (value: string) => createHash('sha256').update(value).digest('hex');

let redis: TestRedis;
let f: SocialFixture;
let second: RunningGatehouse;
const clock = createTestClock();
/** A second client of the fixture's tenant, and a tenant of its own with an Apple connection and a client. */
let otherClient: ClientWithSecret;
let otherTenantClient: ClientWithSecret;

beforeAll(async () => {
  redis = await startRedis();
  f = await startSocialFixture({ tenantId: 'binding', start: { clock, config: { redisUrl: redis.url } } });
  // Same database, same Redis, same public URL: another instance of the fleet.
  second = await startGatehouse({
    sharedStorage: f.gh.storage,
    clock,
    config: { redisUrl: redis.url, publicUrl: f.gh.url },
  });
  otherClient = await f.gh.core.clients.create(f.tenant.id, {
    clientId: 'binding-other-app',
    name: 'Other app',
    redirectUris: ['http://127.0.0.1:9/callback'],
    grantTypes: ['client_credentials'],
  });
  const otherTenant = await f.gh.core.tenants.create({ id: 'binding-b', policies: { linking: 'merge_needed' } });
  otherTenantClient = await f.gh.core.clients.create(otherTenant.id, {
    clientId: 'binding-b-app',
    name: 'B app',
    redirectUris: ['http://127.0.0.1:9/callback'],
    grantTypes: ['client_credentials'],
  });
});
afterAll(async () => {
  await second?.close();
  await f?.close();
  await redis?.close();
});

const credentials = (client?: ClientWithSecret) =>
  client === undefined
    ? { client_id: f.clientId, client_secret: f.clientSecret }
    : { client_id: client.client.clientId, client_secret: client.clientSecret ?? '' };

const nonceAt = (instance: RunningGatehouse, tenantId: string, form: Record<string, string>) =>
  postForm(`${instance.url}/t/${tenantId}/nonce`, form);

const aNonce = async (client?: ClientWithSecret, tenantId = f.tenant.id): Promise<string> => {
  const response = await nonceAt(f.gh, tenantId, credentials(client));
  expect(response.status).toBe(200);
  return response.body.nonce as string;
};

const mint = async (kind: keyof typeof apps, request: Omit<MintRequest, 'clientId'>) => {
  const minted = await f.idp.mint(kind, { clientId: apps[kind], emailVerified: true, ...request });
  return minted;
};
const idTokenOf = async (kind: keyof typeof apps, request: Omit<MintRequest, 'clientId'>) =>
  (await mint(kind, request)).id_token as string;

const exchange = (
  token: string,
  connectionId: string,
  options: { instance?: RunningGatehouse; tenantId?: string; client?: ClientWithSecret } = {},
) =>
  postForm(`${(options.instance ?? f.gh).url}/t/${options.tenantId ?? f.tenant.id}/token`, {
    grant_type: 'urn:ietf:params:oauth:grant-type:token-exchange',
    ...credentials(options.client),
    subject_token: token,
    subject_token_type: idTokenType,
    subject_issuer: connectionId,
  });

const sts = (grantType: string, assertion: string, instance: RunningGatehouse = f.gh) =>
  postForm(`${instance.url}/connect/token`, { grant_type: grantType, assertion, ...credentials() });

const refusal = (description: string) => ({
  status: 400,
  body: { error: 'invalid_grant', error_description: description },
});

describe('POST /t/{tenant}/nonce', () => {
  it('issues a fresh nonce for five minutes to an authenticated client, never cached', async () => {
    const first = await nonceAt(f.gh, f.tenant.id, credentials());
    const again = await nonceAt(f.gh, f.tenant.id, credentials());
    expect(first).toMatchObject({
      status: 200,
      body: { nonce: expect.stringMatching(/^[\w-]{43}$/), expires_in: 300 },
    });
    expect(first.headers.get('cache-control')).toBe('no-store');
    expect(again.body.nonce).not.toBe(first.body.nonce);
    // Stored as its digest only.
    const row = await f.gh.storage.db
      .selectFrom('native_nonces')
      .selectAll()
      .where('digest', '=', sha256Hex(first.body.nonce as string))
      .executeTakeFirstOrThrow();
    expect(row).toMatchObject({ tenant_id: f.tenant.id, client_id: f.clientId, used_at: null });
  });

  it('refuses a wrong client secret, an unknown client and no client in RFC 6749 JSON, and stores nothing', async () => {
    for (const form of [
      { client_id: f.clientId, client_secret: 'wrong' },
      { client_id: 'nobody', client_secret: 'x' },
      {},
    ]) {
      const response = await expectNoWrites(f.gh.storage.db, () => nonceAt(f.gh, f.tenant.id, form));
      expect(response).toMatchObject({ status: 401, body: { error: 'invalid_client' } });
    }
  });

  it('refuses a client of another tenant', async () => {
    const response = await nonceAt(f.gh, f.tenant.id, credentials(otherTenantClient));
    expect(response).toMatchObject({ status: 401, body: { error: 'invalid_client' } });
  });

  it('limits how many nonces one client asks for from one address, with Retry-After', async () => {
    const limited = await f.gh.core.clients.create(f.tenant.id, {
      clientId: 'binding-busy-app',
      name: 'Busy app',
      redirectUris: ['http://127.0.0.1:9/callback'],
      grantTypes: ['client_credentials'],
    });
    const statuses: number[] = [];
    let last: Awaited<ReturnType<typeof nonceAt>> | undefined;
    for (let i = 0; i < 31; i++) {
      last = await nonceAt(f.gh, f.tenant.id, credentials(limited));
      statuses.push(last.status);
    }
    expect(statuses.slice(0, 30).every((s) => s === 200)).toBe(true);
    expect(last).toMatchObject({ status: 429, body: { error: 'temporarily_unavailable' } });
    expect(Number(last?.headers.get('retry-after'))).toBeGreaterThan(0);
  });
});

describe('Sign in with Apple (a nonce of ours required by default, carried as its SHA-256)', () => {
  it('accepts the hashed nonce once, at RFC 8693 token exchange; the same token again is refused', async () => {
    const nonce = await aNonce();
    const token = await idTokenOf('apple', {
      sub: 'apple-bound',
      email: 'apple-bound@example.com',
      nonce: sha256Hex(nonce),
    });
    const first = await exchange(token, 'apple');
    expect(first.status).toBe(200);
    expect(claimsOf(first.body.access_token)).toMatchObject({ amr: ['external', 'apple'] });
    const replayed = await expectNoWrites(f.gh.storage.db, () => exchange(token, 'apple'));
    expect(replayed).toMatchObject(refusal('the ID token nonce has already been used'));
  });

  it('refuses a token without a nonce, and one carrying the nonce unhashed, and writes nothing', async () => {
    const bare = await idTokenOf('apple', { sub: 'apple-bare', email: 'apple-bare@example.com' });
    const unhashed = await idTokenOf('apple', {
      sub: 'apple-raw',
      email: 'apple-raw@example.com',
      nonce: await aNonce(),
    });
    for (const token of [bare, unhashed]) {
      const response = await expectNoWrites(f.gh.storage.db, () => exchange(token, 'apple'));
      expect(response).toMatchObject(
        refusal('the ID token carries no nonce issued by this service, and this connection requires one'),
      );
    }
  });

  it("refuses a nonce issued to another client of the tenant, and one of another tenant's client", async () => {
    const ofOther = await aNonce(otherClient);
    const token = await idTokenOf('apple', { sub: 'apple-x', email: 'apple-x@example.com', nonce: sha256Hex(ofOther) });
    expect(await expectNoWrites(f.gh.storage.db, () => exchange(token, 'apple'))).toMatchObject(
      refusal('the ID token nonce was issued to another client'),
    );
    // Tenant B's nonce, presented at tenant A by tenant A's client.
    const ofTenantB = await aNonce(otherTenantClient, 'binding-b');
    const crossTenant = await idTokenOf('apple', {
      sub: 'apple-y',
      email: 'apple-y@example.com',
      nonce: sha256Hex(ofTenantB),
    });
    expect(await expectNoWrites(f.gh.storage.db, () => exchange(crossTenant, 'apple'))).toMatchObject(
      refusal('the ID token nonce was issued to another client'),
    );
  });

  it('refuses an expired nonce', async () => {
    const nonce = await aNonce();
    const token = await idTokenOf('apple', {
      sub: 'apple-late',
      email: 'apple-late@example.com',
      nonce: sha256Hex(nonce),
    });
    clock.advance(301_000);
    try {
      const response = await expectNoWrites(f.gh.storage.db, () => exchange(token, 'apple'));
      expect(response).toMatchObject(refusal('the ID token nonce has expired; ask for a new one'));
    } finally {
      clock.advance(-301_000);
    }
  });
});

describe('the STS provider grants', () => {
  it('spend a Google ID token without a nonce: the second sign-in with it is refused, and writes nothing', async () => {
    const token = await idTokenOf('google', { sub: 'g-sts-once', email: 'g-sts-once@example.com' });
    const first = await sts('Google', token);
    expect(first.status).toBe(200);
    const again = await expectNoWrites(f.gh.storage.db, () => sts('Google', token));
    expect(again).toMatchObject(refusal('the ID token has already been used'));
  });

  it('spend a nonce of ours a Google token carries as it is', async () => {
    const nonce = await aNonce();
    const token = await idTokenOf('google', { sub: 'g-sts-nonce', email: 'g-sts-nonce@example.com', nonce });
    expect((await sts('Google', token)).status).toBe(200);
    expect(await sts('Google', token)).toMatchObject(refusal('the ID token nonce has already been used'));
  });

  it('refuse a Facebook Limited Login ID token without a nonce, and accept one with a nonce of ours once', async () => {
    const bare = await idTokenOf('facebook', { sub: 'fb-ll-bare', email: 'fb-ll-bare@example.com' });
    expect(await expectNoWrites(f.gh.storage.db, () => sts('Facebook', bare))).toMatchObject(
      refusal('the ID token carries no nonce issued by this service, and this connection requires one'),
    );
    const nonce = await aNonce();
    const bound = await idTokenOf('facebook', { sub: 'fb-ll-bound', email: 'fb-ll-bound@example.com', nonce });
    expect((await sts('Facebook', bound)).status).toBe(200);
    expect(await sts('Facebook', bound)).toMatchObject(refusal('the ID token nonce has already been used'));
  });

  it("leave a Facebook access token reusable: Graph's debug_token checks it on every use", async () => {
    const minted = await mint('facebook', { sub: 'fb-classic', email: 'fb-classic@example.com' });
    const token = minted.access_token as string;
    expect((await sts('Facebook', token)).status).toBe(200);
    expect((await sts('Facebook', token)).status).toBe(200);
  });
});

describe('a connection that requires a nonce by setting', () => {
  it('refuses a Google token without one; the setting off again accepts it', async () => {
    await f.gh.core.connections.set(f.tenant.id, {
      id: 'google',
      kind: 'google',
      clientId: apps.google,
      clientSecret: 'google-secret',
      emulator: f.idp.url,
      trustEmail: true,
      settings: { requireNonce: true },
    });
    // Each instance rebuilds a changed connection's connector within five seconds.
    clock.advance(5_001);
    const token = await idTokenOf('google', { sub: 'g-required', email: 'g-required@example.com' });
    try {
      expect(await expectNoWrites(f.gh.storage.db, () => sts('Google', token))).toMatchObject(
        refusal('the ID token carries no nonce issued by this service, and this connection requires one'),
      );
    } finally {
      await f.gh.core.connections.set(f.tenant.id, {
        id: 'google',
        kind: 'google',
        clientId: apps.google,
        clientSecret: 'google-secret',
        emulator: f.idp.url,
        trustEmail: true,
      });
      clock.advance(5_001);
    }
    // The refusal spent nothing: with the setting off, the same token signs in.
    expect((await sts('Google', token)).status).toBe(200);
  });
});

describe('across two instances sharing PostgreSQL and Redis', () => {
  it('refuses on the second instance the ID token the first one signed in with', async () => {
    const token = await idTokenOf('google', { sub: 'g-fleet', email: 'g-fleet@example.com' });
    expect((await sts('Google', token, f.gh)).status).toBe(200);
    expect(await sts('Google', token, second)).toMatchObject(refusal('the ID token has already been used'));
  });

  it('spends on one instance a nonce issued by the other, once', async () => {
    const issued = await nonceAt(second, f.tenant.id, credentials());
    const nonce = issued.body.nonce as string;
    const token = await idTokenOf('apple', {
      sub: 'apple-fleet',
      email: 'apple-fleet@example.com',
      nonce: sha256Hex(nonce),
    });
    expect((await exchange(token, 'apple', { instance: f.gh })).status).toBe(200);
    expect(await exchange(token, 'apple', { instance: second })).toMatchObject(
      refusal('the ID token nonce has already been used'),
    );
  });
});
