import type { DbExecutor } from '../database.js';

export const keysRepo = {
  /** Uses signing_keys_tenant_state_idx; a tenant has at most a handful of keys. */
  listByTenant: (db: DbExecutor, tenantId: string) =>
    db
      .selectFrom('signing_keys')
      .selectAll()
      .where('tenant_id', '=', tenantId)
      .orderBy('created_at')
      .limit(50)
      .execute(),
  insert: (
    db: DbExecutor,
    row: {
      kid: string;
      tenant_id: string;
      alg: string;
      state: 'next' | 'active';
      public_jwk: Record<string, unknown>;
      private_key_enc: string;
      activated_at: Date | null;
    },
  ) =>
    db
      .insertInto('signing_keys')
      .values({ ...row, public_jwk: JSON.stringify(row.public_jwk) })
      .execute(),
  setState: (db: DbExecutor, kid: string, state: 'active' | 'retired', at: Date) =>
    db
      .updateTable('signing_keys')
      .set(state === 'active' ? { state, activated_at: at } : { state, retired_at: at })
      .where('kid', '=', kid)
      .execute(),
  deleteRetiredBefore: (db: DbExecutor, tenantId: string, before: Date) =>
    db
      .deleteFrom('signing_keys')
      .where('tenant_id', '=', tenantId)
      .where('state', '=', 'retired')
      .where('retired_at', '<', before)
      .execute(),
};
