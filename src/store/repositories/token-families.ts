import { sql, type Transaction } from 'kysely';
import type { DbExecutor } from '../database.js';
import type { Database } from '../schema.js';

export interface NewFamily {
  readonly id: string;
  readonly tenant_id: string;
  readonly client_id: string;
  readonly user_id: string;
  readonly scope: string;
  readonly auth_time: Date;
  readonly amr: readonly string[];
  readonly sid: string | null;
  /** The identity the grant was obtained through (revoked when it is unlinked); null for a password or a client. */
  readonly identity_id: string | null;
  /** The family's absolute end. */
  readonly expires_at: Date;
}

/**
 * `token_families`: one grant and the refresh tokens rotated from it. A family is started together with its first
 * refresh token (`combined/family-starts`) or by a code's redemption (`combined/redeem-authorization-code`), and
 * revoked together with its access tokens (`combined/revoke-token-families`).
 */
export const tokenFamiliesRepo = {
  /** Records the access token issued when a family started without a refresh token. @returns false if revoked. */
  recordAccessToken: async (db: DbExecutor, familyId: string, jti: string, expiresAt: Date): Promise<boolean> => {
    const result = await db
      .updateTable('token_families')
      .set({ access_jti: jti, access_expires_at: expiresAt })
      .where('id', '=', familyId)
      .where('revoked_at', 'is', null)
      .executeTakeFirst();
    return result.numUpdatedRows > 0n;
  },

  /** The ids of a user's families that are not revoked (to revoke them all). Uses token_families_user_identity_idx. */
  listLiveOfUser: async (db: DbExecutor, tenantId: string, userId: string): Promise<string[]> =>
    (
      await db
        .selectFrom('token_families')
        .select('id')
        .where('tenant_id', '=', tenantId)
        .where('user_id', '=', userId)
        .where('revoked_at', 'is', null)
        .execute()
    ).map((row) => row.id),

  /**
   * Marks a family revoked once no rotation holds it (writers of a family take its row `for share`). The first of the
   * two statements of a revocation: see `combined/revoke-token-families`.
   * @returns whether this call revoked it (false: unknown or already revoked).
   */
  markRevoked: async (trx: Transaction<Database>, familyId: string, now: Date): Promise<boolean> => {
    const revoked = await sql`
      update token_families set revoked_at = ${now} where id = ${familyId} and revoked_at is null`.execute(trx);
    return (revoked.numAffectedRows ?? 0n) > 0n;
  },

  /**
   * Marks every live family of a user revoked, or only those obtained through one identity, as {@link markRevoked}
   * does one. Uses token_families_user_identity_idx.
   * @returns the ids of the families this call revoked.
   */
  markRevokedOfUser: async (
    trx: Transaction<Database>,
    userId: string,
    identityId: string | undefined,
    now: Date,
  ): Promise<string[]> => {
    const { rows } = await sql<{ id: string }>`
      update token_families set revoked_at = ${now}
      where user_id = ${userId} and revoked_at is null
        ${identityId === undefined ? sql`` : sql`and identity_id = ${identityId}`}
      returning id`.execute(trx);
    return rows.map((row) => row.id);
  },

  /**
   * Marks every live family of a user started in the given browser sessions (`sid`) revoked (token_families_user_identity_idx), as {@link markRevoked} does one.
   * @returns the ids of the families this call revoked.
   */
  markRevokedOfSessions: async (
    trx: Transaction<Database>,
    userId: string,
    sids: readonly string[],
    now: Date,
  ): Promise<string[]> => {
    if (sids.length === 0) return [];
    const rows = await trx
      .updateTable('token_families')
      .set({ revoked_at: now })
      .where('user_id', '=', userId)
      .where('sid', 'in', [...sids])
      .where('revoked_at', 'is', null)
      .returning('id')
      .execute();
    return rows.map((row) => row.id);
  },
};
