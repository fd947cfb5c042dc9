import { sha256 } from '../../lib/crypto.js';
import { newOpaqueId } from '../../lib/ids.js';
import { createRefreshRotations } from '../../store/batched/refresh-rotations.js';
import { revokeTokenFamily as revokeFamilyAndItsTokens } from '../../store/combined/revoke-token-families.js';
import { refreshTokensRepo } from '../../store/repositories/refresh-tokens.js';
import type { AuditLog } from '../audit/events.js';
import type { Client } from '../clients/client.js';
import type { CoreDeps } from '../deps.js';
import { GatehouseError } from '../errors.js';
import type { Tenant } from '../tenants/tenant.js';
import { toUser } from '../users/users.js';
import { newRefreshToken, requirePolicyMet } from './issue-tokens.js';
import { tokenLifetimes } from './lifetimes.js';
import type { TokenSigner } from './sign-tokens.js';
import type { IssuedTokens, IssueTokensInput } from './token-issuance.js';
import { issued } from './tokens-issued.js';

export interface RotateRefreshTokenInput {
  readonly tenant: Tenant;
  readonly client: Client;
  readonly refreshToken: string;
  /** A narrower scope for the new access token (RFC 6749 §6); the family keeps what was granted. */
  readonly scope?: readonly string[];
  readonly ip?: string;
}

/**
 * Revokes a token family, in one transaction: its refresh tokens stop working and the access tokens issued in it go on
 * the revocation list, those of a rotation that raced the revocation included.
 * @returns whether this call revoked it.
 */
export const revokeTokenFamily = (deps: CoreDeps, familyId: string): Promise<boolean> =>
  deps.db.transaction().execute((trx) => revokeFamilyAndItsTokens(trx, familyId, deps.clock.now()));

/** Refresh tokens: rotated on every use; a rotated one presented again revokes its whole family. */
export const createRefreshTokens = (deps: CoreDeps, audit: AuditLog, sign: TokenSigner) => {
  /** See {@link revokeTokenFamily}. */
  const revokeFamily = (familyId: string): Promise<boolean> => revokeTokenFamily(deps, familyId);
  // Rotations arriving together go in one statement (see `batched/refresh-rotations`).
  const rotate = createRefreshRotations(deps.db);

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
    const now = deps.clock.now().getTime();
    if (found.family.expires_at.getTime() <= now)
      throw new GatehouseError('invalid_grant', 'the grant has reached its absolute lifetime: sign in again');
    if (found.token.expires_at.getTime() > now) {
      const granted = found.family.scope.split(' ');
      const extra = (input.scope ?? []).find((scope) => !granted.includes(scope));
      throw new GatehouseError('invalid_scope', `scope ${JSON.stringify(extra)} exceeds what was granted`);
    }
    throw new GatehouseError('invalid_grant', 'the refresh token has expired');
  };

  return {
    /**
     * Spends a refresh token of this client and issues the next tokens of its family: new access token, ID token
     * (when the scope has `openid`) and refresh token. The rotation is one conditional statement (of two concurrent
     * uses exactly one wins) that also reads the user and stores the next refresh token, shared with the rotations that
     * arrive at the same time; the tokens are signed after.
     * @throws GatehouseError `invalid_grant` (unknown, another client's, expired, revoked, past its family's absolute
     *   lifetime, or reused: the family is then revoked; or the user is gone), `user_disabled`, `invalid_scope` (more
     *   than was granted; the token stays usable), `mfa_required` (the family's sign-in does not meet the tenant's
     *   second-factor policy as it is now: the family is revoked).
     */
    exchange: async (input: RotateRefreshTokenInput): Promise<IssuedTokens> => {
      const { tenant, client } = input;
      const digest = sha256(input.refreshToken);
      const now = deps.clock.now();
      const lifetimes = tokenLifetimes(tenant, client);
      const jti = newOpaqueId();
      const next = newRefreshToken(now, jti, lifetimes);
      const rotated = await rotate({
        tokenDigest: digest,
        tenantId: tenant.id,
        clientId: client.clientId,
        scope: input.scope ?? [],
        now,
        next: next.row,
      });
      if (rotated === undefined) return refuse(input, digest);
      const { family } = rotated;
      audit.record({
        type: 'refresh_token.rotated',
        outcome: 'success',
        tenantId: tenant.id,
        clientId: client.clientId,
        userId: family.user_id,
        ...(input.ip === undefined ? {} : { ip: input.ip }),
        details: { familyId: family.id },
      });
      if (rotated.user === undefined) throw new GatehouseError('invalid_grant', 'the user no longer exists');
      const user = toUser(rotated.user);
      if (user.status !== 'active') throw new GatehouseError('user_disabled', 'the user account is disabled');
      const issuance: IssueTokensInput = {
        tenant,
        client,
        userId: user.id,
        user,
        scope:
          input.scope !== undefined && input.scope.length > 0 ? input.scope : family.scope.split(' ').filter(Boolean),
        amr: family.amr,
        authTime: family.auth_time,
        ...(family.sid === null ? {} : { sid: family.sid }),
        familyId: family.id,
        grantType: 'refresh_token',
        ...(input.ip === undefined ? {} : { ip: input.ip }),
      };
      try {
        // A family signed in before the tenant asked for a second factor does not outlive that change.
        requirePolicyMet(audit, issuance, user.id);
      } catch (error) {
        await revokeFamily(family.id);
        throw error;
      }
      const signed = await sign({ input: issuance, user, jti, now });
      return issued(audit, issuance, user, jti, signed, next.token, family.id);
    },
    revokeFamily,
  };
};

export type RefreshTokens = ReturnType<typeof createRefreshTokens>;
