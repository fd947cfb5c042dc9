import type { DbExecutor } from '../database.js';

/** `link_proofs`: access tokens spent as proof of an account to link an identity to it. */
export const linkProofsRepo = {
  /**
   * Spends a link proof: records its `jti` as used, in the transaction that links. Of two uses of one proof exactly one
   * inserts (the other waits for it on the primary key, then finds it).
   * @returns false when it was already spent.
   */
  spend: async (
    db: DbExecutor,
    row: { jti: string; tenant_id: string; client_id: string; user_id: string; used_at: Date; expires_at: Date },
  ): Promise<boolean> => {
    const result = await db
      .insertInto('link_proofs')
      .values(row)
      .onConflict((oc) => oc.column('jti').doNothing())
      .executeTakeFirst();
    return (result.numInsertedOrUpdatedRows ?? 0n) > 0n;
  },

  /** Spent proofs past their token's `exp`. */
  deleteExpired: (db: DbExecutor, now: Date) => db.deleteFrom('link_proofs').where('expires_at', '<', now).execute(),
};
