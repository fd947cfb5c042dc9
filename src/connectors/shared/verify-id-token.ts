import type { JWTPayload } from 'jose';
import { GatehouseError } from '../../core/errors.js';
import {
  checkJwsWithKeySet,
  checkJwtClaims,
  type DecodedJws,
  decodeJws,
  JwsError,
  JwtClaimError,
  requireAllowedAlgorithm,
  supportedAlgorithms,
} from '../../lib/jws.js';
import type { ConnectorDeps } from '../connector.js';
import { loadJwks, refetchJwks } from './jwks.js';

/** What an ID token must satisfy. Everything is required unless marked otherwise: the check fails closed. */
export interface IdTokenExpectations {
  readonly connectorId: string;
  /**
   * The issuer: exact string(s), or a predicate for IdPs whose issuer is templated per user (Microsoft's
   * `{tenantid}`). The predicate sees signature-verified claims only.
   */
  readonly issuer: string | readonly string[] | ((iss: string, claims: JWTPayload) => boolean);
  readonly jwksUri: string;
  /** Client ids the token may be issued to: `aud` must contain one, and `azp`, when present, must be one. */
  readonly audiences: readonly string[];
  /** Asymmetric algorithms the IdP signs with. Never `none`, never HMAC. Default `['RS256']`. */
  readonly algorithms?: readonly string[];
  /** The `nonce` the ID token must carry (OIDC Core §3.1.3.7 (11)). Omit when none was bound. */
  readonly nonce?: string;
  /**
   * `required` (default): when `nonce` is given the claim must be present and equal. `if_present`: only for IdPs
   * known not to echo it (LinkedIn), where the code exchange over TLS with the client secret already binds the token.
   */
  readonly nonceMode?: 'required' | 'if_present';
}

/** Claims of a verified ID token, with the ones every caller relies on narrowed. */
export type VerifiedClaims = JWTPayload & { readonly iss: string; readonly sub: string };

/** Leeway for `exp`/`iat`/`nbf` against `deps.clock`, for clock drift between us and the IdP. */
export const clockSkewSeconds = 60;

/**
 * An ID token lives minutes to hours (Google, Microsoft: 1 h; Apple: 10 min). One issued longer ago than this, or
 * valid for longer than this from now, is refused whatever its `exp` says: a token kept or minted for the long run is
 * not a fresh sign-in (OIDC Core §3.1.3.7 (10) lets the client bound `iat`).
 */
export const maxIdTokenAgeSeconds = 24 * 60 * 60;

/** OIDC Core §2: `sub` must not exceed 255 ASCII characters. */
const maxSubjectLength = 255;

/**
 * The single, fail-closed ID-token verifier. Signature against the IdP's JWKS (cached in `deps.cache`, refetched
 * once on an unknown `kid`), then issuer, audience, authorized party, expiry, issued-at and nonce, with time from
 * `deps.clock`.
 * @throws GatehouseError `idp_token_invalid` (malformed, bad signature, wrong issuer, expired, nonce mismatch),
 *   `idp_wrong_audience` (issued to another client); UpstreamError when the JWKS cannot be fetched.
 */
export const verifyIdToken = async (
  deps: ConnectorDeps,
  token: string,
  expect: IdTokenExpectations,
): Promise<VerifiedClaims> => {
  const algorithms = (expect.algorithms ?? ['RS256']).filter((alg) => supportedAlgorithms.has(alg));
  if (algorithms.length === 0) throw new TypeError(`${expect.connectorId}: no asymmetric ID token algorithm allowed`);
  let jws: DecodedJws;
  try {
    jws = decodeJws(token);
    await verifySignature(deps, expect, token, jws, algorithms);
    checkJwtClaims(jws.payload, {
      now: deps.clock.now(),
      toleranceSeconds: clockSkewSeconds,
      required: ['iss', 'sub', 'aud', 'exp', 'iat'],
    });
  } catch (error) {
    if (error instanceof JwsError || error instanceof JwtClaimError)
      throw new GatehouseError('idp_token_invalid', describe(error), { cause: error });
    throw error;
  }
  return checkClaims(deps, jws.payload as JWTPayload, expect);
};

/**
 * Signature against the IdP's JWKS; no key for the token's header fetches the set again (the IdP may have rotated its
 * keys), at most once per cooldown, so that made-up `kid`s cannot turn into a stream of requests to the IdP.
 */
