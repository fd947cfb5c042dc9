import type { DbExecutor } from '../database.js';

export interface ConnectionWrite {
  tenant_id: string;
  id: string;
  kind: string;
  client_id: string;
  client_secret_enc: string | null;
  scopes: string[] | null;
  endpoints: Record<string, string> | null;
  emulator: string | null;
  trust_email: boolean;
  settings: Record<string, unknown>;
}

export const connectionsRepo = {
  find: (db: DbExecutor, tenantId: string, id: string) =>
    db
      .selectFrom('idp_connections')
      .selectAll()
      .where('tenant_id', '=', tenantId)
      .where('id', '=', id)
      .executeTakeFirst(),
  /** Uses the primary key prefix (tenant_id). */
  listByTenant: (db: DbExecutor, tenantId: string) =>
    db.selectFrom('idp_connections').selectAll().where('tenant_id', '=', tenantId).orderBy('id').limit(500).execute(),
  upsert: (db: DbExecutor, row: ConnectionWrite) => {
    const values = {
      ...row,
      scopes: JSON.stringify(row.scopes),
      endpoints: JSON.stringify(row.endpoints),
      settings: JSON.stringify(row.settings),
    };
    const { tenant_id: _t, id: _i, ...update } = values;
    return db
      .insertInto('idp_connections')
      .values(values)
      .onConflict((oc) => oc.columns(['tenant_id', 'id']).doUpdateSet({ ...update, updated_at: new Date() }))
      .returningAll()
      .executeTakeFirstOrThrow();
  },
  delete: (db: DbExecutor, tenantId: string, id: string) =>
    db.deleteFrom('idp_connections').where('tenant_id', '=', tenantId).where('id', '=', id).executeTakeFirst(),
};
