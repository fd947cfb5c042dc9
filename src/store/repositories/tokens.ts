import { type RawBuilder, sql, type Transaction } from 'kysely';
import type { DbExecutor } from '../database.js';
import type { AuthorizationCodeRow, Database, RefreshTokenRow, TokenFamilyRow, UserRow } from '../schema.js';

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

/** One rotation asked of {@link refreshTokensRepo.rotateMany}. */
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

export interface NewAuthorizationCode {
  readonly code_digest: string;
  readonly tenant_id: string;
  readonly client_id: string;
  readonly user_id: string;
  readonly redirect_uri: string;
  readonly scope: string;
  readonly nonce: string | null;
  readonly code_challenge: string | null;
  readonly auth_time: Date;
  readonly amr: readonly string[];
  readonly sid: string | null;
  /** The identity the user signed in through, when an upstream one. */
  readonly identity_id: string | null;
  readonly expires_at: Date;
}

export interface CodeRedemption {
  readonly codeDigest: string;
  readonly tenantId: string;
  readonly clientId: string;
  readonly redirectUri: string;
  /** S256 of the presented verifier, or null when none was presented. */
  readonly challenge: string | null;
  readonly familyId: string;
  /** The absolute end of the family the redemption starts. */
  readonly familyExpiresAt: Date;
  readonly now: Date;
}

export interface NewFamily {
  readonly id: string;
  readonly tenant_id: string;
  readonly client_id: string;
  readonly user_id: string;
  readonly scope: string;
  readonly auth_time: Date;
  readonly amr: readonly string[];
  readonly sid: string | null;
  /** The identity the grant was obtained through (revoked when it is unlinked); null for a password or a client. */
  readonly identity_id: string | null;
  /** The family's absolute end. */
  readonly expires_at: Date;
}

export interface NewRefreshToken {
  readonly token_digest: string;
  readonly access_jti: string;
  readonly access_expires_at: Date;
  readonly expires_at: Date;
}

/**
 * A family and its first refresh token, chosen before the user is known (its `user_id` and `identity_id` are filled in
 * by SQL).
 */
export interface FamilyStart {
  readonly family: Omit<NewFamily, 'user_id' | 'tenant_id' | 'identity_id'>;
  readonly token: NewRefreshToken;
  readonly now: Date;
}

/**
 * Two CTEs, `f` and `r`, that start token families and store each one's first refresh token, one of each per row of a
 * CTE named `starts` that the statement defines before them, with the columns `family_id, tenant_id, client_id,
 * user_id, scope, auth_time, amr, sid, identity_id, family_expires_at, now, token_digest, access_jti,
 * access_expires_at, expires_at`. Nothing is
 * written when it has no rows. Shared by {@link tokenFamiliesRepo.insertWithRefreshToken} and
 * `identitiesRepo.findManyWithUser`.
 */
export const familyStarts: RawBuilder<unknown> = sql`
  f as (
    insert into token_families (id, tenant_id, client_id, user_id, scope, auth_time, amr, sid, identity_id, created_at,
                                expires_at)
    select family_id, tenant_id, client_id, user_id, scope, auth_time, amr, sid, identity_id, now, family_expires_at
    from starts
    returning id, tenant_id, expires_at
  ),
  r as (
    insert into refresh_tokens (token_digest, family_id, tenant_id, access_jti, access_expires_at, created_at, expires_at)
    select s.token_digest, f.id, f.tenant_id, s.access_jti, s.access_expires_at, s.now, least(s.expires_at, f.expires_at)
    from f join starts s on s.family_id = f.id
  )`;

