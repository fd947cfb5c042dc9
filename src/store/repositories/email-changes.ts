import type { DbExecutor } from '../database.js';

/** `email_changes`: a change of a user's email waiting for the code mailed to the new address (one per user). */
export const emailChangesRepo = {
  /** Starts a change, replacing one the user started before (its code stops working). */
  upsert: (
    db: DbExecutor,
    row: { user_id: string; tenant_id: string; email: string; code_digest: string; expires_at: Date },
  ) =>
    db
      .insertInto('email_changes')
      .values({ ...row, attempts: 0 })
      .onConflict((oc) =>
        oc.column('user_id').doUpdateSet({
          email: row.email,
          code_digest: row.code_digest,
          expires_at: row.expires_at,
          attempts: 0,
        }),
      )
      .execute(),
  /** The user's live change, by primary key. */
  find: (db: DbExecutor, tenantId: string, userId: string, now: Date) =>
    db
      .selectFrom('email_changes')
      .selectAll()
      .where('user_id', '=', userId)
      .where('tenant_id', '=', tenantId)
      .where('expires_at', '>', now)
      .executeTakeFirst(),
  /** Counts a wrong code. @returns the attempts so far. */
  countAttempt: async (db: DbExecutor, userId: string): Promise<number> =>
    (
      await db
        .updateTable('email_changes')
        .set((eb) => ({ attempts: eb('attempts', '+', 1) }))
        .where('user_id', '=', userId)
        .returning('attempts')
        .executeTakeFirst()
    )?.attempts ?? 0,
  /** Ends the change once (single use): @returns it when this call ended it with this code digest. */
  consume: (db: DbExecutor, userId: string, codeDigest: string, now: Date) =>
    db
      .deleteFrom('email_changes')
      .where('user_id', '=', userId)
      .where('code_digest', '=', codeDigest)
      .where('expires_at', '>', now)
      .returningAll()
      .executeTakeFirst(),
  delete: (db: DbExecutor, userId: string) => db.deleteFrom('email_changes').where('user_id', '=', userId).execute(),
};
