import { sql } from 'kysely';
import { type FamilyStart, familyStarts } from '../combined/family-starts.js';
import type { DbExecutor } from '../database.js';
import type { IdentityRow, UserRow } from '../schema.js';
import { coalesceStatements } from './coalesce.js';

/*
 * Returning users' sign-ins, batched: the identity and user lookups of the sign-ins that arrive together (in one turn
 * of the event loop, or while four such statements are in flight) go to PostgreSQL as one statement, which also
 * starts each signed-in user's refresh-token family. A known user's social sign-in is a hot path, and about 40% of it
 * was the round trip, not the database's work (docs/decisions/0004-performance.md): two round trips (the lookup, then
 * the family INSERT) became one, shared by the sign-ins of a batch.
 */

interface IdentityColumns {
  identity_id: string;
  identity_issuer: string;
  identity_email: string | null;
  identity_email_verified: boolean;
  identity_created_at: Date;
  identity_last_login_at: Date | null;
}

type FoundRow = IdentityColumns & UserRow & { family_started: boolean };

/** One sign-in's lookup for {@link signInReturningUsers}. */
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
export const signInReturningUsers = async (
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
};

/** One returning user's sign-in: see {@link signInReturningUsers}. */
export type ReturningSignIns = (lookup: SignInLookup) => Promise<FoundWithUser | undefined>;

/**
 * {@link signInReturningUsers} for one sign-in at a time, the sign-ins that arrive together sharing one
 * statement (`coalesceStatements`); a failed batch runs again one sign-in at a time.
 */
export const createReturningSignIns = (db: DbExecutor): ReturningSignIns =>
  coalesceStatements((lookups: SignInLookup[]) => signInReturningUsers(db, lookups));
