import { sql } from 'kysely';
import type { DbExecutor } from '../database.js';
import type { TenantPolicies, TenantRow } from '../schema.js';

export const toTenant = (row: TenantRow) => ({
  id: row.id,
  name: row.name,
  policies: row.policies,
  hostnames: row.hostnames,
  createdAt: row.created_at,
});

export const tenantsRepo = {
  find: (db: DbExecutor, id: string) => db.selectFrom('tenants').selectAll().where('id', '=', id).executeTakeFirst(),
  // Bounded: tenants are few; the admin list pages at 500.
  list: (db: DbExecutor) => db.selectFrom('tenants').selectAll().orderBy('id').limit(500).execute(),
  insert: (db: DbExecutor, row: { id: string; name: string; policies: TenantPolicies; hostnames: string[] }) =>
    db
      .insertInto('tenants')
      .values({ ...row, policies: JSON.stringify(row.policies), hostnames: JSON.stringify(row.hostnames) })
      .returningAll()
      .executeTakeFirstOrThrow(),
  update: (db: DbExecutor, id: string, patch: { name?: string; policies?: TenantPolicies; hostnames?: string[] }) =>
    db
      .updateTable('tenants')
      .set({
        ...(patch.name === undefined ? {} : { name: patch.name }),
        ...(patch.policies === undefined ? {} : { policies: JSON.stringify(patch.policies) }),
        ...(patch.hostnames === undefined ? {} : { hostnames: JSON.stringify(patch.hostnames) }),
        updated_at: new Date(),
      })
      .where('id', '=', id)
      .returningAll()
      .executeTakeFirst(),
  delete: (db: DbExecutor, id: string) => db.deleteFrom('tenants').where('id', '=', id).executeTakeFirst(),
  /** The tenant listing this host name (Security API host routing). Small table: a jsonb containment scan. */
  findByHostname: (db: DbExecutor, hostname: string) =>
    db
      .selectFrom('tenants')
      .selectAll()
      .where(sql<boolean>`hostnames @> ${JSON.stringify([hostname])}::jsonb`)
      .executeTakeFirst(),
};
