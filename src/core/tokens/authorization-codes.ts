import { pkceChallenge, randomToken, sha256 } from '../../lib/crypto.js';
import { newOpaqueId } from '../../lib/ids.js';
import { redeemAuthorizationCode } from '../../store/combined/redeem-authorization-code.js';
import { authorizationCodesRepo } from '../../store/repositories/authorization-codes.js';
import type { AuditLog } from '../audit/events.js';
import type { Client } from '../clients/client.js';
import type { CoreDeps } from '../deps.js';
import { GatehouseError } from '../errors.js';
import type { Tenant } from '../tenants/tenant.js';
import { authorizationCodeLifetimeSeconds, familyExpiry, tokenLifetimes } from './lifetimes.js';
import { revokeTokenFamily } from './refresh-tokens.js';

/** What a code is issued for: an approved authorization request and the sign-in that approved it. */
export interface NewAuthorizationCode {
  readonly tenantId: string;
  readonly clientId: string;
  readonly userId: string;
  readonly redirectUri: string;
  readonly scope: readonly string[];
  readonly nonce?: string;
  /** PKCE S256 challenge (RFC 7636), when the request carried one. */
  readonly codeChallenge?: string;
  readonly authTime: Date;
  readonly amr: readonly string[];
  readonly sid?: string;
  /** The identity the user signed in through, when an upstream one: the code's family records it. */
  readonly identityId?: string;
}

export interface RedeemAuthorizationCodeInput {
  readonly tenant: Tenant;
  readonly client: Client;
  readonly code: string;
  readonly redirectUri: string;
  readonly codeVerifier?: string;
  readonly ip?: string;
}

/** What a redeemed code grants: pass it on to `issueTokens` (with `familyId`). */
export interface RedeemedAuthorizationCode {
  readonly familyId: string;
  readonly userId: string;
  readonly scope: readonly string[];
  readonly nonce?: string;
  readonly authTime: Date;
  readonly amr: readonly string[];
  readonly sid?: string;
}

const invalidGrant = (description: string) => new GatehouseError('invalid_grant', description);

/** Authorization codes: single use, short-lived, bound to client, redirect URI and PKCE; stored as SHA-256 digests. */
export const createAuthorizationCodes = (deps: CoreDeps, audit: AuditLog) => {
  /** Explains a redemption that matched nothing, and revokes what a replayed code issued. */
  const refuse = async (input: RedeemAuthorizationCodeInput, codeDigest: string): Promise<never> => {
    const row = await authorizationCodesRepo.find(deps.db, codeDigest);
    if (row === undefined || row.tenant_id !== input.tenant.id || row.client_id !== input.client.clientId)
      throw invalidGrant('the authorization code is invalid');
    if (row.consumed_at !== null) {
      // RFC 6749 §4.1.2: a code used twice ⇒ revoke every token issued from it.
      const revoked = row.family_id !== null && (await revokeTokenFamily(deps, row.family_id));
      audit.record({
        type: 'authorization_code.replayed',
        outcome: 'failure',
        tenantId: input.tenant.id,
        clientId: input.client.clientId,
        userId: row.user_id,
        ...(input.ip === undefined ? {} : { ip: input.ip }),
        details: { familyId: row.family_id, familyRevoked: revoked },
      });
      throw invalidGrant('the authorization code has already been used');
    }
    if (row.expires_at.getTime() <= deps.clock.now().getTime())
      throw invalidGrant('the authorization code has expired');
    // Its own client presented it with a wrong binding: the code is used up all the same (RFC 6749 §10.5, OAuth 2.1
    // §4.1.3), so a guessed verifier or an intercepted code gets one try. Unless a correct redemption won the race.
    if (!(await authorizationCodesRepo.burn(deps.db, codeDigest, deps.clock.now())))
      throw invalidGrant('the authorization code has already been used');
    // RFC 6749 §4.1.3: redirect_uri must be identical to the authorization request's.
    if (row.redirect_uri !== input.redirectUri)
      throw invalidGrant('redirect_uri does not match the authorization request');
    // RFC 7636 §4.6, and RFC 9700 §2.1.1: a verifier without a challenge is refused too.
    if (row.code_challenge === null) throw invalidGrant('code_verifier was sent but the request had no code_challenge');
    throw invalidGrant(
      input.codeVerifier === undefined ? 'code_verifier is required' : 'code_verifier does not match code_challenge',
    );
  };

  return {
    /** Stores a new code and returns it (the only time it exists in clear). */
    issue: async (input: NewAuthorizationCode): Promise<string> => {
      const code = randomToken(32);
      const now = deps.clock.now();
      await authorizationCodesRepo.insert(deps.db, {
        code_digest: sha256(code),
        tenant_id: input.tenantId,
        client_id: input.clientId,
        user_id: input.userId,
        redirect_uri: input.redirectUri,
        scope: input.scope.join(' '),
        nonce: input.nonce ?? null,
        code_challenge: input.codeChallenge ?? null,
        auth_time: input.authTime,
        amr: input.amr,
        sid: input.sid ?? null,
        identity_id: input.identityId ?? null,
        expires_at: new Date(now.getTime() + authorizationCodeLifetimeSeconds * 1000),
      });
      return code;
    },

    /**
     * Redeems a code for its client: consumes it and starts its token family in one atomic statement. A code presented
     * again revokes that family (and the access tokens issued in it).
     * @throws GatehouseError `invalid_grant` (unknown, another client's, expired, already used, redirect URI or PKCE
     *   mismatch). A redirect URI or PKCE mismatch by the code's own client uses the code up.
     */
    redeem: async (input: RedeemAuthorizationCodeInput): Promise<RedeemedAuthorizationCode> => {
      const codeDigest = sha256(input.code);
      const now = deps.clock.now();
      const row = await redeemAuthorizationCode(deps.db, {
        codeDigest,
        tenantId: input.tenant.id,
        clientId: input.client.clientId,
        redirectUri: input.redirectUri,
        challenge: input.codeVerifier === undefined ? null : pkceChallenge(input.codeVerifier),
        familyId: newOpaqueId(),
        familyExpiresAt: familyExpiry(now, tokenLifetimes(input.tenant, input.client)),
        now,
      });
      if (row === undefined) return refuse(input, codeDigest);
      return {
        familyId: row.family_id as string,
        userId: row.user_id,
        scope: row.scope === '' ? [] : row.scope.split(' '),
        ...(row.nonce === null ? {} : { nonce: row.nonce }),
        authTime: row.auth_time,
        amr: row.amr,
        ...(row.sid === null ? {} : { sid: row.sid }),
      };
    },
  };
};

export type AuthorizationCodes = ReturnType<typeof createAuthorizationCodes>;
