import { createHash } from 'node:crypto';
import type { TokenBinding } from '../../connectors/connector.js';
import { randomToken } from '../../lib/crypto.js';
import { nativeNoncesRepo } from '../../store/repositories/native-nonces.js';
import { spentIdpTokensRepo } from '../../store/repositories/spent-idp-tokens.js';
import type { Client } from '../clients/client.js';
import type { CoreDeps } from '../deps.js';
import { GatehouseError } from '../errors.js';
import { rateLimitPolicies } from '../rate-limit/policies.js';
import type { RateLimit } from '../rate-limit/rate-limit.js';
import type { Tenant } from '../tenants/tenant.js';

/** How long an issued nonce may wait for the provider's token that carries it. */
export const nonceTtlSeconds = 300;

/** SHA-256 hex of an issued nonce: what is stored, and what a token's nonce is compared with. */
export const nonceDigest = (nonce: string): string => createHash('sha256').update(nonce, 'utf8').digest('hex');

/** A spending `take` made, to give back when the sign-in it was made for issued nothing. */
export interface SpentBinding {
  /** Undoes the spending (best effort: a failure leaves the token spent, which only costs the client a new one). */
  release(): Promise<void>;
}

const refusedToken = (description: string) => new GatehouseError('idp_token_invalid', description);

/**
 * Native token binding: the nonces this service hands native apps for the provider's ID token to carry, and the
 * single use of every ID token presented (decision 0022).
 *
 * - A token whose nonce is one of ours spends that nonce: it must be this tenant's and this client's, unexpired and
 *   unspent. A nonce that is not ours counts as none.
 * - A connection that requires a nonce refuses a token without one of ours.
 * - Any other ID token is spent itself, by its issuer and `jti` or the digest of its signed part, until its `exp`.
 *
 * Both are rows of the database, taken by one conditional statement, so one token signs in once across a fleet
 * whether or not Redis is there (the cache may fall back to each instance's memory; decision 0007).
 */
export const createTokenBinding = (deps: Pick<CoreDeps, 'db' | 'clock'>, rateLimit: RateLimit) => {
  const { db, clock } = deps;

  /** Which of ours the token's nonce is, if any: the row, or undefined. */
  const ourNonce = async (binding: TokenBinding) =>
    binding.nonceDigest === undefined ? undefined : await nativeNoncesRepo.find(db, binding.nonceDigest);

  /** Why a nonce of ours cannot be spent by this tenant and client now, or undefined when it can. */
  const nonceRefusal = (
    row: NonNullable<Awaited<ReturnType<typeof ourNonce>>>,
    tenant: Tenant,
    client: Client | undefined,
    now: Date,
  ): string | undefined => {
    if (row.tenant_id !== tenant.id || (client !== undefined && row.client_id !== client.clientId))
      return 'the ID token nonce was issued to another client';
    if (row.used_at !== null) return 'the ID token nonce has already been used';
    if (row.expires_at.getTime() <= now.getTime()) return 'the ID token nonce has expired; ask for a new one';
    return undefined;
  };

  return {
    /**
     * A new nonce for `client` of `tenant`, valid {@link nonceTtlSeconds}; stored as its digest only. Limited per
     * (tenant, client, address).
     * @throws GatehouseError `rate_limited`
     */
    issueNonce: async (input: { tenant: Tenant; client: Client; ip?: string }) => {
      const { tenant, client, ip } = input;
      await rateLimit.consume([tenant.id, client.clientId, ip ?? ''].join('\u0000'), rateLimitPolicies.nonceIssuance);
      const nonce = randomToken(32);
      const expiresAt = new Date(clock.now().getTime() + nonceTtlSeconds * 1000);
      await nativeNoncesRepo.insert(db, {
        digest: nonceDigest(nonce),
        tenant_id: tenant.id,
        client_id: client.clientId,
        expires_at: expiresAt,
      });
      return { nonce, expiresIn: nonceTtlSeconds, expiresAt };
    },

    /**
     * Checks that a verified token may sign in, and when `spend`, spends it (its nonce of ours, or the token) in one
     * conditional statement. A check without spending (a sign-up that issues nothing) leaves the token usable.
     * @throws GatehouseError `idp_token_invalid` (a nonce required and absent; a nonce of ours of another tenant or
     *   client, expired or spent; a token already spent)
     */
    take: async (input: {
      tenant: Tenant;
      client: Client | undefined;
      binding: TokenBinding | undefined;
      spend: boolean;
    }): Promise<SpentBinding | undefined> => {
      const { tenant, client, binding, spend } = input;
      if (binding === undefined) return undefined;
      const now = clock.now();
      const row = await ourNonce(binding);
      if (row !== undefined) {
        // A check without spending signs nobody in (a sign-up, which the app may make with another of its clients):
        // the tenant's nonce will do. The sign-in that spends it must be the client's it was issued to.
        const refusal = nonceRefusal(row, tenant, spend ? client : undefined, now);
        if (refusal !== undefined) throw refusedToken(refusal);
        if (!spend) return undefined;
        const spent = await nativeNoncesRepo.spend(db, {
          digest: row.digest,
          tenant_id: tenant.id,
          client_id: client?.clientId,
          now,
        });
        if (!spent) throw refusedToken('the ID token nonce has already been used');
        return { release: () => nativeNoncesRepo.unspend(db, row.digest, now).then(() => undefined) };
      }
      if (binding.nonceRequired)
        throw refusedToken('the ID token carries no nonce issued by this service, and this connection requires one');
      if (!spend) {
        if (await spentIdpTokensRepo.isSpent(db, binding.replayKey, now))
          throw refusedToken('the ID token has already been used');
        return undefined;
      }
      const spent = await spentIdpTokensRepo.spend(db, {
        digest: binding.replayKey,
        tenant_id: tenant.id,
        used_at: now,
        expires_at: new Date(Math.max(binding.expiresAt * 1000, now.getTime())),
      });
      if (!spent) throw refusedToken('the ID token has already been used');
      return { release: () => spentIdpTokensRepo.unspend(db, binding.replayKey, now).then(() => undefined) };
    },

    /** Deletes nonces past their expiry and spent tokens past their `exp` (for the periodic job). */
    purgeExpired: async (): Promise<void> => {
      const now = clock.now();
      await nativeNoncesRepo.deleteExpired(db, now);
      await spentIdpTokensRepo.deleteExpired(db, now);
    },
  };
};

export type TokenBindingUseCases = ReturnType<typeof createTokenBinding>;
