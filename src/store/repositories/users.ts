import { sql } from 'kysely';
import type { DbExecutor } from '../database.js';
import type { IdentityRow, NewUserRow, UserRow, UserUpdate } from '../schema.js';
import { type FamilyStart, familyStart } from './tokens.js';

export const usersRepo = {
  /**
   * Read by primary key, the tenant checked on the row read: with both in the query the planner may pick the
   * (tenant_id, created_at) index instead (see `identitiesRepo.findWithUser`).
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

interface IdentityColumns {
  identity_id: string;
  identity_issuer: string;
  identity_email: string | null;
  identity_email_verified: boolean;
  identity_created_at: Date;
  identity_last_login_at: Date | null;
}

type FoundRow = IdentityColumns & UserRow & { family_started?: boolean };

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
  /**
   * An identity with its user, in one statement (uses identities_tenant_idp_subject_uq). The identity's `raw`
   * profile is not read. With `start`, the same statement also starts a refresh-token family for that user, when the
   * user is active: a returning user's sign-in finds the user and stores the refresh token in one round trip.
   *
   * The user is read by primary key alone, in a materialized CTE, and its tenant checked on the row read. Given
   * `u.tenant_id = … and u.id = …` in one scan, the planner may choose the (tenant_id, created_at) index and read
   * every user of the tenant to find one; it did on tables without statistics (a database just created, before
   * autovacuum's first ANALYZE), where both indexes look equally selective.
   * @returns undefined when the identity is not linked; `familyStarted` says whether `start` was written.
   */
  findWithUser: async (
    db: DbExecutor,
    tenantId: string,
    idp: string,
    subject: string,
    start?: FamilyStart,
  ): Promise<{ identity: Omit<IdentityRow, 'raw'>; user: UserRow; familyStarted: boolean } | undefined> => {
    const lookup = sql`
      i as materialized (
        select id, tenant_id, user_id, issuer, email, email_verified, created_at, last_login_at from identities
        where tenant_id = ${tenantId} and idp = ${idp} and subject = ${subject}
      ),
      u as materialized (select * from users where id = (select user_id from i)),
      found as (
        select i.id as identity_id, i.issuer as identity_issuer, i.email as identity_email,
               i.email_verified as identity_email_verified, i.created_at as identity_created_at,
               i.last_login_at as identity_last_login_at, u.*
        from i join u on u.tenant_id = i.tenant_id
      )`;
    const result =
      start === undefined
        ? await sql<FoundRow>`with ${lookup} select * from found`.execute(db)
        : await sql<FoundRow>`
            with ${lookup},
            ${familyStart(start, sql`select id as user_id, tenant_id from found where status = 'active'`)}
            select found.*, exists (select 1 from f) as family_started from found`.execute(db);
    const row = result.rows[0];
    if (row === undefined) return undefined;
    const {
      identity_id,
      identity_issuer,
      identity_email,
      identity_email_verified,
      identity_created_at,
      identity_last_login_at,
      family_started,
      ...user
    } = row;
    return {
      identity: {
        id: identity_id,
        tenant_id: tenantId,
        user_id: user.id,
        idp,
        issuer: identity_issuer,
        subject,
        email: identity_email,
        email_verified: identity_email_verified,
        created_at: identity_created_at,
        last_login_at: identity_last_login_at,
      },
      user,
      familyStarted: family_started === true,
    };
  },
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
  delete: (db: DbExecutor, tenantId: string, userId: string, idp: string) =>
    db
      .deleteFrom('identities')
      .where('tenant_id', '=', tenantId)
      .where('user_id', '=', userId)
      .where('idp', '=', idp)
      .executeTakeFirst(),
};

export type { IdentityRow, UserRow };
