import type { JWTPayload } from 'jose';
import {
  checkJwsWithKeySet,
  checkJwtClaims,
  type DecodedJws,
  decodeJws,
  JwsError,
  JwtClaimError,
  requireAllowedAlgorithm,
  supportedAlgorithms,
} from '../../lib/jws/index.js';
import type { ConnectorDeps } from '../connector.js';
import { ConnectorError } from '../errors.js';
import { loadJwks, refetchJwks } from './jwks.js';

/** What an ID token must satisfy. Everything is required unless marked otherwise: the check fails closed. */
export interface IdTokenExpectations {
  readonly connectorId: string;
  /**
   * The issuer: exact string(s), or a predicate for IdPs whose issuer is templated per user (Microsoft's
   * `{tenantid}`). The predicate sees signature-verified claims only, and the JWK that verified the signature (whose
   * `issuer` Microsoft's multi-tenant key sets publish).
   */
  readonly issuer:
    | string
    | readonly string[]
    | ((iss: string, claims: JWTPayload, key: Readonly<Record<string, unknown>>) => boolean);
  readonly jwksUri: string;
  /** Client ids the token may be issued to: every `aud` must be one of these. */
  readonly audiences: readonly string[];
  /**
   * Client ids that may be the token's authorized party: `azp`, when present, must be one of these. Default:
   * `audiences`. Google's Android and iOS sign-ins put the web client in `aud` and the mobile client in `azp`
   * (https://developers.google.com/identity/sign-in/android/backend-auth).
   */
  readonly authorizedParties?: readonly string[];
  /** The IdP issues tokens for one audience only (Google: "aud … is equal to one of your app's client IDs"). */
  readonly singleAudience?: boolean;
  /** The app the caller says the token was issued to (Flex `idp_client_id`): it must be the `aud` or the `azp`. */
  readonly presentedClientId?: string;
  /** Asymmetric algorithms the IdP signs with. Never `none`, never HMAC. Default `['RS256']`. */
  readonly algorithms?: readonly string[];
  /** The `nonce` the ID token must carry (OIDC Core §3.1.3.7 (11)). Omit when none was bound. */
  readonly nonce?: string;
  /**
   * `required` (default): when `nonce` is given the claim must be present and equal. `if_present`: only for IdPs
   * known not to echo it (LinkedIn), where the code exchange over TLS with the client secret already binds the token.
   * A function decides per token from its signature-verified claims (Apple's `nonce_supported`).
   */
  readonly nonceMode?: NonceMode | ((claims: JWTPayload) => NonceMode);
}

export type NonceMode = 'required' | 'if_present';

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
 * @throws ConnectorError `invalid_token` (malformed, bad signature, wrong issuer, expired, nonce mismatch),
 *   `wrong_audience` (issued to another client); `idp_unavailable` / `rate_limited` when the JWKS cannot be fetched.
 */
export const verifyIdToken = async (
  deps: ConnectorDeps,
  token: string,
  expect: IdTokenExpectations,
): Promise<VerifiedClaims> => {
  const algorithms = (expect.algorithms ?? ['RS256']).filter((alg) => supportedAlgorithms.has(alg));
  if (algorithms.length === 0) throw new TypeError(`${expect.connectorId}: no asymmetric ID token algorithm allowed`);
  let jws: DecodedJws;
  let key: Readonly<Record<string, unknown>>;
  try {
    jws = decodeJws(token);
    key = await verifySignature(deps, expect, token, jws, algorithms);
    checkJwtClaims(jws.payload, {
      now: deps.clock.now(),
      toleranceSeconds: clockSkewSeconds,
      required: ['iss', 'sub', 'aud', 'exp', 'iat'],
    });
  } catch (error) {
    if (error instanceof JwsError || error instanceof JwtClaimError)
      throw new ConnectorError('invalid_token', 'id_token', describe(error), { cause: error });
    throw error;
  }
  return checkClaims(deps, jws.payload as JWTPayload, expect, key);
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
): Promise<Readonly<Record<string, unknown>>> => {
  // An algorithm we would refuse anyway costs no JWKS fetch.
  requireAllowedAlgorithm(jws, algorithms);
  try {
    return await checkJwsWithKeySet(token, jws, algorithms, await loadJwks(deps, expect.connectorId, expect.jwksUri));
  } catch (error) {
    if (!(error instanceof JwsError && error.code === 'ERR_JWKS_NO_MATCHING_KEY')) throw error;
    const fresh = await refetchJwks(deps, expect.connectorId, expect.jwksUri);
    if (fresh === undefined) throw error;
    return await checkJwsWithKeySet(token, jws, algorithms, fresh);
  }
};

