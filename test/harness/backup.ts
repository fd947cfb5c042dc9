import { sql } from 'kysely';
import type { Db } from '../../src/store/database.js';

/** The tables a backup holds, each with its primary key (docs/operations.md); written out here, not read from src. */
export const backedUpTables = {
  tenants: ['id'],
  clients: ['client_id'],
  idp_connections: ['tenant_id', 'id'],
  users: ['id'],
  identities: ['id'],
  signing_keys: ['kid'],
  mfa_factors: ['id'],
  revoked_access_tokens: ['jti'],
  admin_tokens: ['id'],
  consent_grants: ['user_id', 'client_id'],
  link_proofs: ['jti'],
  spent_idp_tokens: ['digest'],
} as const;

/**
 * Every row of every backed-up table, by primary key, each row as PostgreSQL's `to_jsonb` writes it in UTC: every
 * column, timestamps to the microsecond, jsonb as stored. Two stores with equal dumps hold the same data.
 */
export const dumpTables = async (db: Db): Promise<Record<string, unknown[]>> =>
  db.transaction().execute(async (trx) => {
    await sql`set local timezone = 'UTC'`.execute(trx);
    const dump: Record<string, unknown[]> = {};
    for (const [table, key] of Object.entries(backedUpTables)) {
      const { rows } = await sql<{ row: unknown }>`
        select to_jsonb(t) as row from ${sql.table(table)} as t
        order by ${sql.join(key.map((column) => sql.ref(column)))}`.execute(trx);
      dump[table] = rows.map((r) => r.row);
    }
    return dump;
  });
