import { Redis } from 'ioredis';
import type { Logger } from '../lib/logger.js';
import { createCircuitBreaker } from './breaker.js';
import type { KeyValueStore, SharedRedis } from './kv.js';
import { createMemoryKv } from './memory.js';

/** The longest one Redis call may take before the fallback answers it, unless configured (`redisTimeoutMs`). */
export const defaultRedisTimeoutMs = 200;

/** Failed calls in a row after which Redis is judged away. */
const failureThreshold = 3;
/** While Redis is judged away, how often a PING checks whether it is back. */
const probeEveryMs = 1000;

export interface RedisKvOptions {
  /** Prefix of every key, so one Redis can serve many deployments. */
  readonly prefix?: string;
  /** The longest one call may take, in milliseconds (default {@link defaultRedisTimeoutMs}). */
  readonly callTimeoutMs?: number;
  /** Answers while Redis is away (default: a memory store of this process). */
  readonly fallback?: KeyValueStore;
  /** Where the breaker's changes are logged (`redis.breaker_opened`, `redis.breaker_closed`). */
  readonly log?: Logger;
}

const reasonOf = (error: unknown): string => (error instanceof Error ? error.message : 'the call failed');

/**
 * Redis-backed store shared by every instance of a fleet, used as an accelerator: every call is bounded by
 * `callTimeoutMs`, nothing queues while the connection is down, and a circuit breaker stops calling Redis after
 * {@link failureThreshold} failures in a row (or at once when the connection closes). While it is open, and before
 * the first connection is ready, this instance answers from its own memory (`fallback`); an open breaker probes Redis
 * every second in the background and closes when Redis answers again (or its connection is ready again), without a
 * restart.
 */
export const createRedisKv = (url: string, options: RedisKvOptions = {}): KeyValueStore => {
  const timeoutMs = options.callTimeoutMs ?? defaultRedisTimeoutMs;
  const prefix = options.prefix ?? 'gatehouse:';
  const fallback = options.fallback ?? createMemoryKv();
  const client = new Redis(url, {
    lazyConnect: false,
    // A command sent while disconnected fails at once instead of waiting in a queue for the connection.
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    commandTimeout: timeoutMs,
    connectTimeout: Math.max(1000, timeoutMs * 5),
    retryStrategy: (attempt) => Math.min(attempt * 100, 1000),
  });
  let closing = false;
  const counts = { opened: 0, closed: 0, fallbacks: 0 };

  const bounded = <T>(promise: Promise<T>): Promise<T> =>
    new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
      promise.then(
        (value) => {
          clearTimeout(timer);
          resolve(value);
        },
        (error: unknown) => {
          clearTimeout(timer);
          reject(error);
        },
      );
    });

  const breaker = createCircuitBreaker({
    failureThreshold,
    retryMs: probeEveryMs,
    probe: () => bounded(client.ping()),
    onChange: (state, reason) => {
      if (state === 'open') {
        counts.opened += 1;
        options.log?.warn({ reason, timeoutMs }, 'redis.breaker_opened');
      } else {
        counts.closed += 1;
        options.log?.info({ reason }, 'redis.breaker_closed');
      }
    },
  });
  // Connection errors are the breaker's business; the event itself must not crash the process.
  client.on('error', () => {});
  client.on('close', () => {
    if (!closing) breaker.trip('the connection to Redis closed');
  });
  client.on('ready', () => breaker.reset('the connection to Redis is ready'));

  // Not connected (starting, or reconnecting after the connection closed, which opened the breaker): memory answers.
  const usable = () => !closing && breaker.allows() && client.status === 'ready';

  const run: SharedRedis['run'] = async (call, otherwise) => {
    if (!usable()) {
      counts.fallbacks += 1;
      return otherwise();
    }
    try {
      const result = await bounded(call());
      breaker.succeeded();
      return result;
    } catch (error) {
      breaker.failed(reasonOf(error));
      counts.fallbacks += 1;
      return otherwise();
    }
  };

  const k = (key: string) => prefix + key;
  const seconds = (ttl: number) => Math.max(1, Math.ceil(ttl));
  return {
    redis: {
      client,
      run,
      ping: () =>
        run(
          async () => (await client.ping()) === 'PONG',
          async () => false,
        ),
      stats: () => ({ state: breaker.state(), ...counts }),
    },
    status: () => (usable() ? 'redis' : 'fallback'),
    get: (key) =>
      run(
        async () => (await client.get(k(key))) ?? undefined,
        () => fallback.get(key),
      ),
    set: (key, value, ttlSeconds) =>
      run(
        async () => {
          if (ttlSeconds === undefined) await client.set(k(key), value);
          else await client.set(k(key), value, 'EX', seconds(ttlSeconds));
        },
        () => fallback.set(key, value, ttlSeconds),
      ),
    setIfAbsent: (key, value, ttlSeconds) =>
      run(
        async () => (await client.set(k(key), value, 'EX', seconds(ttlSeconds), 'NX')) === 'OK',
        () => fallback.setIfAbsent(key, value, ttlSeconds),
      ),
    increment: (key, windowSeconds) =>
      run(
        async () => {
          const replies = await client.multi().incr(k(key)).expire(k(key), seconds(windowSeconds), 'NX').exec();
          const [error, count] = replies?.[0] ?? [new Error('the transaction was discarded')];
          if (error !== null) throw error;
          return Number(count);
        },
        () => fallback.increment(key, windowSeconds),
      ),
    delete: (key) =>
      run(
        async () => {
          await client.del(k(key));
        },
        () => fallback.delete(key),
      ),
    close: async () => {
      closing = true;
      breaker.stop();
      client.disconnect();
      await fallback.close();
    },
  };
};
