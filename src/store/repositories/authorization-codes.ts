import type { DbExecutor } from '../database.js';

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

/**
 * `authorization_codes`. A redemption also starts the code's token family, in one statement: see
 * `combined/redeem-authorization-code`.
 */
export const authorizationCodesRepo = {
  insert: (db: DbExecutor, row: NewAuthorizationCode) =>
    db
      .insertInto('authorization_codes')
      .values({ ...row, amr: JSON.stringify(row.amr) })
      .execute(),

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

  deleteExpired: (db: DbExecutor, now: Date) =>
    db.deleteFrom('authorization_codes').where('expires_at', '<', now).execute(),
};
