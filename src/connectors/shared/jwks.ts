import { PublicKeySet } from '../../lib/jws/index.js';
import type { ConnectorDeps } from '../connector.js';
import { ConnectorError } from '../errors.js';
import { cachedDocument, dropDocument, type FetchedDocument, refreshDocument } from './cached-document.js';
import { asRecord, upstreamJson } from './http.js';

/** How long a JWKS is trusted before it is fetched again, unless the IdP's `Cache-Control` says less. */
export const jwksTtlSeconds = 3600;
/** After a refetch forced by an unknown `kid`, no other forced refetch of the same JWKS for this long. */
export const jwksRefetchCooldownSeconds = 30;

const cacheKey = (jwksUri: string) => `connectors:jwks:${jwksUri}`;

// Imported key sets by the exact JWKS text they were built from (content-addressed, so shared safely), so that a
// verification does not re-import the IdP's keys every time.
const keySets = new Map<string, PublicKeySet>();
const maxKeySets = 256;

const keySetOf = (text: string): PublicKeySet => {
  let set = keySets.get(text);
  if (set === undefined) {
    const parsed = JSON.parse(text) as { keys?: unknown };
    if (!Array.isArray(parsed.keys)) throw new TypeError('not a JSON Web Key Set');
    set = new PublicKeySet({ keys: parsed.keys });
    keySets.set(text, set);
    if (keySets.size > maxKeySets) keySets.delete(keySets.keys().next().value ?? text);
  }
  return set;
};

/**
 * The IdP's key set, from `deps.cache` when fresh, else fetched (with `deps.fetch` and the timeout; one request
 * however many sign-ins wait for it) and cached; a stale copy is used while the IdP cannot answer.
 */
export const loadJwks = async (deps: ConnectorDeps, connectorId: string, jwksUri: string): Promise<PublicKeySet> => {
  const text = await cachedDocument(deps, cacheKey(jwksUri), () => fetchJwks(deps, connectorId, jwksUri));
  try {
    return keySetOf(text);
  } catch {
    await dropDocument(deps, cacheKey(jwksUri));
    return keySetOf(await refreshDocument(deps, cacheKey(jwksUri), () => fetchJwks(deps, connectorId, jwksUri)));
  }
};

/**
 * Fetches the key set again because a token names a `kid` the cached set lacks (the IdP rotated its keys).
 * Returns undefined while the cooldown of a previous forced refetch runs, so a stream of tokens with made-up
 * `kid`s cannot turn into a stream of requests to the IdP.
 */
export const refetchJwks = async (
  deps: ConnectorDeps,
  connectorId: string,
  jwksUri: string,
): Promise<PublicKeySet | undefined> => {
  const first = await deps.cache.setIfAbsent(`connectors:jwks-refetch:${jwksUri}`, '1', jwksRefetchCooldownSeconds);
  if (!first) {
    deps.log.debug({ connectorId, jwksUri }, 'jwks.refetch_suppressed');
    return undefined;
  }
  deps.log.info({ connectorId, jwksUri }, 'jwks.refetched');
  // The stale copy is the set that lacks the token's key: an IdP that cannot answer now is reported as such.
  return keySetOf(await refreshDocument(deps, cacheKey(jwksUri), () => fetchJwks(deps, connectorId, jwksUri), false));
};

/** Fetches the JWKS and returns its text (keys only) and how long it is fresh. */
const fetchJwks = async (deps: ConnectorDeps, connectorId: string, jwksUri: string): Promise<FetchedDocument> => {
  const response = await upstreamJson(deps, { connectorId, step: 'jwks' }, jwksUri);
  const body = asRecord(response.body);
  if (response.status !== 200 || body === undefined || !Array.isArray(body.keys)) {
    throw new ConnectorError('idp_unavailable', 'jwks', 'the JWKS endpoint did not return a key set', {
      upstreamStatus: response.status,
    });
  }
  const text = JSON.stringify({ keys: body.keys.filter((key) => asRecord(key) !== undefined) });
  return { text, ttlSeconds: ttlFrom(response.headers) };
};

const ttlFrom = (headers: Headers): number => {
  const maxAge = /max-age=(\d+)/i.exec(headers.get('cache-control') ?? '')?.[1];
  if (maxAge === undefined) return jwksTtlSeconds;
  return Math.min(jwksTtlSeconds, Math.max(60, Number(maxAge)));
};
