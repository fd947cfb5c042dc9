import { type Kysely, sql } from 'kysely';

// Frozen in time: this file imports nothing from the app.
export const up = async (db: Kysely<any>): Promise<void> => {
  // Nonces handed to native apps for the provider's ID token to carry: stored as their SHA-256, spent once.
  await db.schema
    .createTable('native_nonces')
    .addColumn('digest', 'text', (c) => c.primaryKey())
    .addColumn('tenant_id', 'text', (c) => c.notNull().references('tenants.id').onDelete('cascade'))
    .addColumn('client_id', 'text', (c) => c.notNull())
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('expires_at', 'timestamptz', (c) => c.notNull())
    .addColumn('used_at', 'timestamptz')
    .execute();
  await db.schema.createIndex('native_nonces_expires_idx').on('native_nonces').column('expires_at').execute();

  // Provider ID tokens without one of those nonces, spent once: the digest of the token, kept until its `exp`.
  await db.schema
    .createTable('spent_idp_tokens')
    .addColumn('digest', 'text', (c) => c.primaryKey())
    .addColumn('tenant_id', 'text', (c) => c.notNull().references('tenants.id').onDelete('cascade'))
    .addColumn('used_at', 'timestamptz', (c) => c.notNull())
    .addColumn('expires_at', 'timestamptz', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('spent_idp_tokens_expires_idx').on('spent_idp_tokens').column('expires_at').execute();
};

export const down = async (db: Kysely<any>): Promise<void> => {
  await db.schema.dropTable('spent_idp_tokens').execute();
  await db.schema.dropTable('native_nonces').execute();
};
