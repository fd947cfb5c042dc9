/**
 * A small key-value store for what may be lost or shared across instances: caches (IdP discovery documents and
 * JWKS), cool-downs and rate-limit counters. `memory.ts` serves one process; `redis.ts` serves a fleet, and falls
 * back to a memory store of its own while Redis is away.
 * Nothing that must survive or that another instance must read back (users, flows, tokens, spent one-time tokens)
 * lives here: that is the SQL store's job.
 */
export interface KeyValueStore {
  /** The value, or undefined when absent or expired. */
  get(key: string): Promise<string | undefined>;
  /** Stores `value` for `ttlSeconds` (no expiry when omitted). */
  set(key: string, value: string, ttlSeconds?: number): Promise<void>;
  /** Stores only when absent; true when this call stored it (a replay guard). */
  setIfAbsent(key: string, value: string, ttlSeconds: number): Promise<boolean>;
  /** Adds 1 and returns the new count; the first increment sets the window's expiry. */
  increment(key: string, windowSeconds: number): Promise<number>;
  delete(key: string): Promise<void>;
  /**
   * Where calls are answered now: `memory` (this process only, no Redis configured), `redis` (shared by the fleet),
   * or `fallback` (Redis is configured but away: this process answers from its own memory until it is back).
   */
  status(): KeyValueStatus;
  /** Releases connections and timers. Safe to call twice. */
  close(): Promise<void>;
  /** The Redis side, when there is one: rate limiters run their own commands on it, guarded the same way. */
  readonly redis?: SharedRedis;
}

export type KeyValueStatus = 'memory' | 'redis' | 'fallback';

/** Redis behind a circuit breaker (see `redis.ts`). */
export interface SharedRedis {
  /** The ioredis client. Use it only inside `run`, so that its calls are bounded and counted. */
  readonly client: unknown;
  /**
   * Runs `call` against Redis, bounded by the call timeout, while the breaker is closed. When the breaker is open, or
   * when `call` fails or times out (a failure the breaker counts), answers `fallback()` instead: a caller never waits
   * on an absent Redis for longer than one call timeout, and never sees its errors.
   */
  run<T>(call: () => Promise<T>, fallback: () => Promise<T>): Promise<T>;
  /** Checks that Redis answers (a bounded PING through `run`); false at once while the breaker is open. */
  ping(): Promise<boolean>;
  /** The breaker's counters, for metrics. */
  stats(): RedisBreakerStats;
}

export interface RedisBreakerStats {
  readonly state: 'closed' | 'open' | 'half_open';
  /** Times the breaker opened (Redis judged away) since the start. */
  readonly opened: number;
  /** Times it closed again (Redis back). */
  readonly closed: number;
  /** Calls answered by the in-process fallback instead of Redis. */
  readonly fallbacks: number;
}
