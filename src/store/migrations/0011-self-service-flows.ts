import { type Kysely, sql } from 'kysely';

// Frozen in time: this file imports nothing from the app.
export const up = async (db: Kysely<any>): Promise<void> => {
  // A mailed code and link of a self-service flow (verification, recovery, code sign-in): bound to one address, single
  // use, short-lived, with a bounded number of wrong answers. Only digests are stored.
  await db.schema
    .createTable('self_service_flows')
    .addColumn('id', 'uuid', (c) => c.primaryKey())
    .addColumn('tenant_id', 'text', (c) => c.notNull().references('tenants.id').onDelete('cascade'))
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('email', 'text', (c) => c.notNull())
    .addColumn('user_id', 'uuid', (c) => c.references('users.id').onDelete('cascade'))
    .addColumn('code_digest', 'text', (c) => c.notNull())
    .addColumn('link_digest', 'text', (c) => c.notNull().unique())
    .addColumn('status', 'text', (c) => c.notNull().defaultTo('pending'))
    .addColumn('failed_attempts', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('expires_at', 'timestamptz', (c) => c.notNull())
    .addColumn('completed_at', 'timestamptz')
    .execute();
  await db.schema
    .createIndex('self_service_flows_address_idx')
    .on('self_service_flows')
    .columns(['tenant_id', 'kind', 'email', 'created_at'])
    .execute();
  await db.schema.createIndex('self_service_flows_expiry_idx').on('self_service_flows').column('expires_at').execute();
};

export const down = async (db: Kysely<any>): Promise<void> => {
  await db.schema.dropTable('self_service_flows').execute();
};
