import { sql } from 'kysely';
import type { DbExecutor } from '../database.js';
import type { NewUserRow, UserRow, UserUpdate } from '../schema.js';

/** `users`. */
export const usersRepo = {
  /**
   * Read by primary key, the tenant checked on the row read: with both in the query the planner may pick the
   * (tenant_id, created_at) index instead (see `batched/returning-sign-ins`).
   */
  find: async (db: DbExecutor, tenantId: string, id: string): Promise<UserRow | undefined> => {
    const user = await db.selectFrom('users').selectAll().where('id', '=', id).executeTakeFirst();
    return user?.tenant_id === tenantId ? user : undefined;
  },
  /** Uses users_tenant_email_uq. `email` must be normalised. */
  findByEmail: (db: DbExecutor, tenantId: string, email: string) =>
    db.selectFrom('users').selectAll().where('tenant_id', '=', tenantId).where('email', '=', email).executeTakeFirst(),
  /** A page by creation order (users_tenant_created_idx); `limit` is capped at 500. */
  list: (db: DbExecutor, tenantId: string, limit: number, after?: { createdAt: Date; id: string }) => {
    let q = db.selectFrom('users').selectAll().where('tenant_id', '=', tenantId);
    if (after !== undefined) {
      // Compared in the database: a JS Date has milliseconds, timestamptz microseconds, so the cursor's own
      // timestamp read back into JS would sort before the row it came from.
      q = q.where(sql<boolean>`(created_at, id) > (select c.created_at, c.id from users c where c.id = ${after.id})`);
    }
    return q.orderBy('created_at').orderBy('id').limit(Math.min(limit, 500)).execute();
  },
  insert: (db: DbExecutor, row: NewUserRow) =>
    db.insertInto('users').values(row).returningAll().executeTakeFirstOrThrow(),
  update: (db: DbExecutor, tenantId: string, id: string, patch: UserUpdate) =>
    db
      .updateTable('users')
      .set({ ...patch, updated_at: new Date() })
      .where('tenant_id', '=', tenantId)
      .where('id', '=', id)
      .returningAll()
      .executeTakeFirst(),
  /** Whether any user of the tenant has a password: one probe of users_tenant_password_idx. */
  anyWithPassword: async (db: DbExecutor, tenantId: string): Promise<boolean> =>
    (await db
      .selectFrom('users')
      .select('id')
      .where('tenant_id', '=', tenantId)
      .where('password_hash', 'is not', null)
      .limit(1)
      .executeTakeFirst()) !== undefined,
  count: async (db: DbExecutor, tenantId: string) =>
    Number(
      (
        await db
          .selectFrom('users')
          .select((eb) => eb.fn.countAll<string>().as('n'))
          .where('tenant_id', '=', tenantId)
          .executeTakeFirstOrThrow()
      ).n,
    ),
};

export type { UserRow };
