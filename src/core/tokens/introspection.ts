import { sha256 } from '../../lib/crypto.js';
import { refreshTokensRepo } from '../../store/repositories/refresh-tokens.js';
import type { CoreDeps } from '../deps.js';
import { isGatehouseError } from '../errors.js';
import type { Tenant } from '../tenants/tenant.js';
import { looksLikeJwt } from './revocation.js';
import type { AccessTokenClaims, TokenVerifier } from './verify-access-token.js';

/** What introspection tells a resource server (RFC 7662): inactive, or what the token carries. */
export type IntrospectionResult =
  | { readonly active: false }
  | { readonly active: true; readonly kind: 'access_token'; readonly token: AccessTokenClaims }
  | {
      readonly active: true;
      readonly kind: 'refresh_token';
      readonly clientId: string;
      readonly userId: string;
      readonly scope: readonly string[];
      readonly issuedAt: Date;
      readonly expiresAt: Date;
    };

const inactive: IntrospectionResult = { active: false };

/** RFC 7662 token introspection, for the resource servers (confidential clients) of one tenant. */
export const createIntrospectToken =
  (deps: CoreDeps, verifier: TokenVerifier) =>
  /**
   * Says whether a token of this tenant is active. Expired, revoked, malformed, unknown and other tenants' tokens are
   * all just `{ active: false }` (§2.2), so the answer reveals nothing else.
   */
  async (tenant: Tenant, token: string): Promise<IntrospectionResult> => {
    if (looksLikeJwt(token)) {
      try {
        return { active: true, kind: 'access_token', token: await verifier.verifyAccessToken(tenant.id, token) };
      } catch (error) {
        if (isGatehouseError(error) && error.code === 'invalid_token') return inactive;
        throw error;
      }
    }
    const found = await refreshTokensRepo.findWithFamily(deps.db, sha256(token));
    if (
      found === undefined ||
      found.family.tenant_id !== tenant.id ||
      found.family.revoked_at !== null ||
      found.token.consumed_at !== null ||
      found.token.expires_at.getTime() <= deps.clock.now().getTime()
    )
      return inactive;
    return {
      active: true,
      kind: 'refresh_token',
      clientId: found.family.client_id,
      userId: found.family.user_id,
      scope: found.family.scope === '' ? [] : found.family.scope.split(' '),
      issuedAt: found.token.created_at,
      expiresAt: found.token.expires_at,
    };
  };

export type IntrospectToken = ReturnType<typeof createIntrospectToken>;
