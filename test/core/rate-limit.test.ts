import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Core } from '../../src/core/index.js';
import type { RateLimitPolicy } from '../../src/core/rate-limit/policies.js';
import { createRateLimit, retryAfterOf } from '../../src/core/rate-limit/rate-limit.js';
import type { KeyValueStore } from '../../src/kv/kv.js';
import { createMemoryKv } from '../../src/kv/memory.js';
import { createRedisKv } from '../../src/kv/redis.js';
import { createTestClock } from '../../src/lib/clock.js';
import { expectError } from '../connectors/support.js';
import { type RunningGatehouse, startGatehouse } from '../harness/gatehouse.js';

const redisUrl = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
const policy = (points: number): RateLimitPolicy => ({
  name: `test_${randomBytes(4).toString('hex')}`,
  points,
  durationSeconds: 60,
});

describe('rateLimit (memory)', () => {
  const rateLimit = createRateLimit({ kv: createMemoryKv() });

  it('refuses with rate_limited and a retry-after once the points of a key are consumed', async () => {
    const p = policy(3);
    for (let i = 0; i < 3; i++) await rateLimit.consume('alice', p);
    const error = await expectError(rateLimit.consume('alice', p), 'rate_limited');
    expect(error.status).toBe(429);
    expect(retryAfterOf(error)).toBeGreaterThanOrEqual(1);
    expect(retryAfterOf(error)).toBeLessThanOrEqual(60);
    expect(error.details).toMatchObject({ policy: p.name });
    await expect(rateLimit.consume('bob', p)).resolves.toBeUndefined();
  });

  it('counts failures with penalize and refuses at check once the limit is reached, until reset', async () => {
    const p = policy(2);
    await rateLimit.check('k', p);
    await rateLimit.penalize('k', p);
    await rateLimit.check('k', p);
    await rateLimit.penalize('k', p);
    await expectError(rateLimit.check('k', p), 'rate_limited');
    await rateLimit.reset('k', p);
    await expect(rateLimit.check('k', p)).resolves.toBeUndefined();
  });

  it('says where its counters live', () => {
    expect(rateLimit.store).toBe('memory');
  });
});

