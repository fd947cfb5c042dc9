import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { KeyValueStore } from '../../src/kv/kv.js';
import { createRedisKv } from '../../src/kv/redis.js';
import { startRedis, type TestRedis } from '../harness/redis.js';

/** Fails when `promise` has not settled within 1.5 s: a call that waits on a sleeping Redis fails the test. */
const bounded = <T>(promise: Promise<T>): Promise<T> =>
  Promise.race([
    promise,
    new Promise<never>((_, reject) => setTimeout(() => reject(new Error('the call waited on Redis')), 1500).unref()),
  ]);

const eventually = async (check: () => Promise<boolean> | boolean, what: string): Promise<void> => {
  const until = Date.now() + 20_000;
  while (!(await check())) {
    if (Date.now() > until) throw new Error(`${what}: not met in time`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
};

describe('createRedisKv while its Redis sleeps (DEBUG SLEEP)', () => {
  let redis: TestRedis;
  let kv: KeyValueStore;

  beforeAll(async () => {
    redis = await startRedis();
    kv = createRedisKv(redis.url, { callTimeoutMs: 100 });
    await eventually(async () => (await kv.redis?.ping()) === true, 'connected');
  });
  afterAll(async () => {
    await kv?.close();
    await redis?.close();
  });

  it('answers every call from this process while Redis sleeps, then uses Redis again by itself', async () => {
    await kv.set('before', 'shared', 60);
    expect(await redis.command('GET gatehouse:before')).toBe('$6');
    await redis.sleep(3);

    // The first calls time out and open the breaker; from then on memory answers at once.
    for (let i = 0; i < 3; i++) expect(await bounded(kv.get('before'))).toBeUndefined();
    expect(kv.status()).toBe('fallback');
    expect(kv.redis?.stats()).toMatchObject({ state: 'open', opened: 1 });
    expect(await bounded(kv.redis?.ping() ?? Promise.resolve(true))).toBe(false);

    // Within this instance the replay guard and the counters still hold.
    expect(await bounded(kv.setIfAbsent('once', '1', 60))).toBe(true);
    expect(await bounded(kv.setIfAbsent('once', '1', 60))).toBe(false);
    expect(await bounded(kv.increment('attempts', 60))).toBe(1);
    expect(await bounded(kv.increment('attempts', 60))).toBe(2);
    await bounded(kv.set('during', 'local', 60));
    expect(await bounded(kv.get('during'))).toBe('local');
    await bounded(kv.delete('during'));
    expect(await bounded(kv.get('during'))).toBeUndefined();

    await eventually(() => kv.status() === 'redis', 'Redis in use again');
    expect(kv.redis?.stats()).toMatchObject({ state: 'closed', opened: 1, closed: 1 });
    expect(await kv.get('before')).toBe('shared');
    expect(await kv.increment('after', 60)).toBe(1);
    expect(await redis.command('GET gatehouse:after')).toBe('$1');
  });
});
