import type { JWTPayload } from 'jose';
import { checkJwtClaims, type DecodedJws, decodeJws, JwtClaimError, verifyJwsSignature } from '../../lib/jws/index.js';
import { revokedAccessTokensRepo } from '../../store/repositories/revoked-access-tokens.js';
import type { CoreDeps } from '../deps.js';
import { GatehouseError } from '../errors.js';
import { accessTokenAlgorithm, signingAlgorithms } from '../keys/algorithms.js';
import type { SigningKeyUseCases } from '../keys/signing-keys.js';
import { issuerOf } from './issuer.js';

/** A verified access token of this tenant, in core terms. */
export interface AccessTokenClaims {
  /** `sub`: the user id, or the client id for a client acting for itself. */
  readonly subject: string;
  /** The user the token acts for; undefined for client_credentials tokens. */
  readonly userId: string | undefined;
  readonly clientId: string;
  readonly scope: readonly string[];
  readonly jti: string;
  readonly issuedAt: Date;
  readonly expiresAt: Date;
  readonly authTime?: Date;
  readonly amr: readonly string[];
  /** Every claim, as signed. */
  readonly claims: Readonly<JWTPayload>;
}

export interface VerifyAccessTokenOptions {
  /** Check the revocation list (one primary-key read). Default true. */
  readonly checkRevocation?: boolean;
}

const clockToleranceSeconds = 5;

const invalidToken = (description: string, cause?: unknown) =>
  new GatehouseError('invalid_token', description, cause === undefined ? undefined : { cause });

/**
 * Our own JWTs: signed with one of `algs` by a key this tenant publishes, `kid` required; the signature is checked
 * here (a key of another algorithm does not verify).
 * @throws GatehouseError `invalid_token`
 */
const verifiedJws = async (
  keys: SigningKeyUseCases,
  tenantId: string,
  token: string,
  algs: readonly string[],
): Promise<DecodedJws> => {
  let jws: DecodedJws;
  try {
    jws = decodeJws(token);
  } catch (error) {
    throw invalidToken('the token is malformed', error);
  }
  const { alg, kid } = jws.header;
  if (typeof alg !== 'string' || !algs.includes(alg) || typeof kid !== 'string')
    throw invalidToken('the token is not signed by this issuer');
  // A token of another tenant names a key this tenant does not publish.
  const key = await keys.publicKey(tenantId, kid);
  if (key === undefined) throw invalidToken('the token is not signed by this issuer');
  if (!(await verifyJwsSignature(jws, algs, key))) throw invalidToken('the access token is invalid');
  return jws;
};

const str = (value: unknown): string | undefined => (typeof value === 'string' ? value : undefined);

/** Verification of the tokens a tenant issued: access tokens (RFC 9068) and ID token hints. */
export const createTokenVerifier = (deps: CoreDeps, keys: SigningKeyUseCases) => {
  /**
   * Verifies an access token presented to `tenantId`: signature by one of its published keys, `typ: at+jwt`,
   * `iss` = this tenant's issuer, `exp`/`iat`, and (unless disabled) the revocation list. A token of another tenant
   * fails here.
   * @throws GatehouseError `invalid_token`
   */
  const verifyAccessToken = async (
    tenantId: string,
    token: string,
    options: VerifyAccessTokenOptions = {},
  ): Promise<AccessTokenClaims> => {
    const jws = await verifiedJws(keys, tenantId, token, [accessTokenAlgorithm]);
    const payload = jws.payload as JWTPayload;
    // RFC 9068 §4: typ is at+jwt (with or without the application/ prefix).
    const typ = typeof jws.header.typ === 'string' ? jws.header.typ.toLowerCase().replace(/^application\//, '') : '';
    if (typ !== 'at+jwt' || payload.iss !== issuerOf(deps.settings, tenantId))
      throw invalidToken('the access token is invalid');
    try {
      checkJwtClaims(payload, {
        now: deps.clock.now(),
        toleranceSeconds: clockToleranceSeconds,
        required: ['sub', 'jti', 'exp', 'iat', 'client_id'],
      });
    } catch (error) {
      if (error instanceof JwtClaimError && error.code === 'ERR_JWT_EXPIRED')
        throw invalidToken('the access token has expired', error);
      throw invalidToken('the access token is invalid', error);
    }
    const { sub, jti, exp, iat } = payload as Required<Pick<JWTPayload, 'sub' | 'jti' | 'exp' | 'iat'>>;
    const clientId = str(payload.client_id);
    if (clientId === undefined) throw invalidToken('the access token is invalid');
    if (options.checkRevocation !== false && (await revokedAccessTokensRepo.isRevoked(deps.db, jti)))
      throw invalidToken('the access token has been revoked');
    const authTime = typeof payload.auth_time === 'number' ? new Date(payload.auth_time * 1000) : undefined;
    const scope = str(payload.scope);
    return {
      subject: sub,
      // Tokens for a user carry `auth_time`; a client acting for itself never does (its `sub` is its client id).
      userId: authTime === undefined ? undefined : sub,
      clientId,
      scope: scope === undefined || scope === '' ? [] : scope.split(' '),
      jti,
      issuedAt: new Date(iat * 1000),
      expiresAt: new Date(exp * 1000),
      ...(authTime === undefined ? {} : { authTime }),
      amr: Array.isArray(payload.amr) ? payload.amr.filter((v): v is string => typeof v === 'string') : [],
      claims: payload,
    };
  };

  /**
   * Verifies an ID token this tenant issued, used as a hint (RP-initiated logout): signature and `iss` only, since a
   * hint may be presented after it expired (OIDC RP-Initiated Logout §2).
   * @throws GatehouseError `invalid_request` when it is not one of ours.
   */
  const verifyIdTokenHint = async (
    tenantId: string,
    token: string,
  ): Promise<{ subject: string; clientId: string; sid?: string }> => {
    try {
      const claims = (await verifiedJws(keys, tenantId, token, signingAlgorithms)).payload as JWTPayload;
      const sid = str(claims.sid);
      const subject = str(claims.sub);
      const clientId = Array.isArray(claims.aud) ? str(claims.aud[0]) : str(claims.aud);
      if (claims.iss !== issuerOf(deps.settings, tenantId) || subject === undefined || clientId === undefined)
        throw new Error('not an ID token of this issuer');
      return { subject, clientId, ...(sid === undefined ? {} : { sid }) };
    } catch (error) {
      throw new GatehouseError('invalid_request', 'id_token_hint is not a valid ID token of this issuer', {
        cause: error,
      });
    }
  };

  return { verifyAccessToken, verifyIdTokenHint };
};

export type TokenVerifier = ReturnType<typeof createTokenVerifier>;