export const authorizationCodesRepo = {
  insert: (db: DbExecutor, row: NewAuthorizationCode) =>
    db
      .insertInto('authorization_codes')
      .values({ ...row, amr: JSON.stringify(row.amr) })
      .execute(),

  /**
   * Consumes a code and starts its token family in one statement, only if every binding holds (tenant, client,
   * redirect URI, PKCE, expiry, unused). Two concurrent redemptions: the row lock lets exactly one win.
   * @returns the code row, or undefined when nothing matched (see `find` for why).
   */
  redeem: async (db: DbExecutor, r: CodeRedemption): Promise<AuthorizationCodeRow | undefined> => {
    const result = await sql<AuthorizationCodeRow>`
      with c as (
        update authorization_codes set consumed_at = ${r.now}, family_id = ${r.familyId}
        where code_digest = ${r.codeDigest} and tenant_id = ${r.tenantId} and client_id = ${r.clientId}
          and consumed_at is null and expires_at > ${r.now} and redirect_uri = ${r.redirectUri}
          and code_challenge is not distinct from ${r.challenge}
        returning *
      ), f as (
        insert into token_families (id, tenant_id, client_id, user_id, scope, auth_time, amr, sid, identity_id,
                                    created_at, expires_at)
        select family_id, tenant_id, client_id, user_id, scope, auth_time, amr, sid, identity_id, ${r.now},
               ${r.familyExpiresAt}::timestamptz
        from c
      )
      select * from c`.execute(db);
    return result.rows[0];
  },

  /** Uses up a code without starting a family (a failed redemption). @returns false if it was used already. */
  burn: async (db: DbExecutor, codeDigest: string, now: Date): Promise<boolean> => {
    const result = await db
      .updateTable('authorization_codes')
      .set({ consumed_at: now })
      .where('code_digest', '=', codeDigest)
      .where('consumed_at', 'is', null)
      .executeTakeFirst();
    return result.numUpdatedRows > 0n;
  },

  /** By primary key, whatever its state (to explain a failed redemption and detect replay). */
  find: (db: DbExecutor, codeDigest: string) =>
    db.selectFrom('authorization_codes').selectAll().where('code_digest', '=', codeDigest).executeTakeFirst(),
};

