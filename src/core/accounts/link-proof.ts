import type { DbExecutor } from '../../store/database.js';
import { linkProofsRepo } from '../../store/repositories/link-proofs.js';
import type { AuditLog } from '../audit/events.js';
import type { Client } from '../clients/client.js';
import type { CoreDeps } from '../deps.js';
import { GatehouseError } from '../errors.js';
import { userIdOfToken } from '../sign-in/new-user-token.js';
import type { Tenant } from '../tenants/tenant.js';
import type { AccessTokenClaims } from '../tokens/verify-access-token.js';

declare const verified: unique symbol;

/**
 * Proof that the owner of an account wants an identity linked to it, now, through this client: an access token of the
 * tenant issued to a user, to the client presenting it, after a sign-in no older than the tenant's
 * `linkProofMaxAgeSeconds`. Only {@link createVerifyLinkProof} makes one; the link spends it (single use).
 */
export interface LinkProof {
  readonly userId: string;
  readonly tenantId: string;
  readonly clientId: string;
  /** The access token's `jti`: recorded as spent with the link. */
  readonly jti: string;
  readonly expiresAt: Date;
  /** For the audit trail. */
  readonly ip?: string;
  readonly [verified]: true;
}

/** Why a link proof was refused; in the `linkRefused` detail of the `invalid_grant` error, for each surface's words. */
export type LinkRefusal = 'invalid' | 'not_a_user' | 'wrong_client' | 'stale' | 'replayed';

/** How recent the sign-in behind a link proof must be, unless the tenant says otherwise. */
const defaultLinkProofMaxAgeSeconds = 300;

const descriptions: Record<LinkRefusal, string> = {
  invalid: 'the proof of the account is invalid or expired',
  not_a_user: 'the proof of the account does not belong to a user',
  wrong_client: 'the proof of the account was issued to another client',
  stale: 'the proof of the account is too old: the user must sign in again to link an identity',
  replayed: 'the proof of the account has already been used',
};

/** The refusal a link proof met, when `error` is one. */
export const linkRefusalOf = (error: unknown): LinkRefusal | undefined => {
  const reason = error instanceof GatehouseError ? error.details?.linkRefused : undefined;
  return typeof reason === 'string' && reason in descriptions ? (reason as LinkRefusal) : undefined;
};

const refusal = (
  audit: AuditLog,
  at: { tenantId: string; clientId: string; ip?: string | undefined; userId?: string | undefined },
  reason: LinkRefusal,
  cause?: unknown,
): GatehouseError => {
  audit.record({
    type: 'identity.link_refused',
    outcome: 'failure',
    tenantId: at.tenantId,
    clientId: at.clientId,
    ...(at.userId === undefined ? {} : { userId: at.userId }),
    ...(at.ip === undefined ? {} : { ip: at.ip }),
    details: { reason },
  });
  return new GatehouseError('invalid_grant', descriptions[reason], {
    details: { linkRefused: reason },
    ...(cause === undefined ? {} : { cause }),
  });
};

export interface VerifyLinkProofInput {
  readonly tenant: Tenant;
  /** The client presenting the proof, already authenticated (a confidential one with its secret). */
  readonly client: Client;
  /** The access token presented as proof. */
  readonly token: string;
  readonly ip?: string;
}

/**
 * Checks a link proof (every surface that links an identity to an account it proves: RFC 8693 `actor_token` and its
 * dialects' equivalents): a valid access token of this tenant (signature, expiry, revocation) for a user, issued to the presenting
 * client, whose sign-in (`auth_time`) is recent. Whether it was already spent is checked when it is spent, with the
 * link. Every refusal is audited as `identity.link_refused`.
 * @throws GatehouseError `invalid_grant` with the detail `linkRefused` (see {@link LinkRefusal}).
 */
export const createVerifyLinkProof =
  (
    deps: CoreDeps,
    audit: AuditLog,
    verifyAccessToken: (tenantId: string, token: string) => Promise<AccessTokenClaims>,
  ) =>
  async ({ tenant, client, token, ip }: VerifyLinkProofInput): Promise<LinkProof> => {
    const at = { tenantId: tenant.id, clientId: client.clientId, ip };
    let claims: AccessTokenClaims;
    try {
      claims = await verifyAccessToken(tenant.id, token);
    } catch (error) {
      throw refusal(audit, at, 'invalid', error);
    }
    // A new-user token describes someone without an account: it proves none.
    const userId = userIdOfToken(claims);
    if (userId === undefined || claims.authTime === undefined) throw refusal(audit, at, 'not_a_user');
    const ofUser = { ...at, userId };
    // A token another client obtained (leaked from it, or phished) proves nothing to this one.
    if (claims.clientId !== client.clientId) throw refusal(audit, ofUser, 'wrong_client');
    const maxAgeMs = (tenant.policies.linkProofMaxAgeSeconds ?? defaultLinkProofMaxAgeSeconds) * 1000;
    if (deps.clock.now().getTime() - claims.authTime.getTime() > maxAgeMs) throw refusal(audit, ofUser, 'stale');
    return {
      userId,
      tenantId: tenant.id,
      clientId: client.clientId,
      jti: claims.jti,
      expiresAt: claims.expiresAt,
      ...(ip === undefined ? {} : { ip }),
    } as LinkProof;
  };

/**
 * Spends a link proof in the transaction that links: of two uses of one proof, exactly one commits.
 * @throws GatehouseError `invalid_grant` (`linkRefused: replayed`), audited.
 */
export const spendLinkProof = async (db: DbExecutor, audit: AuditLog, proof: LinkProof, now: Date): Promise<void> => {
  const spent = await linkProofsRepo.spend(db, {
    jti: proof.jti,
    tenant_id: proof.tenantId,
    client_id: proof.clientId,
    user_id: proof.userId,
    used_at: now,
    expires_at: proof.expiresAt,
  });
  if (!spent) throw refusal(audit, proof, 'replayed');
};

/**
 * The proof a hosted `link` flow gives once its owner answered its step (the account's password or a mailed code): the
 * flow stands for the access token, and its id is what is spent with the link (`flow:{id}`), so the step links once.
 */
export const flowLinkProof = (
  of: { flowId: string; tenantId: string; clientId: string; userId: string },
  expiresAt: Date,
): LinkProof =>
  ({
    userId: of.userId,
    tenantId: of.tenantId,
    clientId: of.clientId,
    jti: `flow:${of.flowId}`,
    expiresAt,
  }) as LinkProof;
