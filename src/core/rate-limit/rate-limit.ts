import type { Redis } from 'ioredis';
import { type RateLimiterAbstract, RateLimiterMemory, RateLimiterRedis, RateLimiterRes } from 'rate-limiter-flexible';
import { sha256 } from '../../lib/crypto.js';
import type { CoreDeps } from '../deps.js';
import { GatehouseError } from '../errors.js';
import type { RateLimitPolicy } from './policies.js';

/** What `GatehouseError('rate_limited')` carries in `details`: surfaces send it as `Retry-After` (seconds). */
export interface RateLimitedDetails {
  readonly retryAfterSeconds: number;
  readonly policy: string;
}

/** Seconds to wait before retrying, when `error` is a rate-limit refusal. */
export const retryAfterOf = (error: unknown): number | undefined => {
  if (!(error instanceof GatehouseError) || error.code !== 'rate_limited') return undefined;
  const seconds = error.details?.retryAfterSeconds;
  return typeof seconds === 'number' ? seconds : undefined;
};

export interface RateLimitDeps {
  readonly kv: CoreDeps['kv'];
  readonly log: CoreDeps['log'];
  /** Called once per refusal (metrics). */
  readonly onLimited?: (policy: RateLimitPolicy) => void;
}

/** The `rate_limited` error of `policy`, with the seconds to wait in its details. */
export const refusal = (policy: Pick<RateLimitPolicy, 'name'>, msBeforeNext: number): GatehouseError => {
  const retryAfterSeconds = Math.max(1, Math.ceil(msBeforeNext / 1000));
  return new GatehouseError('rate_limited', `too many attempts; retry after ${retryAfterSeconds} s`, {
    details: { retryAfterSeconds, policy: policy.name } satisfies RateLimitedDetails,
  });
};

/**
 * Rate limits on `rate-limiter-flexible`: in Redis when the key-value store is Redis (every instance of a fleet
 * counts against the same limits), in memory otherwise. If Redis stops answering, each instance falls back to its own
 * memory counters rather than failing or letting everything through. Keys are hashed before they reach Redis.
 */
export const createRateLimit = (deps: RateLimitDeps) => {
  const redis = deps.kv.redis as Redis | undefined;
  const limiters = new Map<string, RateLimiterAbstract>();

  const limiterOf = (policy: RateLimitPolicy): RateLimiterAbstract => {
    let limiter = limiters.get(policy.name);
    if (limiter === undefined) {
      const options = { points: policy.points, duration: policy.durationSeconds, keyPrefix: `rl:${policy.name}` };
      const memory = new RateLimiterMemory(options);
      limiter =
        redis === undefined
          ? memory
          : new RateLimiterRedis({
              ...options,
              keyPrefix: `gatehouse:rl:${policy.name}`,
              storeClient: redis,
              insuranceLimiter: memory,
            });
      limiters.set(policy.name, limiter);
    }
    return limiter;
  };

  // Hashing keeps emails and addresses out of Redis; in memory they never leave the process, and the digest would
  // cost more than the lookup it guards (~2 µs against ~0.5 µs on every client authentication).
  const keyOf = redis === undefined ? (key: string) => key : (key: string) => sha256(key).slice(0, 32);

  const refuse = (policy: RateLimitPolicy, msBeforeNext: number): never => {
    deps.onLimited?.(policy);
    throw refusal(policy, msBeforeNext);
  };

  return {
    /** Where the counters live: shared by every instance (`redis`) or per process (`memory`). */
    store: redis === undefined ? ('memory' as const) : ('redis' as const),

    /**
     * Counts one attempt against `key`.
     * @throws GatehouseError `rate_limited` (details: {@link RateLimitedDetails}) past `policy.points` in the window.
     */
    consume: async (key: string, policy: RateLimitPolicy): Promise<void> => {
      try {
        await limiterOf(policy).consume(keyOf(key));
      } catch (error) {
        if (error instanceof RateLimiterRes) refuse(policy, error.msBeforeNext);
        throw error;
      }
    },

    /**
     * Refuses when `key` has already used up its points in the window; counts nothing (check before the work,
     * `penalize` after a failure).
     * @throws GatehouseError `rate_limited`
     */
    check: async (key: string, policy: RateLimitPolicy): Promise<void> => {
      const state = await limiterOf(policy).get(keyOf(key));
      if (state !== null && state.consumedPoints >= policy.points) refuse(policy, state.msBeforeNext);
    },

    /** Counts one failure against `key` without refusing (the next `check` does). */
    penalize: async (key: string, policy: RateLimitPolicy): Promise<void> => {
      try {
        await limiterOf(policy).penalty(keyOf(key));
      } catch (error) {
        // Counting is best effort: an unreachable store must not turn a failed sign-in into a server error.
        deps.log.warn({ err: error, policy: policy.name }, 'rate_limit.store_failed');
      }
    },

    /**
     * Gives back one point consumed for an attempt that turned out well (a failure-only limit that consumes before
     * the work, so parallel attempts cannot overrun it). Best effort, like `penalize`.
     */
    refund: async (key: string, policy: RateLimitPolicy): Promise<void> => {
      try {
        await limiterOf(policy).reward(keyOf(key), 1);
      } catch (error) {
        deps.log.warn({ err: error, policy: policy.name }, 'rate_limit.store_failed');
      }
    },

    /** Forgets `key`'s count (after a successful sign-in). */
    reset: async (key: string, policy: RateLimitPolicy): Promise<void> => {
      try {
        await limiterOf(policy).delete(keyOf(key));
      } catch (error) {
        deps.log.warn({ err: error, policy: policy.name }, 'rate_limit.store_failed');
      }
    },
  };
};

export type RateLimit = ReturnType<typeof createRateLimit>;
