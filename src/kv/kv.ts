/**
 * A small key-value store for what may be lost or shared across instances: caches (IdP discovery documents and
 * JWKS), replay guards and counters. `memory.ts` serves one process; `redis.ts` serves a fleet.
 * Nothing that must survive (users, flows, tokens) lives here: that is the SQL store's job.
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
  /** Releases connections. */
  close(): Promise<void>;
  /** The underlying Redis client, when there is one (rate limiters share it). */
  readonly redis?: unknown;
}
