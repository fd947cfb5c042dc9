import { type RateLimiterAbstract, RateLimiterMemory, RateLimiterRedis, RateLimiterRes } from 'rate-limiter-flexible';
import type { KeyValueStore } from '../../kv/kv.js';
import { sha256 } from '../../lib/crypto.js';
import { GatehouseError } from '../errors.js';
import type { RateLimitPolicy } from './policies.js';

/** What `GatehouseError('rate_limited')` carries in `details`: surfaces send it as `Retry-After` (seconds). */
export interface RateLimitedDetails {
  readonly retryAfterSeconds: number;
  readonly policy: string;
}

/**
 * Seconds to wait before retrying, when `error` is a rate-limit refusal, or an identity provider that was unavailable
 * and said when to come back (its `Retry-After`).
 */
export const retryAfterOf = (error: unknown): number | undefined => {
  if (!(error instanceof GatehouseError) || (error.code !== 'rate_limited' && error.code !== 'idp_unavailable'))
    return undefined;
  const seconds = error.details?.retryAfterSeconds;
  return typeof seconds === 'number' ? seconds : undefined;
};

export interface RateLimitDeps {
  readonly kv: KeyValueStore;
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

type Limiters = { readonly memory: RateLimiterAbstract; readonly redis?: RateLimiterAbstract };

/** A limiter's answer; a refusal (a rejection in `rate-limiter-flexible`) is a value, not a failure of the store. */
type Outcome<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly refusal: RateLimiterRes };

const settled = <T>(promise: Promise<T>): Promise<Outcome<T>> =>
  promise.then(
    (value) => ({ ok: true, value }),
    (error: unknown) => {
      if (error instanceof RateLimiterRes) return { ok: false, refusal: error };
      throw error;
    },
  );

/**
 * Rate limits on `rate-limiter-flexible`: in Redis when the key-value store has Redis (every instance of a fleet
 * counts against the same limits), in memory otherwise. Each Redis call goes through the store's circuit breaker, and
 * while Redis is away (failing, slow past the call timeout, or judged away by the breaker) each instance counts in its
 * own memory instead: limits stay enforced per instance, and no sign-in waits on Redis or fails because of it. Keys
 * are hashed before they reach Redis.
 */
export const createRateLimit = (deps: RateLimitDeps) => {
  const shared = deps.kv.redis;
  const limiters = new Map<string, Limiters>();

  const limitersOf = (policy: RateLimitPolicy): Limiters => {
    let found = limiters.get(policy.name);
    if (found === undefined) {
      const options = { points: policy.points, duration: policy.durationSeconds, keyPrefix: `rl:${policy.name}` };
      const memory = new RateLimiterMemory(options);
      found =
        shared === undefined
          ? { memory }
          : {
              memory,
              redis: new RateLimiterRedis({
                ...options,
                keyPrefix: `gatehouse:rl:${policy.name}`,
                storeClient: shared.client,
              }),
            };
      limiters.set(policy.name, found);
    }
    return found;
  };

  /** Runs `operation` on the Redis limiter through the breaker, or on the memory one while Redis is away. */
  const on = <T>(policy: RateLimitPolicy, operation: (limiter: RateLimiterAbstract) => Promise<T>) => {
    const { memory, redis } = limitersOf(policy);
    return shared === undefined || redis === undefined
      ? settled(operation(memory))
      : shared.run(
          () => settled(operation(redis)),
          () => settled(operation(memory)),
        );
  };

  // Hashing keeps emails and addresses out of Redis; in memory they never leave the process, and the digest would
  // cost more than the lookup it guards (~2 µs against ~0.5 µs on every client authentication).
  const keyOf = shared === undefined ? (key: string) => key : (key: string) => sha256(key).slice(0, 32);

  const refuse = (policy: RateLimitPolicy, msBeforeNext: number): never => {
    deps.onLimited?.(policy);
    throw refusal(policy, msBeforeNext);
  };

  return {
    /** Where the counters live: shared by every instance (`redis`) or per process (`memory`). */
    store: shared === undefined ? ('memory' as const) : ('redis' as const),

    /**
     * Counts one attempt against `key`.
     * @throws GatehouseError `rate_limited` (details: {@link RateLimitedDetails}) past `policy.points` in the window.
     */
    consume: async (key: string, policy: RateLimitPolicy): Promise<void> => {
      const outcome = await on(policy, (limiter) => limiter.consume(keyOf(key)));
      if (!outcome.ok) refuse(policy, outcome.refusal.msBeforeNext);
    },

    /**
     * Refuses when `key` has already used up its points in the window; counts nothing (check before the work,
     * `penalize` after a failure).
     * @throws GatehouseError `rate_limited`
     */
    check: async (key: string, policy: RateLimitPolicy): Promise<void> => {
      const outcome = await on(policy, (limiter) => limiter.get(keyOf(key)));
      const state = outcome.ok ? outcome.value : null;
      if (state !== null && state.consumedPoints >= policy.points) refuse(policy, state.msBeforeNext);
    },

    /** Counts one failure against `key` without refusing (the next `check` does). */
    penalize: async (key: string, policy: RateLimitPolicy): Promise<void> => {
      await on(policy, (limiter) => limiter.penalty(keyOf(key)));
    },

    /**
     * Gives back one point consumed for an attempt that turned out well (a failure-only limit that consumes before
     * the work, so parallel attempts cannot overrun it). Best effort, like `penalize`.
     */
    refund: async (key: string, policy: RateLimitPolicy): Promise<void> => {
      await on(policy, (limiter) => limiter.reward(keyOf(key), 1));
    },

    /** Forgets `key`'s count (after a successful sign-in). */
    reset: async (key: string, policy: RateLimitPolicy): Promise<void> => {
      await on(policy, (limiter) => limiter.delete(keyOf(key)));
    },
  };
};

export type RateLimit = ReturnType<typeof createRateLimit>;

/**
 * `rateLimit` with `onLimited` called with the policy's name once per refusal (metrics): the limiter is built where the
 * process is composed, and the core counts what it refuses.
 */
export const observeRefusals = (rateLimit: RateLimit, onLimited: (policy: string) => void): RateLimit => {
  const refused = (error: unknown): never => {
    if (error instanceof GatehouseError && error.code === 'rate_limited') {
      const policy = error.details?.policy;
      if (typeof policy === 'string') onLimited(policy);
    }
    throw error;
  };
  return {
    ...rateLimit,
    consume: (key, policy) => rateLimit.consume(key, policy).catch(refused),
    check: (key, policy) => rateLimit.check(key, policy).catch(refused),
  };
};