export const tokenFamiliesRepo = {
  /** Starts a family and its first refresh token in one statement. */
  insertWithRefreshToken: (db: DbExecutor, family: NewFamily, token: NewRefreshToken, now: Date) =>
    sql`
      with starts as (
        select ${family.id}::text as family_id, ${family.tenant_id}::text as tenant_id,
               ${family.client_id}::text as client_id, ${family.user_id}::uuid as user_id, ${family.scope}::text as scope,
               ${family.auth_time}::timestamptz as auth_time, ${JSON.stringify(family.amr)}::jsonb as amr,
               ${family.sid}::text as sid, ${family.identity_id}::uuid as identity_id,
               ${family.expires_at}::timestamptz as family_expires_at,
               ${now}::timestamptz as now, ${token.token_digest}::text as token_digest,
               ${token.access_jti}::text as access_jti, ${token.access_expires_at}::timestamptz as access_expires_at,
               ${token.expires_at}::timestamptz as expires_at
      ),
      ${familyStarts}
      select 1`.execute(db),

  /** Records the access token issued when a family started without a refresh token. @returns false if revoked. */
  recordAccessToken: async (db: DbExecutor, familyId: string, jti: string, expiresAt: Date): Promise<boolean> => {
    const result = await db
      .updateTable('token_families')
      .set({ access_jti: jti, access_expires_at: expiresAt })
      .where('id', '=', familyId)
      .where('revoked_at', 'is', null)
      .executeTakeFirst();
    return result.numUpdatedRows > 0n;
  },

  /**
   * Revokes a family and puts every still-valid access token issued in it on the revocation list. Two statements,
   * for one transaction: the first marks the family revoked once no rotation holds it (writers of a family take its
   * row `for share`); the second, with a snapshot taken after that wait, reads the access tokens of every rotation
   * that committed meanwhile. In a single statement they would be read as they were before the wait, and an access
   * token issued by a racing rotation would stay valid until it expired.
   * @returns whether this call revoked it (false: unknown or already revoked).
   */
  /**
   * The ids of a user's families that are not revoked (to revoke them all). Scans the tenant's families: there is no
   * index on `user_id` yet, acceptable for a rare, user-initiated change of second factors.
   */
  listLiveOfUser: async (db: DbExecutor, tenantId: string, userId: string): Promise<string[]> =>
    (
      await db
        .selectFrom('token_families')
        .select('id')
        .where('tenant_id', '=', tenantId)
        .where('user_id', '=', userId)
        .where('revoked_at', 'is', null)
        .execute()
    ).map((row) => row.id),

  revoke: async (trx: Transaction<Database>, familyId: string, now: Date): Promise<boolean> => {
    const revoked = await sql`
      update token_families set revoked_at = ${now} where id = ${familyId} and revoked_at is null`.execute(trx);
    if ((revoked.numAffectedRows ?? 0n) === 0n) return false;
    await sql`
      insert into revoked_access_tokens (jti, tenant_id, expires_at, created_at)
      select jti, tenant_id, expires_at, ${now} from (
        select access_jti as jti, tenant_id, access_expires_at as expires_at from token_families
        where id = ${familyId} and access_jti is not null
        union
        select access_jti, tenant_id, access_expires_at from refresh_tokens where family_id = ${familyId}
      ) issued
      where expires_at > ${now}
      on conflict (jti) do nothing`.execute(trx);
    return true;
  },
  /**
   * Revokes every live family of a user, or only those obtained through one identity, as {@link revoke} does one: the
   * families first (waiting for rotations under way), then, in a second statement, the access tokens issued in them.
   * For the transaction that unlinks the identity or disables the user. Uses token_families_user_identity_idx.
   * @returns the ids of the families this call revoked.
   */
  revokeOfUser: async (
    trx: Transaction<Database>,
    userId: string,
    identityId: string | undefined,
    now: Date,
  ): Promise<string[]> => {
    const { rows } = await sql<{ id: string }>`
      update token_families set revoked_at = ${now}
      where user_id = ${userId} and revoked_at is null
        ${identityId === undefined ? sql`` : sql`and identity_id = ${identityId}`}
      returning id`.execute(trx);
    const ids = rows.map((row) => row.id);
    if (ids.length === 0) return ids;
    await sql`
      insert into revoked_access_tokens (jti, tenant_id, expires_at, created_at)
      select jti, tenant_id, expires_at, ${now} from (
        select access_jti as jti, tenant_id, access_expires_at as expires_at from token_families
        where id = any(${ids}::text[]) and access_jti is not null
        union
        select access_jti, tenant_id, access_expires_at from refresh_tokens where family_id = any(${ids}::text[])
      ) issued
      where expires_at > ${now}
      on conflict (jti) do nothing`.execute(trx);
    return ids;
  },
};

