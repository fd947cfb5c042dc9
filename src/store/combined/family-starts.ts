import { type RawBuilder, sql } from 'kysely';
import type { DbExecutor } from '../database.js';
import type { NewRefreshToken } from '../repositories/refresh-tokens.js';
import type { NewFamily } from '../repositories/token-families.js';

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
 * access_expires_at, expires_at`. Nothing is written when it has no rows. Shared by {@link startTokenFamily} and
 * `batched/returning-sign-ins`.
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

/**
 * Starts a family and its first refresh token in one statement (`token_families` and `refresh_tokens`): an issuance
 * writes once, so that it is atomic with or without a transaction around it.
 */
export const startTokenFamily = (db: DbExecutor, family: NewFamily, token: NewRefreshToken, now: Date) =>
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
      select 1`.execute(db);
