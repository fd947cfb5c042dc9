import type { DbExecutor } from '../database.js';
import type { IdentityRow } from '../schema.js';

/**
 * `identities`: the links (tenant, connection, subject) → user. A returning user's sign-in finds its identity in a
 * batched statement (`batched/returning-sign-ins`), and records its time in batches (`batched/sign-in-times`).
 */
export const identitiesRepo = {
  /** Uses identities_tenant_idp_subject_uq. */
  find: (db: DbExecutor, tenantId: string, idp: string, subject: string) =>
    db
      .selectFrom('identities')
      .selectAll()
      .where('tenant_id', '=', tenantId)
      .where('idp', '=', idp)
      .where('subject', '=', subject)
      .executeTakeFirst(),
  /** Uses identities_user_idx. */
  listByUser: (db: DbExecutor, userId: string) =>
    db.selectFrom('identities').selectAll().where('user_id', '=', userId).orderBy('created_at').limit(100).execute(),
  insert: (
    db: DbExecutor,
    row: Omit<IdentityRow, 'created_at' | 'last_login_at' | 'raw'> & { raw: Record<string, unknown> },
  ) =>
    db
      .insertInto('identities')
      .values({ ...row, raw: JSON.stringify(row.raw) })
      .returningAll()
      .executeTakeFirstOrThrow(),
  touch: (db: DbExecutor, id: string, at: Date) =>
    db.updateTable('identities').set({ last_login_at: at }).where('id', '=', id).execute(),
  /** Moves an identity to a new subject of the same connection (an IdP's key changed); by primary key. */
  rekey: (db: DbExecutor, id: string, subject: string) =>
    db.updateTable('identities').set({ subject }).where('id', '=', id).returningAll().executeTakeFirstOrThrow(),
  delete: (db: DbExecutor, tenantId: string, userId: string, idp: string) =>
    db
      .deleteFrom('identities')
      .where('tenant_id', '=', tenantId)
      .where('user_id', '=', userId)
      .where('idp', '=', idp)
      .executeTakeFirst(),
};

export type { IdentityRow };