const verifySignature = async (
  deps: ConnectorDeps,
  expect: IdTokenExpectations,
  token: string,
  jws: DecodedJws,
  algorithms: readonly string[],
): Promise<void> => {
  // An algorithm we would refuse anyway costs no JWKS fetch.
  requireAllowedAlgorithm(jws, algorithms);
  try {
    await checkJwsWithKeySet(token, jws, algorithms, await loadJwks(deps, expect.connectorId, expect.jwksUri));
  } catch (error) {
    if (!(error instanceof JwsError && error.reason === 'no_key')) throw error;
    const fresh = await refetchJwks(deps, expect.connectorId, expect.jwksUri);
    if (fresh === undefined) throw error;
    await checkJwsWithKeySet(token, jws, algorithms, fresh);
  }
};

const checkClaims = (deps: ConnectorDeps, claims: JWTPayload, expect: IdTokenExpectations): VerifiedClaims => {
  const { iss, sub } = claims;
  if (typeof iss !== 'string' || typeof sub !== 'string' || sub.length === 0) {
    throw new GatehouseError('idp_token_invalid', 'the ID token has no issuer or subject');
  }
  if (sub.length > maxSubjectLength || !/^[\x21-\x7e]+$/.test(sub)) {
    throw new GatehouseError('idp_token_invalid', 'the ID token subject is not an identifier');
  }
  // OIDC Core §3.1.3.7 (2): iss must exactly match the issuer identifier.
  if (!issuerMatches(expect.issuer, iss, claims)) {
    throw new GatehouseError('idp_token_invalid', 'the ID token was issued by an unexpected issuer');
  }
  // OIDC Core §3.1.3.7 (3): aud must contain a client id of ours, and a token that also names an audience we do not
  // trust is refused (the spec's "or if it contains additional audiences not trusted by the Client").
  const aud = typeof claims.aud === 'string' ? [claims.aud] : (claims.aud ?? []);
  if (aud.length === 0 || !aud.every((value) => expect.audiences.includes(value))) {
    throw new GatehouseError('idp_wrong_audience', 'the ID token was issued to another application');
  }
  // OIDC Core §3.1.3.7 (4)-(5): with several audiences azp is required; when present, it must be a client id of ours.
  if (aud.length > 1 && claims.azp === undefined) {
    throw new GatehouseError('idp_wrong_audience', 'the ID token has several audiences and no authorized party');
  }
  if (claims.azp !== undefined && (typeof claims.azp !== 'string' || !expect.audiences.includes(claims.azp))) {
    throw new GatehouseError('idp_wrong_audience', 'the ID token was authorized for another application');
  }
  const now = Math.floor(deps.clock.now().getTime() / 1000);
  if (typeof claims.iat !== 'number' || claims.iat > now + clockSkewSeconds) {
    throw new GatehouseError('idp_token_invalid', 'the ID token is issued in the future');
  }
  if (claims.iat < now - maxIdTokenAgeSeconds - clockSkewSeconds) {
    throw new GatehouseError('idp_token_invalid', 'the ID token was issued too long ago');
  }
  if (typeof claims.exp !== 'number' || claims.exp > now + maxIdTokenAgeSeconds + clockSkewSeconds) {
    throw new GatehouseError('idp_token_invalid', 'the ID token is valid for too long');
  }
  if (expect.nonce !== undefined) {
    const mode = expect.nonceMode ?? 'required';
    const present = claims.nonce !== undefined;
    // OIDC Core §3.1.3.7 (11): the nonce sent must come back unchanged.
    if ((mode === 'required' || present) && claims.nonce !== expect.nonce) {
      throw new GatehouseError('idp_token_invalid', 'the ID token nonce does not match');
    }
  }
  return claims as VerifiedClaims;
};

const issuerMatches = (expected: IdTokenExpectations['issuer'], iss: string, claims: JWTPayload): boolean => {
  if (typeof expected === 'function') return expected(iss, claims);
  if (typeof expected === 'string') return iss === expected;
  return expected.includes(iss);
};

const describe = (error: JwsError | JwtClaimError): string => {
  if (error instanceof JwtClaimError)
    return error.reason === 'expired' ? 'the ID token has expired' : `the ID token claim "${error.claim}" is invalid`;
  switch (error.reason) {
    case 'signature':
      return 'the ID token signature is invalid';
    case 'no_key':
      return 'the ID token is signed with an unknown key';
    case 'algorithm':
      return 'the ID token is signed with a disallowed algorithm';
    default:
      return 'the ID token is malformed';
  }
};
