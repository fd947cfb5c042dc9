import type { ConnectorDeps } from '../connector.js';
import { ConnectorError } from '../errors.js';

/** How long a document (JWKS, discovery) is still used after its freshness ran out, while the IdP cannot answer. */
export const staleIfErrorSeconds = 24 * 60 * 60;

/** A fetched document's text and how long it is fresh. */
export interface FetchedDocument {
  readonly text: string;
  readonly ttlSeconds: number;
}

const inFlight = new Map<string, Promise<string>>();

/**
 * Fetches `key`'s document once however many callers ask at the same time (single flight, per instance), caches it
 * fresh for its TTL and as a stale copy for `staleIfErrorSeconds` (RFC 5861's stale-if-error): when the IdP is
 * unreachable or rate limiting, the stale copy is served instead of failing every sign-in.
 * @throws ConnectorError from `fetch` when there is no stale copy.
 */
export const refreshDocument = (
  deps: ConnectorDeps,
  key: string,
  fetch: () => Promise<FetchedDocument>,
  /** False when the stale copy is known not to do (a JWKS refetched because it lacks a token's key). */
  staleIfError = true,
): Promise<string> => {
  const running = inFlight.get(key);
  if (running !== undefined) return running;
  const flight = (async () => {
    try {
      const { text, ttlSeconds } = await fetch();
      await deps.cache.set(`${key}:fresh`, text, ttlSeconds);
      await deps.cache.set(`${key}:stale`, text, staleIfErrorSeconds);
      return text;
    } catch (error) {
      const recoverable =
        staleIfError &&
        error instanceof ConnectorError &&
        (error.code === 'idp_unavailable' || error.code === 'rate_limited');
      const stale = recoverable ? await deps.cache.get(`${key}:stale`) : undefined;
      if (stale === undefined) throw error;
      deps.log.warn({ key, code: (error as ConnectorError).code }, 'connector.stale_document_served');
      return stale;
    } finally {
      inFlight.delete(key);
    }
  })();
  inFlight.set(key, flight);
  return flight;
};

/** The cached fresh document, or a refreshed one (`refreshDocument`). */
export const cachedDocument = async (
  deps: ConnectorDeps,
  key: string,
  fetch: () => Promise<FetchedDocument>,
): Promise<string> => (await deps.cache.get(`${key}:fresh`)) ?? refreshDocument(deps, key, fetch);

/** Forgets the fresh copy of `key` (it could not be used); the stale copy stays for stale-if-error. */
export const dropDocument = (deps: ConnectorDeps, key: string): Promise<void> => deps.cache.delete(`${key}:fresh`);
