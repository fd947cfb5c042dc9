import { sql } from 'kysely';
import type { DbExecutor } from '../database.js';
import type { NewUserRow, UserRow, UserUpdate } from '../schema.js';

/** `like` pattern characters taken literally. */
const escapeLike = (value: string): string => value.replace(/[\\%_]/g, (c) => `\\${c}`);

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
  /**
   * Users whose email starts with `prefix` (lower case), in email order after `afterEmail`: a range scan of
   * users_tenant_email_prefix_idx (text_pattern_ops serves `like 'x%'`).
   */
  findByEmailPrefix: (db: DbExecutor, tenantId: string, prefix: string, limit: number, afterEmail?: string) => {
    let q = db
      .selectFrom('users')
      .selectAll()
      .where('tenant_id', '=', tenantId)
      .where('email', 'like', `${escapeLike(prefix)}%`);
    if (afterEmail !== undefined) q = q.where('email', '>', afterEmail);
    return q.orderBy('email').limit(limit).execute();
  },
  /**
   * Users whose email, names or display name contain `needle` (lower case), among at most `scan` users in creation
   * order after the cursor user: a bounded walk of users_tenant_created_idx, so a search never reads the whole tenant.
   * @returns the matches and the last user scanned (the cursor of the next page), if any was.
   */
  searchScan: async (
    db: DbExecutor,
    tenantId: string,
    needle: string,
    limit: number,
    scan: number,
    afterId?: string,
  ): Promise<{ matches: UserRow[]; lastScannedId: string | undefined; scanned: number }> => {
    let window = db.selectFrom('users').selectAll().where('tenant_id', '=', tenantId);
    if (afterId !== undefined)
      window = window.where(
        sql<boolean>`(created_at, id) > (select c.created_at, c.id from users c where c.id = ${afterId})`,
      );
    const rows = await window.orderBy('created_at').orderBy('id').limit(scan).execute();
    const matches: UserRow[] = [];
    let lastScannedId: string | undefined;
    for (const row of rows) {
      lastScannedId = row.id;
      const haystack = [row.email, row.first_name, row.last_name, row.display_name]
        .filter((v): v is string => v !== null)
        .join('\u0000')
        .toLowerCase();
      if (haystack.includes(needle)) matches.push(row);
      if (matches.length === limit) break;
    }
    return { matches, lastScannedId, scanned: rows.length };
  },
  /** Deletes a user; identities, sessions, token families, factors and the rest go with it (foreign-key cascade). */
  delete: async (db: DbExecutor, tenantId: string, id: string): Promise<boolean> =>
    (await db.deleteFrom('users').where('tenant_id', '=', tenantId).where('id', '=', id).executeTakeFirst())
      .numDeletedRows > 0n,
};

export type { UserRow };