export const refreshTokensRepo = {
  /**
   * Adds a token to a live family, holding the family `for share` so that a concurrent revocation waits for it (see
   * `tokenFamiliesRepo.revoke`); the token expires no later than its family. @returns false when the family was
   * revoked meanwhile or is past its absolute end.
   */
  insert: async (db: DbExecutor, familyId: string, token: NewRefreshToken, now: Date): Promise<boolean> => {
    const result = await sql`
      insert into refresh_tokens (token_digest, family_id, tenant_id, access_jti, access_expires_at, created_at, expires_at)
      select ${token.token_digest}, id, tenant_id, ${token.access_jti}, ${token.access_expires_at}, ${now},
             least(${token.expires_at}::timestamptz, expires_at)
      from token_families where id = ${familyId} and revoked_at is null and expires_at > ${now}
      for share`.execute(db);
    return (result.numAffectedRows ?? 0n) > 0n;
  },

  /**
   * Rotations, one or a batch, in one statement. For each: marks the presented token used (only if it is unused,
   * unexpired, of this tenant and client, and its family is live, before its absolute end, and grants the scope asked
   * for; the next token expires no later than the family), reads the family's
   * user, and adds `next` to the family when that user is active. Of two concurrent uses of a token exactly one gets
   * an answer, in one batch too (the token's row is updated once). Each family is held `for share`: a revocation under
   * way makes the statement wait and then find the family revoked, and a revocation that comes after waits for it (see
   * `tokenFamiliesRepo.revoke`). The new token is stored before its access token is signed (its `access_jti` is
   * chosen beforehand): a failure after this statement leaves an unused refresh token nobody holds, never a token
   * without its row. All or nothing: when the statement fails, no token of the batch was used.
   *
   * Every row is reached by its primary key: the token and its family through lateral subqueries with `limit 1`, the
   * tokens to mark used by their digests as an array, the user by the family's `user_id` alone with its tenant checked
   * on the row read (see `identitiesRepo.findManyWithUser`). The plan is then a handful of index lookups per rotation
   * whatever the tables' statistics say, on a database created a minute ago too.
   * @returns one answer per rotation, in order: undefined when nothing was consumed (see `findWithFamily` for why);
   *   `user` undefined when the user is gone.
   */
  rotateMany: async (db: DbExecutor, rotations: readonly Rotation[]): Promise<(Rotated | undefined)[]> => {
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
  },

  /** A token with its family, whatever their state (to explain a failed use and detect reuse). */
  findWithFamily: async (
    db: DbExecutor,
    tokenDigest: string,
  ): Promise<{ token: RefreshTokenRow; family: TokenFamilyRow } | undefined> => {
    const token = await db
      .selectFrom('refresh_tokens')
      .selectAll()
      .where('token_digest', '=', tokenDigest)
      .executeTakeFirst();
    if (token === undefined) return undefined;
    const family = await db
      .selectFrom('token_families')
      .selectAll()
      .where('id', '=', token.family_id)
      .executeTakeFirstOrThrow();
    return { token, family };
  },
};

export const revokedAccessTokensRepo = {
  insert: (db: DbExecutor, row: { jti: string; tenant_id: string; expires_at: Date; created_at: Date }) =>
    db
      .insertInto('revoked_access_tokens')
      .values(row)
      .onConflict((oc) => oc.column('jti').doNothing())
      .execute(),
  /**
   * Revokes a single-use token on its first use: a conditional insert, so of two concurrent uses (on any instances)
   * exactly one gets true.
   */
  spend: async (db: DbExecutor, row: { jti: string; tenant_id: string; expires_at: Date; created_at: Date }) =>
    (await db
      .insertInto('revoked_access_tokens')
      .values(row)
      .onConflict((oc) => oc.column('jti').doNothing())
      .returning('jti')
      .executeTakeFirst()) !== undefined,
  /** Primary-key lookup. */
  isRevoked: async (db: DbExecutor, jti: string): Promise<boolean> =>
    (await db.selectFrom('revoked_access_tokens').select('jti').where('jti', '=', jti).executeTakeFirst()) !==
    undefined,
};

/**
 * Deletes what can no longer be used: expired codes, access-token revocations past `exp`, expired refresh tokens, and
 * spent link proofs past their token's `exp`.
 */
export const purgeExpiredTokens = async (db: DbExecutor, now: Date): Promise<void> => {
  await db.deleteFrom('authorization_codes').where('expires_at', '<', now).execute();
  await db.deleteFrom('revoked_access_tokens').where('expires_at', '<', now).execute();
  await db.deleteFrom('refresh_tokens').where('expires_at', '<', now).execute();
  await db.deleteFrom('link_proofs').where('expires_at', '<', now).execute();
};

export const linkProofsRepo = {
  /**
   * Spends a link proof: records its `jti` as used, in the transaction that links. Of two uses of one proof exactly one
   * inserts (the other waits for it on the primary key, then finds it).
   * @returns false when it was already spent.
   */
  spend: async (
    db: DbExecutor,
    row: { jti: string; tenant_id: string; client_id: string; user_id: string; used_at: Date; expires_at: Date },
  ): Promise<boolean> => {
    const result = await db
      .insertInto('link_proofs')
      .values(row)
      .onConflict((oc) => oc.column('jti').doNothing())
      .executeTakeFirst();
    return (result.numInsertedOrUpdatedRows ?? 0n) > 0n;
  },
};
