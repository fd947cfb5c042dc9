import { sql } from 'kysely';
import type { DbExecutor } from '../database.js';
import type { NewRefreshToken } from '../repositories/refresh-tokens.js';
import type { TokenFamilyRow, UserRow } from '../schema.js';
import { coalesceStatements } from './coalesce.js';

/*
 * Refresh rotations, batched: the rotations that arrive together (in one turn of the event loop, or while four such
 * statements are in flight) go to PostgreSQL as one statement. A refresh is a hot path, and its cost was the round
 * trip and the pooled connection held for it, not the database's work (docs/decisions/0004-performance.md): one
 * statement per refresh left the server waiting on the pool a third of the time.
 */

/** What a rotation needs of the family it continues. */
export type RotatedFamily = Pick<TokenFamilyRow, 'id' | 'user_id' | 'scope' | 'auth_time' | 'amr' | 'sid'>;

interface RotatedFamilyColumns {
  family_id: string;
  family_user_id: string;
  family_scope: string;
  family_auth_time: Date;
  family_amr: TokenFamilyRow['amr'];
  family_sid: string | null;
}

/** One rotation asked of {@link rotateRefreshTokens}. */
export interface Rotation {
  readonly tokenDigest: string;
  readonly tenantId: string;
  readonly clientId: string;
  /** A narrower scope asked for: the family's scope must contain every one of these. */
  readonly scope: readonly string[];
  readonly now: Date;
  readonly next: NewRefreshToken;
}

/** A rotation's answer: the family continued, and its user (undefined when gone). */
export interface Rotated {
  readonly family: RotatedFamily;
  readonly user: UserRow | undefined;
}

/** A user row from an outer join: every column null when there is no user. */
type NullableUserRow = { [K in keyof UserRow]: UserRow[K] | null };

/**
 * Rotations, one or a batch, in one statement. For each: marks the presented token used (only if it is unused,
 * unexpired, of this tenant and client, and its family is live, before its absolute end, and grants the scope asked
 * for; the next token expires no later than the family), reads the family's
 * user, and adds `next` to the family when that user is active. Of two concurrent uses of a token exactly one gets
 * an answer, in one batch too (the token's row is updated once). Each family is held `for share`: a revocation under
 * way makes the statement wait and then find the family revoked, and a revocation that comes after waits for it (see
 * `combined/revoke-token-families`). The new token is stored before its access token is signed (its `access_jti` is
 * chosen beforehand): a failure after this statement leaves an unused refresh token nobody holds, never a token
 * without its row. All or nothing: when the statement fails, no token of the batch was used.
 *
 * Every row is reached by its primary key: the token and its family through lateral subqueries with `limit 1`, the
 * tokens to mark used by their digests as an array, the user by the family's `user_id` alone with its tenant checked
 * on the row read (see `batched/returning-sign-ins`). The plan is then a handful of index lookups per rotation
 * whatever the tables' statistics say, on a database created a minute ago too.
 * @returns one answer per rotation, in order: undefined when nothing was consumed (see
 *   `refreshTokensRepo.findWithFamily` for why); `user` undefined when the user is gone.
 */
export const rotateRefreshTokens = async (
  db: DbExecutor,
  rotations: readonly Rotation[],
): Promise<(Rotated | undefined)[]> => {
  const requests = rotations.map((r, n) => ({
    n,
    token_digest: r.tokenDigest,
    tenant_id: r.tenantId,
    client_id: r.clientId,
    scope: r.scope,
    now: r.now,
    next_digest: r.next.token_digest,
    access_jti: r.next.access_jti,
    access_expires_at: r.next.access_expires_at,
    expires_at: r.next.expires_at,
  }));
  const digests = rotations.map((r) => r.tokenDigest);
  const { rows } = await sql<RotatedFamilyColumns & NullableUserRow & { n: number; user_n: number | null }>`
      with req as materialized (
        select * from jsonb_to_recordset(${JSON.stringify(requests)}::jsonb) as r(
          n int, token_digest text, tenant_id text, client_id text, scope jsonb, now timestamptz, next_digest text,
          access_jti text, access_expires_at timestamptz, expires_at timestamptz)
      ),
      live as materialized (
        select r.n, r.token_digest, r.now, f.* from req r
        cross join lateral (select family_id from refresh_tokens where token_digest = r.token_digest limit 1) t
        cross join lateral (
          select id, tenant_id, user_id, scope, auth_time, amr, sid, expires_at as family_expires_at from token_families
          where id = t.family_id and revoked_at is null and tenant_id = r.tenant_id and client_id = r.client_id
            and expires_at > r.now and to_jsonb(string_to_array(scope, ' ')) @> r.scope
          limit 1
          for share
        ) f
      ),
      c as (
        update refresh_tokens t set consumed_at = l.now
        from live l
        where t.token_digest = any(${digests}::text[]) and t.token_digest = l.token_digest and t.family_id = l.id
          and t.consumed_at is null and t.expires_at > l.now
        returning l.n, l.id, l.tenant_id, l.user_id, l.scope, l.auth_time, l.amr, l.sid, l.family_expires_at
      ),
      u as materialized (
        select c.n as user_n, x.* from c cross join lateral (select * from users where id = c.user_id limit 1) x
        where x.tenant_id = c.tenant_id
      ),
      next as (
        insert into refresh_tokens (token_digest, family_id, tenant_id, access_jti, access_expires_at, created_at, expires_at)
        select r.next_digest, c.id, c.tenant_id, r.access_jti, r.access_expires_at, r.now,
               least(r.expires_at, c.family_expires_at)
        from c join u on u.user_n = c.n join req r on r.n = c.n
        where u.status = 'active'
      )
      select c.n, c.id as family_id, c.user_id as family_user_id, c.scope as family_scope,
             c.auth_time as family_auth_time, c.amr as family_amr, c.sid as family_sid, u.*
      from c left join u on u.user_n = c.n`.execute(db);
  const answers: (Rotated | undefined)[] = rotations.map(() => undefined);
  for (const row of rows) {
    const { n, user_n, family_id, family_user_id, family_scope, family_auth_time, family_amr, family_sid, ...user } =
      row;
    answers[n] = {
      family: {
        id: family_id,
        user_id: family_user_id,
        scope: family_scope,
        auth_time: family_auth_time,
        amr: family_amr,
        sid: family_sid,
      },
      user: user_n === null ? undefined : (user as UserRow),
    };
  }
  return answers;
};

/** One refresh rotation: see {@link rotateRefreshTokens}. */
export type RefreshRotations = (rotation: Rotation) => Promise<Rotated | undefined>;

/**
 * {@link rotateRefreshTokens} for one rotation at a time, the rotations that arrive together sharing one statement
 * (`coalesceStatements`): each keeps its own checks and answer, and a failed batch runs again one rotation at a time.
 */
export const createRefreshRotations = (db: DbExecutor): RefreshRotations =>
  coalesceStatements((rotations: Rotation[]) => rotateRefreshTokens(db, rotations));
