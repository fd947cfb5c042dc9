import { sql } from 'kysely';
import type { DbExecutor } from '../database.js';
import type { RefreshTokenRow, TokenFamilyRow } from '../schema.js';

export interface NewRefreshToken {
  readonly token_digest: string;
  readonly access_jti: string;
  readonly access_expires_at: Date;
  readonly expires_at: Date;
}

/**
 * `refresh_tokens`: stored by digest, each used once. A family's first token is written with the family
 * (`combined/family-starts`); rotations that arrive together share one statement (`batched/refresh-rotations`).
 */
export const refreshTokensRepo = {
  /**
   * Adds a token to a live family, holding the family `for share` so that a concurrent revocation waits for it (see
   * `combined/revoke-token-families`); the token expires no later than its family. @returns false when the family was
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

  deleteExpired: (db: DbExecutor, now: Date) => db.deleteFrom('refresh_tokens').where('expires_at', '<', now).execute(),
};
