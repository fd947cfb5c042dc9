import type { DbExecutor } from '../database.js';

const rowId = 'master';

export const keyCheckRepo = {
  /** The stored check value, if a process has written one. Primary key. */
  find: async (db: DbExecutor): Promise<string | undefined> =>
    (await db.selectFrom('master_key_checks').select('check_value').where('id', '=', rowId).executeTakeFirst())
      ?.check_value,
  /** Writes the check value unless one is there already (the first process to start wins). */
  insertIfAbsent: async (db: DbExecutor, value: string): Promise<void> => {
    await db
      .insertInto('master_key_checks')
      .values({ id: rowId, check_value: value })
      .onConflict((c) => c.column('id').doNothing())
      .execute();
  },
  /**
   * One sealed value of each kind the store holds (signing keys, IdP client secrets, TOTP seeds, login flows' PKCE
   * verifiers), to test a key against. Each reads at most one row.
   */
  sampleSealed: async (db: DbExecutor): Promise<string[]> => {
    const found = await Promise.all([
      db.selectFrom('signing_keys').select('private_key_enc as sealed').limit(1).executeTakeFirst(),
      db
        .selectFrom('idp_connections')
        .select('client_secret_enc as sealed')
        .where('client_secret_enc', 'is not', null)
        .limit(1)
        .executeTakeFirst(),
      db
        .selectFrom('mfa_factors')
        .select('secret_enc as sealed')
        .where('secret_enc', 'is not', null)
        .limit(1)
        .executeTakeFirst(),
      db
        .selectFrom('login_flows')
        .select('code_verifier_enc as sealed')
        .where('code_verifier_enc', 'is not', null)
        .limit(1)
        .executeTakeFirst(),
    ]);
    return found.flatMap((row) => (row?.sealed == null ? [] : [row.sealed]));
  },
};