const checkClaims = (
  deps: ConnectorDeps,
  claims: JWTPayload,
  expect: IdTokenExpectations,
  key: Readonly<Record<string, unknown>>,
): VerifiedClaims => {
  const { iss, sub } = claims;
  if (typeof iss !== 'string' || typeof sub !== 'string' || sub.length === 0) {
    throw new ConnectorError('invalid_token', 'id_token', 'the ID token has no issuer or subject');
  }
  if (sub.length > maxSubjectLength || !/^[\x21-\x7e]+$/.test(sub)) {
    throw new ConnectorError('invalid_token', 'id_token', 'the ID token subject is not an identifier');
  }
  // OIDC Core §3.1.3.7 (2): iss must exactly match the issuer identifier.
  if (!issuerMatches(expect.issuer, iss, claims, key)) {
    throw new ConnectorError('invalid_token', 'id_token', 'the ID token was issued by an unexpected issuer');
  }
  // OIDC Core §3.1.3.7 (3): aud must contain a client id of ours, and a token that also names an audience we do not
  // trust is refused (the spec's "or if it contains additional audiences not trusted by the Client").
  const aud = typeof claims.aud === 'string' ? [claims.aud] : (claims.aud ?? []);
  if (aud.length === 0 || !aud.every((value) => expect.audiences.includes(value))) {
    throw new ConnectorError('wrong_audience', 'id_token', 'the ID token was issued to another application');
  }
  // OIDC Core §3.1.3.7 (4)-(5): with several audiences azp is required; when present, it must be a client id of ours.
  if (expect.singleAudience === true && aud.length !== 1) {
    throw new ConnectorError('wrong_audience', 'id_token', 'the ID token names several audiences');
  }
  if (aud.length > 1 && claims.azp === undefined) {
    throw new ConnectorError(
      'wrong_audience',
      'id_token',
      'the ID token has several audiences and no authorized party',
    );
  }
  const parties = expect.authorizedParties ?? expect.audiences;
  if (claims.azp !== undefined && (typeof claims.azp !== 'string' || !parties.includes(claims.azp))) {
    throw new ConnectorError('wrong_audience', 'id_token', 'the ID token was authorized for another application');
  }
  // The app the caller names must be the one the token was issued to or authorized for.
  if (
    expect.presentedClientId !== undefined &&
    !aud.includes(expect.presentedClientId) &&
    claims.azp !== expect.presentedClientId
  ) {
    throw new ConnectorError('wrong_audience', 'id_token', 'the ID token was issued to another application');
  }
  const now = Math.floor(deps.clock.now().getTime() / 1000);
  if (typeof claims.iat !== 'number' || claims.iat > now + clockSkewSeconds) {
    throw new ConnectorError('invalid_token', 'id_token', 'the ID token is issued in the future');
  }
  if (claims.iat < now - maxIdTokenAgeSeconds - clockSkewSeconds) {
    throw new ConnectorError('invalid_token', 'id_token', 'the ID token was issued too long ago');
  }
  if (typeof claims.exp !== 'number' || claims.exp > now + maxIdTokenAgeSeconds + clockSkewSeconds) {
    throw new ConnectorError('invalid_token', 'id_token', 'the ID token is valid for too long');
  }
  if (expect.nonce !== undefined) {
    const mode = typeof expect.nonceMode === 'function' ? expect.nonceMode(claims) : (expect.nonceMode ?? 'required');
    const present = claims.nonce !== undefined;
    // OIDC Core §3.1.3.7 (11): the nonce sent must come back unchanged.
    if ((mode === 'required' || present) && claims.nonce !== expect.nonce) {
      throw new ConnectorError('invalid_token', 'id_token', 'the ID token nonce does not match');
    }
  }
  return claims as VerifiedClaims;
};

const issuerMatches = (
  expected: IdTokenExpectations['issuer'],
  iss: string,
  claims: JWTPayload,
  key: Readonly<Record<string, unknown>>,
): boolean => {
  if (typeof expected === 'function') return expected(iss, claims, key);
  if (typeof expected === 'string') return iss === expected;
  return expected.includes(iss);
};

const describe = (error: JwsError | JwtClaimError): string => {
  switch (error.code) {
    case 'ERR_JWT_EXPIRED':
      return 'the ID token has expired';
    case 'ERR_JWT_CLAIM_VALIDATION_FAILED':
      return `the ID token claim "${(error as JwtClaimError).claim}" is invalid`;
    case 'ERR_JWS_SIGNATURE_VERIFICATION_FAILED':
      return 'the ID token signature is invalid';
    case 'ERR_JWKS_NO_MATCHING_KEY':
      return 'the ID token is signed with an unknown key';
    case 'ERR_JOSE_ALG_NOT_ALLOWED':
      return 'the ID token is signed with a disallowed algorithm';
    default:
      return 'the ID token is malformed';
  }
};
