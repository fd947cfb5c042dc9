import type { DbExecutor } from '../database.js';

export const adminTokensRepo = {
  insert: (
    db: DbExecutor,
    row: { id: string; tenant_id: string | null; name: string; scopes: string[]; token_digest: string },
  ) =>
    db
      .insertInto('admin_tokens')
      .values({ ...row, scopes: JSON.stringify(row.scopes) })
      .returningAll()
      .executeTakeFirstOrThrow(),
  /** By the unique `token_digest` index. */
  findByDigest: (db: DbExecutor, digest: string) =>
    db.selectFrom('admin_tokens').selectAll().where('token_digest', '=', digest).executeTakeFirst(),
  // Bounded: admin tokens are few.
  list: (db: DbExecutor) =>
    db.selectFrom('admin_tokens').selectAll().orderBy('created_at').orderBy('id').limit(1000).execute(),
  /** Sets `revoked_at` once; undefined when there is no such token. */
  revoke: async (db: DbExecutor, id: string, at: Date) => {
    await db
      .updateTable('admin_tokens')
      .set({ revoked_at: at })
      .where('id', '=', id)
      .where('revoked_at', 'is', null)
      .execute();
    return db.selectFrom('admin_tokens').selectAll().where('id', '=', id).executeTakeFirst();
  },
};