describe('rateLimit (Redis)', () => {
  let a: KeyValueStore;
  let b: KeyValueStore;
  beforeAll(async () => {
    a = createRedisKv(redisUrl);
    b = createRedisKv(redisUrl);
    // Until its connection is ready a store answers from this process's memory: wait for both.
    const until = Date.now() + 10_000;
    while (!((await a.redis?.ping()) && (await b.redis?.ping()))) {
      if (Date.now() > until) throw new Error('Redis not ready');
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  });
  afterAll(async () => {
    await a.close();
    await b.close();
  });

  it('shares counts between two limiters on one Redis, as two instances of a fleet do', async () => {
    const one = createRateLimit({ kv: a });
    const two = createRateLimit({ kv: b });
    expect(one.store).toBe('redis');
    const p = policy(4);
    await one.penalize('carol', p);
    await two.penalize('carol', p);
    await one.penalize('carol', p);
    await two.check('carol', p);
    await two.penalize('carol', p);
    await expectError(one.check('carol', p), 'rate_limited');
    await expectError(two.consume('carol', p), 'rate_limited');
  });

  it('never writes the key in clear to Redis', async () => {
    const one = createRateLimit({ kv: a });
    const p = policy(5);
    const email = `dave-${randomBytes(4).toString('hex')}@example.com`;
    await one.penalize(email, p);
    const redis = a.redis?.client as import('ioredis').Redis;
    const keys = await redis.keys(`gatehouse:rl:${p.name}*`);
    expect(keys).toHaveLength(1);
    expect(keys[0]).not.toContain(email);
  });
});

describe('rate limits applied by the core', () => {
  let gh: RunningGatehouse;
  let core: Core;
  const tenantId = `rl-${randomBytes(4).toString('hex')}`;
  beforeAll(async () => {
    gh = await startGatehouse({ storage: 'pglite' });
    core = gh.core;
    await core.tenants.create({ id: tenantId });
  });
  afterAll(async () => gh?.close());

  it('refuses a client after 20 wrong secrets from one address, even with the right secret, but not other addresses', async () => {
    const { client, clientSecret } = await core.clients.create(tenantId, { clientId: `c-${tenantId}` });
    const secret = String(clientSecret);
    const attempt = (clientSecretTried: string, ip: string) =>
      core.clients.authenticate(
        { method: 'client_secret_basic', clientId: client.clientId, clientSecret: clientSecretTried },
        tenantId,
        { ip },
      );
    for (let i = 0; i < 20; i++) await expectError(attempt('wrong', '192.0.2.1'), 'invalid_client');
    await expectError(attempt(secret, '192.0.2.1'), 'rate_limited');
    await expect(attempt(secret, '192.0.2.2')).resolves.toMatchObject({ clientId: client.clientId });
  });

  it('never holds back right secrets arriving at once: 60 parallel authentications from one address all pass', async () => {
    const { client, clientSecret } = await core.clients.create(tenantId, { clientId: `busy-${tenantId}` });
    const results = await Promise.all(
      Array.from({ length: 60 }, () =>
        core.clients.authenticate(
          { method: 'client_secret_basic', clientId: client.clientId, clientSecret: String(clientSecret) },
          tenantId,
          { ip: '192.0.2.3' },
        ),
      ),
    );
    expect(results.map((c) => c.clientId)).toEqual(Array(60).fill(client.clientId));
  });

  it('refuses password sign-in from the guessing address after 10 wrong passwords, but not the owner elsewhere', async () => {
    const email = `erin-${randomBytes(4).toString('hex')}@example.com`;
    await core.users.create(tenantId, { email, password: 'correct horse battery staple' });
    for (let i = 0; i < 10; i++)
      await expectError(
        core.users.verifyCredentials(tenantId, email, 'wrong password', { ip: '192.0.2.9' }),
        'invalid_grant',
      );
    await expectError(
      core.users.verifyCredentials(tenantId, email.toUpperCase(), 'correct horse battery staple', { ip: '192.0.2.9' }),
      'rate_limited',
    );
    await expect(
      core.users.verifyCredentials(tenantId, email.toUpperCase(), 'correct horse battery staple', { ip: '192.0.2.10' }),
    ).resolves.toMatchObject({ email });
  });

  it('resets the count of an account after a correct password', async () => {
    const email = `frank-${randomBytes(4).toString('hex')}@example.com`;
    await core.users.create(tenantId, { email, password: 'correct horse battery staple' });
    for (let i = 0; i < 9; i++)
      await expectError(core.users.verifyCredentials(tenantId, email, 'wrong password'), 'invalid_grant');
    await core.users.verifyCredentials(tenantId, email, 'correct horse battery staple');
    for (let i = 0; i < 9; i++)
      await expectError(core.users.verifyCredentials(tenantId, email, 'wrong password'), 'invalid_grant');
    await expect(core.users.verifyCredentials(tenantId, email, 'correct horse battery staple')).resolves.toMatchObject({
      email,
    });
  });

  it('counts refusals in gatehouse_rate_limited_total', () => {
    expect(core.metrics.render()).toMatch(/gatehouse_rate_limited_total\{policy="client_auth"\} [1-9]/);
  });
});

describe('account-wide password limit: progressive delays, never a lock for the owner', () => {
  let gh: RunningGatehouse;
  const clock = createTestClock();
  const tenantId = `rl-${randomBytes(4).toString('hex')}`;
  const email = 'grace@example.com';
  const right = 'correct horse battery staple';
  beforeAll(async () => {
    gh = await startGatehouse({ storage: 'pglite', clock });
    await gh.core.tenants.create({ id: tenantId });
    await gh.core.users.create(tenantId, { email, password: right });
  });
  afterAll(async () => gh?.close());
  const attempt = (password: string, ip: string) => gh.core.users.verifyCredentials(tenantId, email, password, { ip });

  it('delays every address but the owner’s usual one once 20 wrong passwords hit the account', async () => {
    await expect(attempt(right, '192.0.2.100')).resolves.toMatchObject({ email });
    for (const ip of ['192.0.2.1', '192.0.2.2'])
      for (let i = 0; i < 10; i++) await expectError(attempt('wrong', ip), 'invalid_grant');
    // The 21st attempt is let through and claims the account's one-second slot.
    await expectError(attempt('wrong', '192.0.2.3'), 'invalid_grant');
    const delayed = await expectError(attempt(right, '192.0.2.4'), 'rate_limited');
    expect(retryAfterOf(delayed)).toBe(1);
    clock.advance(1000);
    // Each failure doubles the delay: the next slot is two seconds.
    await expectError(attempt('wrong', '192.0.2.5'), 'invalid_grant');
    expect(retryAfterOf(await expectError(attempt(right, '192.0.2.4'), 'rate_limited'))).toBe(2);
    // The owner's usual address is not delayed, and a right password ends the delay for everyone.
    await expect(attempt(right, '192.0.2.100')).resolves.toMatchObject({ email });
    await expect(attempt(right, '192.0.2.4')).resolves.toMatchObject({ email });

    await gh.core.audit.flush();
    const events = await gh.core.audit.list(tenantId);
    expect(events.filter((e) => e.type === 'account.throttled')).toMatchObject([
      { outcome: 'failure', ip: '192.0.2.2', details: { failures: 20 } },
    ]);
    // One refusal recorded per key and delay, newest first.
    expect(events.filter((e) => e.type === 'rate_limit.refused')).toMatchObject([
      { outcome: 'failure', ip: '192.0.2.4', details: { policy: 'password_account', retryAfterSeconds: 2 } },
      { outcome: 'failure', ip: '192.0.2.4', details: { policy: 'password_account', retryAfterSeconds: 1 } },
    ]);
    expect(JSON.stringify(events)).not.toContain(email);
  });
});
