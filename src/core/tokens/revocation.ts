import { sha256 } from '../../lib/crypto.js';
import { refreshTokensRepo } from '../../store/repositories/refresh-tokens.js';
import { revokedAccessTokensRepo } from '../../store/repositories/revoked-access-tokens.js';
import type { AuditLog } from '../audit/events.js';
import type { Client } from '../clients/client.js';
import type { CoreDeps } from '../deps.js';
import { isGatehouseError } from '../errors.js';
import type { Tenant } from '../tenants/tenant.js';
import type { RefreshTokens } from './refresh-tokens.js';
import type { TokenVerifier } from './verify-access-token.js';

export interface RevokeTokenInput {
  readonly tenant: Tenant;
  /** The authenticated client; only its own tokens are revoked. */
  readonly client: Client;
  readonly token: string;
  readonly ip?: string;
}

/** Our access tokens are JWS compact (three dot-separated parts); refresh tokens are opaque base64url. */
export const looksLikeJwt = (token: string): boolean => token.split('.').length === 3;

/** RFC 7009 token revocation. */
export const createRevokeToken =
  (deps: CoreDeps, audit: AuditLog, verifier: TokenVerifier, refreshTokens: RefreshTokens) =>
  /**
   * Revokes a token of the calling client: a refresh token revokes its whole family; an access token goes on the
   * revocation list until it expires. Unknown, invalid or foreign tokens are ignored (RFC 7009 §2.2: the response is
   * the same), so a caller learns nothing about tokens that are not its own.
   */
  async (input: RevokeTokenInput): Promise<void> => {
    const record = (kind: string, details: Record<string, unknown>, userId?: string) =>
      audit.record({
        type: 'token.revoked',
        outcome: 'success',
        tenantId: input.tenant.id,
        clientId: input.client.clientId,
        actor: `client:${input.client.clientId}`,
        ...(userId === undefined ? {} : { userId }),
        ...(input.ip === undefined ? {} : { ip: input.ip }),
        details: { kind, ...details },
      });

    if (looksLikeJwt(input.token)) {
      const claims = await verifier
        .verifyAccessToken(input.tenant.id, input.token, { checkRevocation: false })
        .catch((error: unknown) => {
          if (isGatehouseError(error) && error.code === 'invalid_token') return undefined;
          throw error;
        });
      if (claims === undefined || claims.clientId !== input.client.clientId) return;
      await revokedAccessTokensRepo.insert(deps.db, {
        jti: claims.jti,
        tenant_id: input.tenant.id,
        expires_at: claims.expiresAt,
        created_at: deps.clock.now(),
      });
      record('access_token', { jti: claims.jti }, claims.userId);
      return;
    }
    const found = await refreshTokensRepo.findWithFamily(deps.db, sha256(input.token));
    if (
      found === undefined ||
      found.family.tenant_id !== input.tenant.id ||
      found.family.client_id !== input.client.clientId
    )
      return;
    const revoked = await refreshTokens.revokeFamily(found.family.id);
    if (revoked) record('refresh_token', { familyId: found.family.id }, found.family.user_id);
  };

export type RevokeToken = ReturnType<typeof createRevokeToken>;
