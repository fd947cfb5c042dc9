import type { Selectable } from 'kysely';
import type { DbExecutor } from '../database.js';
import type { NativeNoncesTable } from '../schema.js';

export type NativeNonceRow = Selectable<NativeNoncesTable>;

/** `native_nonces`: nonces handed to native apps for the provider's ID token to carry, spent once. */
export const nativeNoncesRepo = {
  insert: (db: DbExecutor, row: { digest: string; tenant_id: string; client_id: string; expires_at: Date }) =>
    db.insertInto('native_nonces').values(row).execute(),

  /**
   * Spends the nonce of `digest` when it is this tenant's and client's, unspent and unexpired: one conditional update,
   * so of two uses (on any instances) exactly one gets true.
   */
  spend: async (
    db: DbExecutor,
    where: { digest: string; tenant_id: string; client_id: string | undefined; now: Date },
  ): Promise<boolean> => {
    let query = db
      .updateTable('native_nonces')
      .set({ used_at: where.now })
      .where('digest', '=', where.digest)
      .where('tenant_id', '=', where.tenant_id)
      .where('used_at', 'is', null)
      .where('expires_at', '>', where.now);
    if (where.client_id !== undefined) query = query.where('client_id', '=', where.client_id);
    return (await query.returning('digest').executeTakeFirst()) !== undefined;
  },

  /** Gives a spent nonce back (the sign-in it was spent for issued nothing): only the spending of `usedAt`. */
  unspend: (db: DbExecutor, digest: string, usedAt: Date) =>
    db
      .updateTable('native_nonces')
      .set({ used_at: null })
      .where('digest', '=', digest)
      .where('used_at', '=', usedAt)
      .execute(),

  /** Primary-key lookup. */
  find: (db: DbExecutor, digest: string): Promise<NativeNonceRow | undefined> =>
    db.selectFrom('native_nonces').selectAll().where('digest', '=', digest).executeTakeFirst(),

  /** Nonces past their expiry, spent or not. */
  deleteExpired: (db: DbExecutor, now: Date) => db.deleteFrom('native_nonces').where('expires_at', '<', now).execute(),
};
