import { createHash } from 'node:crypto';
import type { ConnectorDeps } from '../connector.js';

/**
 * How long a successful opaque access-token check (Facebook `debug_token` + `/me`, GitHub's token check + `/user`)
 * is reused, never past the token's own expiry. A token revoked upstream keeps working here for at most this long.
 */
export const tokenResultTtlSeconds = 60;

/** A verified result and, when the IdP said, when the token it was computed from expires (epoch seconds). */
export interface TokenCheck<T> {
  readonly value: T;
  readonly expiresAt?: number | undefined;
}

/**
 * Returns the cached result of checking `token` for `app`, or runs `check` and caches its result. Only successes are
 * cached (a throw caches nothing), under the token's SHA-256, so the cache never holds a usable token.
 */
export const withTokenCache = async <T>(
  deps: ConnectorDeps,
  namespace: string,
  app: string,
  token: string,
  check: () => Promise<TokenCheck<T>>,
): Promise<T> => {
  const key = `connectors:${namespace}:token:${app}:${createHash('sha256').update(token).digest('base64url')}`;
  const cached = await deps.cache.get(key);
  if (cached !== undefined) return JSON.parse(cached) as T;
  const result = await check();
  const now = Math.floor(deps.clock.now().getTime() / 1000);
  const ttl = Math.min(
    tokenResultTtlSeconds,
    result.expiresAt === undefined ? Number.POSITIVE_INFINITY : result.expiresAt - now,
  );
  if (ttl >= 1) await deps.cache.set(key, JSON.stringify(result.value), ttl);
  return result.value;
};
