import { sql } from 'kysely';
import type { DbExecutor } from '../database.js';
import type { IdentityRow, NewUserRow, UserRow, UserUpdate } from '../schema.js';
import { type FamilyStart, familyStarts } from './tokens.js';

export const usersRepo = {
  /**
   * Read by primary key, the tenant checked on the row read: with both in the query the planner may pick the
   * (tenant_id, created_at) index instead (see `identitiesRepo.findManyWithUser`).
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

type FoundRow = IdentityColumns & UserRow & { family_started: boolean };

/** One sign-in's lookup for {@link identitiesRepo.findManyWithUser}. */
export interface SignInLookup {
  readonly tenantId: string;
  /** The connection id. */
  readonly idp: string;
  readonly subject: string;
  /** The refresh-token family to start for the user, when active. */
  readonly start?: FamilyStart;
}

export interface FoundWithUser {
  readonly identity: Omit<IdentityRow, 'raw'>;
  readonly user: UserRow;
  readonly familyStarted: boolean;
}

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
   * Identities with their users, for a batch of sign-ins, in one statement: for each lookup (tenant, connection,
   * subject), the identity (uses identities_tenant_idp_subject_uq; its `raw` profile is not read) and its user. With
   * `start`, the same statement also starts a refresh-token family for that user, when the user is active, recording the
   * identity it was obtained through: returning
   * users' sign-ins find their users and store their refresh tokens in one round trip. All or nothing: when the
   * statement fails, none of its families was written.
   *
   * Each lookup reaches its rows through a lateral subquery with `limit 1` (both are unique lookups): without it the
   * planner flattens the subqueries into joins, which on tables without statistics (a database just created, before
   * autovacuum's first ANALYZE) it answered by reading the whole identities table. The user is read by primary key
   * alone and its tenant checked on the row read: given `u.tenant_id = … and u.id = …` in one scan, the planner may
   * choose the (tenant_id, created_at) index and read every user of the tenant to find one; it did on tables without
   * statistics, where both indexes look equally selective.
   * @returns one answer per lookup, in order: undefined when the identity is not linked; `familyStarted` says whether
   *   its `start` was written.
   */
  findManyWithUser: async (
    db: DbExecutor,
    lookups: readonly SignInLookup[],
  ): Promise<(FoundWithUser | undefined)[]> => {
    const requests = lookups.map(({ tenantId, idp, subject, start }, n) => ({
      n,
      tenant_id: tenantId,
      idp,
      subject,
      ...(start === undefined
        ? {}
        : {
            family_id: start.family.id,
            client_id: start.family.client_id,
            scope: start.family.scope,
            auth_time: start.family.auth_time,
            amr: start.family.amr,
            sid: start.family.sid,
            family_expires_at: start.family.expires_at,
            token_digest: start.token.token_digest,
            access_jti: start.token.access_jti,
            access_expires_at: start.token.access_expires_at,
            expires_at: start.token.expires_at,
            now: start.now,
          }),
    }));
    const { rows } = await sql<FoundRow & { n: number }>`
      with req as materialized (
        select * from jsonb_to_recordset(${JSON.stringify(requests)}::jsonb) as r(
          n int, tenant_id text, idp text, subject text, family_id text, client_id text, scope text,
          auth_time timestamptz, amr jsonb, sid text, family_expires_at timestamptz, token_digest text, access_jti text,
          access_expires_at timestamptz, expires_at timestamptz, now timestamptz)
      ),
      i as materialized (
        select r.n, x.* from req r cross join lateral (
          select id, tenant_id, user_id, issuer, email, email_verified, created_at, last_login_at from identities
          where tenant_id = r.tenant_id and idp = r.idp and subject = r.subject limit 1
        ) x
      ),
      u as materialized (
        select i.n, x.* from i cross join lateral (select * from users where id = i.user_id limit 1) x
        where x.tenant_id = i.tenant_id
      ),
      starts as (
        select r.family_id, u.tenant_id, r.client_id, u.id as user_id, r.scope, r.auth_time, r.amr, r.sid,
               i.id as identity_id, r.family_expires_at, r.now, r.token_digest, r.access_jti, r.access_expires_at,
               r.expires_at
        from req r join u on u.n = r.n join i on i.n = r.n
        where r.family_id is not null and u.status = 'active'
      ),
      ${familyStarts}
      select i.id as identity_id, i.issuer as identity_issuer, i.email as identity_email,
             i.email_verified as identity_email_verified, i.created_at as identity_created_at,
             i.last_login_at as identity_last_login_at, u.*, f.id is not null as family_started
      from req r join i on i.n = r.n join u on u.n = r.n left join f on f.id = r.family_id`.execute(db);
    const answers: (FoundWithUser | undefined)[] = lookups.map(() => undefined);
    for (const row of rows) {
      const {
        n,
        identity_id,
        identity_issuer,
        identity_email,
        identity_email_verified,
        identity_created_at,
        identity_last_login_at,
        family_started,
        ...user
      } = row;
      const lookup = lookups[n] as SignInLookup;
      answers[n] = {
        identity: {
          id: identity_id,
          tenant_id: lookup.tenantId,
          user_id: user.id,
          idp: lookup.idp,
          issuer: identity_issuer,
          subject: lookup.subject,
          email: identity_email,
          email_verified: identity_email_verified,
          created_at: identity_created_at,
          last_login_at: identity_last_login_at,
        },
        user,
        familyStarted: family_started === true,
      };
    }
    return answers;
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

export type { IdentityRow, UserRow };
