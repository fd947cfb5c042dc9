import { sha256 } from '../../lib/crypto.js';
import { refreshTokensRepo, tokenFamiliesRepo } from '../../store/repositories/tokens.js';
import type { AuditLog } from '../audit/events.js';
import type { Client } from '../clients/client.js';
import type { CoreDeps } from '../deps.js';
import { GatehouseError } from '../errors.js';
import type { Tenant } from '../tenants/tenant.js';

export interface RotateRefreshTokenInput {
  readonly tenant: Tenant;
  readonly client: Client;
  readonly refreshToken: string;
  /** A narrower scope for the new access token (RFC 6749 §6); the family keeps what was granted. */
  readonly scope?: readonly string[];
  readonly ip?: string;
}

/** The grant a rotated refresh token continues: pass it on to `issueTokens` (with `familyId`). */
export interface RotatedRefreshToken {
  readonly familyId: string;
  readonly userId: string;
  /** The scope for the new access token: the requested one, else the family's. */
  readonly scope: readonly string[];
  readonly authTime: Date;
  readonly amr: readonly string[];
  readonly sid?: string;
}

/** Refresh tokens: rotated on every use; a rotated one presented again revokes its whole family. */
export const createRefreshTokens = (deps: CoreDeps, audit: AuditLog) => {
  /**
   * Revokes a family: its refresh tokens stop working and the access tokens issued in it go on the revocation list.
   * @returns whether this call revoked it.
   */
  const revokeFamily = (familyId: string): Promise<boolean> =>
    tokenFamiliesRepo.revoke(deps.db, familyId, deps.clock.now());

  const refuse = async (input: RotateRefreshTokenInput, digest: string): Promise<never> => {
    const found = await refreshTokensRepo.findWithFamily(deps.db, digest);
    if (
      found === undefined ||
      found.family.tenant_id !== input.tenant.id ||
      found.family.client_id !== input.client.clientId
    )
      throw new GatehouseError('invalid_grant', 'the refresh token is invalid');
    if (found.family.revoked_at !== null)
      throw new GatehouseError('invalid_grant', 'the refresh token has been revoked');
    if (found.token.consumed_at !== null) {
      // RFC 9700 §4.14.2: reuse of a rotated refresh token ⇒ revoke the whole family.
      const revoked = await revokeFamily(found.family.id);
      audit.record({
        type: 'refresh_token.reused',
        outcome: 'failure',
        tenantId: input.tenant.id,
        clientId: input.client.clientId,
        userId: found.family.user_id,
        ...(input.ip === undefined ? {} : { ip: input.ip }),
        details: { familyId: found.family.id, familyRevoked: revoked },
      });
      throw new GatehouseError('invalid_grant', 'the refresh token has already been used');
    }
    if (found.token.expires_at.getTime() > deps.clock.now().getTime()) {
      const granted = found.family.scope.split(' ');
      const extra = (input.scope ?? []).find((scope) => !granted.includes(scope));
      throw new GatehouseError('invalid_scope', `scope ${JSON.stringify(extra)} exceeds what was granted`);
    }
    throw new GatehouseError('invalid_grant', 'the refresh token has expired');
  };

  return {
    /**
     * Consumes a refresh token of this client (a conditional UPDATE: of two concurrent uses exactly one wins) and
     * returns its family for `issueTokens`, which issues the next refresh token into it.
     * @throws GatehouseError `invalid_grant` (unknown, another client's, expired, revoked, or reused: the family is
     *   then revoked), `invalid_scope` (more than was granted; the token stays usable).
     */
    rotate: async (input: RotateRefreshTokenInput): Promise<RotatedRefreshToken> => {
      const digest = sha256(input.refreshToken);
      const family = await refreshTokensRepo.consume(deps.db, {
        tokenDigest: digest,
        tenantId: input.tenant.id,
        clientId: input.client.clientId,
        scope: input.scope ?? [],
        now: deps.clock.now(),
      });
      if (family === undefined) return refuse(input, digest);
      audit.record({
        type: 'refresh_token.rotated',
        outcome: 'success',
        tenantId: input.tenant.id,
        clientId: input.client.clientId,
        userId: family.user_id,
        ...(input.ip === undefined ? {} : { ip: input.ip }),
        details: { familyId: family.id },
      });
      return {
        familyId: family.id,
        userId: family.user_id,
        scope:
          input.scope !== undefined && input.scope.length > 0 ? input.scope : family.scope.split(' ').filter(Boolean),
        authTime: family.auth_time,
        amr: family.amr,
        ...(family.sid === null ? {} : { sid: family.sid }),
      };
    },
    revokeFamily,
  };
};

export type RefreshTokens = ReturnType<typeof createRefreshTokens>;
