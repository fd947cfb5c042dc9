import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startRedis, type TestRedis } from '../harness/redis.js';
import { apps, claimsOf, type SocialFixture, startSocialFixture } from '../harness/social.js';
import { storageKinds } from '../harness/storage.js';

/**
 * Redis is an accelerator: with it stopped, frozen or restarted, sign-in and sign-up keep answering at once and rate
 * limits stay enforced per instance. Every request here is bounded, so one that waits on Redis fails the test.
 */
const requestBoundMs = 5000;

interface Answer {
  readonly status: number;
  readonly body: Record<string, unknown>;
}

const call = async (url: string, init: RequestInit = {}): Promise<Answer> => {
  const response = await fetch(url, { ...init, signal: AbortSignal.timeout(requestBoundMs) });
  const text = await response.text();
  return { status: response.status, body: text === '' ? {} : (JSON.parse(text) as Record<string, unknown>) };
};

const form = (url: string, fields: Record<string, string>, headers: Record<string, string> = {}) =>
  call(url, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
    body: new URLSearchParams(fields),
  });

/** Polls `check` until it holds, for at most 20 s. */
const eventually = async (check: () => Promise<boolean>, what: string): Promise<void> => {
  const until = Date.now() + 20_000;
  while (!(await check())) {
    if (Date.now() > until) throw new Error(`${what}: not met in time`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
};

const password = 'correct horse battery staple';

describe.each(storageKinds)('sign-in with Redis stopped, frozen and restarted, on %s', (storage) => {
  let redis: TestRedis;
  let f: SocialFixture;
  const tenantId = `redis-${storage}`;

  beforeAll(async () => {
    redis = await startRedis();
    f = await startSocialFixture({ tenantId, start: { storage, config: { redisUrl: redis.url } } });
  });
  afterAll(async () => {
    await f?.close();
    await redis?.close();
  });

  const issuer = () => f.gh.issuer(tenantId);
  const credentials = () => ({ client_id: f.clientId, client_secret: f.clientSecret });
  const aUser = async (label: string): Promise<string> => {
    const email = `${label}-${randomBytes(4).toString('hex')}@example.com`;
    await f.gh.core.users.create(tenantId, { email, password });
    return email;
  };
  const passwordSignIn = (email: string, secret = password) =>
    form(`${issuer()}/token`, { grant_type: 'password', username: email, password: secret, ...credentials() });
  const readyz = () => call(`${f.gh.url}/readyz`);
  const logged = (message: string) => f.gh.logs.some((line) => line.includes(`"msg":"${message}"`));

  /** A Google sign-up through the STS surface (newuser token, then the account), then a sign-in. */
  const socialSignUpAndIn = async (): Promise<{ newUserToken: string }> => {
    const sub = `g-${randomBytes(4).toString('hex')}`;
    const email = `${sub}@example.com`;
    const mint = async () =>
      (await f.idp.mint('google', { clientId: apps.google, sub, email, emailVerified: true })).id_token ?? '';
    const first = await form(`${f.gh.url}/connect/token`, {
      grant_type: 'Google',
      assertion: await mint(),
      ...credentials(),
    });
    expect(first.status).toBe(200);
    expect(claimsOf(first.body.access_token)).toMatchObject({ newuser: true, idp: 'google', email });
    const newUserToken = String(first.body.access_token);
    const created = await call(`${f.gh.url}/connect/accounts`, {
      method: 'POST',
      headers: { authorization: `Bearer ${newUserToken}`, 'content-type': 'application/json' },
      body: JSON.stringify({ firstName: 'Sam' }),
    });
    expect(created.status).toBe(201);
    expect(created.body.account).toMatchObject({ email, email_verified: true, given_name: 'Sam' });
    const again = await form(`${f.gh.url}/connect/token`, {
      grant_type: 'Google',
      assertion: await mint(),
      ...credentials(),
    });
    expect(again.status).toBe(200);
    expect(claimsOf(again.body.access_token)).toMatchObject({ amr: ['external', 'google'] });
    return { newUserToken };
  };

  /** Ten wrong passwords are answered invalid_grant; the eleventh attempt is refused even with the right one. */
  const expectPasswordLimit = async () => {
    const email = await aUser('guessed');
    for (let i = 0; i < 10; i++) {
      const wrong = await passwordSignIn(email, `wrong ${i}`);
      expect(wrong.status).toBe(400);
      expect(wrong.body.error).toBe('invalid_grant');
    }
    const limited = await passwordSignIn(email);
    expect(limited.status).toBe(429);
    expect(limited.body.error).toBe('temporarily_unavailable');
  };

  /** A failed sign-in of a fresh account writes a rate-limit counter: shows that Redis is used again. */
  const expectCounterWrittenToRedis = async () => {
    const before = await redis.keyCount();
    const wrong = await passwordSignIn(await aUser('counted'), 'wrong');
    expect(wrong.status).toBe(400);
    await eventually(async () => (await redis.keyCount()) > before, 'a counter in Redis');
  };

  it('uses Redis once connected, and is ready', async () => {
    await eventually(async () => (await readyz()).body.status === 'ok', 'connected to Redis');
    expect(await readyz()).toEqual({ status: 200, body: { status: 'ok' } });
    await expectCounterWrittenToRedis();
    expect((await passwordSignIn(await aUser('up'))).status).toBe(200);
  });

  let spentDuringOutage = '';

  it('signs in by password and by Google, signs up, and still limits wrong passwords when Redis is stopped', async () => {
    await redis.stop();

    const email = await aUser('stopped');
    const signIn = await passwordSignIn(email);
    expect(signIn.status).toBe(200);
    expect(signIn.body.access_token).toEqual(expect.any(String));
    spentDuringOutage = (await socialSignUpAndIn()).newUserToken;
    await expectPasswordLimit();

    expect(await readyz()).toEqual({ status: 200, body: { status: 'degraded', unavailable: ['redis'] } });
    expect(logged('redis.breaker_opened')).toBe(true);
  });

  it('refuses a newuser token spent while Redis was away, in the STS format', async () => {
    expect(spentDuringOutage).not.toBe('');
    const replay = await call(`${f.gh.url}/connect/accounts`, {
      method: 'POST',
      headers: { authorization: `Bearer ${spentDuringOutage}`, 'content-type': 'application/json' },
      body: '{}',
    });
    expect(replay.status).toBe(401);
    expect(replay.body.error).toBe('invalid_token');
  });

  it('uses Redis again once it is back, without a restart of Gatehouse', async () => {
    await redis.start();
    await eventually(async () => (await readyz()).body.status === 'ok', 'ready again');
    expect(logged('redis.breaker_closed')).toBe(true);
    await expectCounterWrittenToRedis();

    // The replay guard of the newuser token is in the database: Redis coming back empty does not reopen it.
    const replay = await call(`${f.gh.url}/connect/accounts`, {
      method: 'POST',
      headers: { authorization: `Bearer ${spentDuringOutage}`, 'content-type': 'application/json' },
      body: '{}',
    });
    expect(replay.status).toBe(401);
    expect(replay.body.error).toBe('invalid_token');
  });

  it('answers without waiting for a frozen Redis, then uses it again when it thaws', async () => {
    redis.pause();
    try {
      const signIn = await passwordSignIn(await aUser('frozen'));
      expect(signIn.status).toBe(200);
      await socialSignUpAndIn();
      await expectPasswordLimit();
      expect(await readyz()).toEqual({ status: 200, body: { status: 'degraded', unavailable: ['redis'] } });
    } finally {
      redis.resume();
    }

    await eventually(async () => (await readyz()).body.status === 'ok', 'ready again');
    await expectCounterWrittenToRedis();
    const metrics = await fetch(`${f.gh.url}/metrics`, { signal: AbortSignal.timeout(requestBoundMs) });
    const text = await metrics.text();
    expect(text).toMatch(/gatehouse_redis_breaker_opened_total ([2-9]|\d{2,})$/m);
    expect(text).toMatch(/gatehouse_redis_breaker_closed_total ([2-9]|\d{2,})$/m);
    expect(text).toMatch(/gatehouse_redis_breaker_open 0$/m);
  });
});
