import { type Kysely, sql } from 'kysely';

// Frozen in time: this file imports nothing from the app.
export const up = async (db: Kysely<any>): Promise<void> => {
  // What a user allowed a third-party client: one row per user and client, the scopes granted so far.
  await db.schema
    .createTable('consent_grants')
    .addColumn('user_id', 'uuid', (c) => c.notNull().references('users.id').onDelete('cascade'))
    .addColumn('client_id', 'text', (c) => c.notNull().references('clients.client_id').onDelete('cascade'))
    .addColumn('tenant_id', 'text', (c) => c.notNull().references('tenants.id').onDelete('cascade'))
    .addColumn('scope', 'text', (c) => c.notNull())
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addPrimaryKeyConstraint('consent_grants_pk', ['user_id', 'client_id'])
    .execute();
  await db.schema.createIndex('consent_grants_client_idx').on('consent_grants').column('client_id').execute();
};

export const down = async (db: Kysely<any>): Promise<void> => {
  await db.schema.dropTable('consent_grants').execute();
};
