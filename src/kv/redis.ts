import { Redis } from 'ioredis';
import type { KeyValueStore } from './kv.js';

/** Redis-backed store shared by every instance of a fleet. Keys are prefixed so one Redis can serve many deployments. */
export const createRedisKv = (url: string, prefix = 'gatehouse:'): KeyValueStore => {
  const redis = new Redis(url, { lazyConnect: false, maxRetriesPerRequest: 2, enableOfflineQueue: true });
  // Connection errors surface on the calls that need Redis; the event itself must not crash the process.
  redis.on('error', () => {});
  const k = (key: string) => prefix + key;
  return {
    redis,
    get: async (key) => (await redis.get(k(key))) ?? undefined,
    set: async (key, value, ttlSeconds) => {
      if (ttlSeconds === undefined) await redis.set(k(key), value);
      else await redis.set(k(key), value, 'EX', Math.max(1, Math.ceil(ttlSeconds)));
    },
    setIfAbsent: async (key, value, ttlSeconds) =>
      (await redis.set(k(key), value, 'EX', Math.max(1, Math.ceil(ttlSeconds)), 'NX')) === 'OK',
    increment: async (key, windowSeconds) => {
      const [[, count] = []] = (await redis
        .multi()
        .incr(k(key))
        .expire(k(key), Math.max(1, Math.ceil(windowSeconds)), 'NX')
        .exec()) ?? [[]];
      return Number(count);
    },
    delete: async (key) => {
      await redis.del(k(key));
    },
    close: async () => {
      redis.disconnect();
    },
  };
};
