import { sql, type Transaction } from 'kysely';
import type { DbExecutor } from '../database.js';
import type { Database } from '../schema.js';

/** `revoked_access_tokens`: the `jti`s of access tokens refused before their `exp`. */
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

  /**
   * Puts every still-valid access token issued in a family (its first one, and each rotation's) on the list. Run after
   * the family was marked revoked, in the same transaction: see `combined/revoke-token-families`.
   */
  insertIssuedInFamily: async (trx: Transaction<Database>, familyId: string, now: Date): Promise<void> => {
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
  },

  /** {@link insertIssuedInFamily} for several families. */
  insertIssuedInFamilies: async (
    trx: Transaction<Database>,
    familyIds: readonly string[],
    now: Date,
  ): Promise<void> => {
    await sql`
      insert into revoked_access_tokens (jti, tenant_id, expires_at, created_at)
      select jti, tenant_id, expires_at, ${now} from (
        select access_jti as jti, tenant_id, access_expires_at as expires_at from token_families
        where id = any(${familyIds}::text[]) and access_jti is not null
        union
        select access_jti, tenant_id, access_expires_at from refresh_tokens where family_id = any(${familyIds}::text[])
      ) issued
      where expires_at > ${now}
      on conflict (jti) do nothing`.execute(trx);
  },

  /** Revocations past the token's `exp`. */
  deleteExpired: (db: DbExecutor, now: Date) =>
    db.deleteFrom('revoked_access_tokens').where('expires_at', '<', now).execute(),
};
