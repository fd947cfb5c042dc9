import type { DbExecutor } from '../database.js';

/** `spent_idp_tokens`: provider ID tokens that signed someone in, refused ever after until their `exp`. */
export const spentIdpTokensRepo = {
  /**
   * Spends a token: a conditional insert, so of two uses (on any instances) exactly one gets true. A row left past its
   * expiry (not yet purged) is taken over: the token it stood for no longer verifies.
   */
  spend: async (
    db: DbExecutor,
    row: { digest: string; tenant_id: string; used_at: Date; expires_at: Date },
  ): Promise<boolean> =>
    (await db
      .insertInto('spent_idp_tokens')
      .values(row)
      .onConflict((oc) =>
        oc
          .column('digest')
          .doUpdateSet({ tenant_id: row.tenant_id, used_at: row.used_at, expires_at: row.expires_at })
          .where('spent_idp_tokens.expires_at', '<', row.used_at),
      )
      .returning('digest')
      .executeTakeFirst()) !== undefined,

  /** Whether the token of `digest` is spent now. */
  isSpent: async (db: DbExecutor, digest: string, now: Date): Promise<boolean> =>
    (await db
      .selectFrom('spent_idp_tokens')
      .select('digest')
      .where('digest', '=', digest)
      .where('expires_at', '>=', now)
      .executeTakeFirst()) !== undefined,

  /** Gives a spent token back (the sign-in it was spent for issued nothing): only the spending of `usedAt`. */
  unspend: (db: DbExecutor, digest: string, usedAt: Date) =>
    db.deleteFrom('spent_idp_tokens').where('digest', '=', digest).where('used_at', '=', usedAt).execute(),

  /** Tokens past their `exp`. */
  deleteExpired: (db: DbExecutor, now: Date) =>
    db.deleteFrom('spent_idp_tokens').where('expires_at', '<', now).execute(),
};
