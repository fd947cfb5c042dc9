import { type Kysely, sql } from 'kysely';

// Frozen in time: this file imports nothing from the app.
export const up = async (db: Kysely<any>): Promise<void> => {
  // A login in progress (redirect to an IdP, password, second factors). Every transition is a conditional UPDATE.
  await db.schema
    .createTable('login_flows')
    .addColumn('id', 'uuid', (c) => c.primaryKey())
    .addColumn('tenant_id', 'text', (c) => c.notNull().references('tenants.id').onDelete('cascade'))
    .addColumn('state_digest', 'text', (c) => c.notNull().unique())
    .addColumn('session_digest', 'text', (c) => c.unique())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('first_factor', 'text', (c) => c.notNull())
    .addColumn('connection_id', 'text')
    .addColumn('callback_name', 'text')
    .addColumn('redirect_uri', 'text')
    .addColumn('code_verifier_enc', 'text')
    .addColumn('nonce_enc', 'text')
    .addColumn('binding_digest', 'text')
    .addColumn('target', 'jsonb', (c) => c.notNull())
    .addColumn('client_id', 'text')
    .addColumn('user_id', 'uuid', (c) => c.references('users.id').onDelete('cascade'))
    .addColumn('username', 'text')
    .addColumn('amr', 'jsonb', (c) => c.notNull().defaultTo(sql`'[]'::jsonb`))
    .addColumn('auth_time', 'timestamptz')
    .addColumn('mfa_package', 'jsonb')
    .addColumn('mfa_step', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('failed_attempts', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('error', 'text')
    .addColumn('callback_at', 'timestamptz')
    .addColumn('completed_at', 'timestamptz')
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('expires_at', 'timestamptz', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('login_flows_expires_idx').on('login_flows').column('expires_at').execute();

  // Second factors: TOTP seeds (sealed with the master key) and recovery codes (SHA-256 digests).
  await db.schema
    .createTable('mfa_factors')
    .addColumn('id', 'uuid', (c) => c.primaryKey())
    .addColumn('tenant_id', 'text', (c) => c.notNull().references('tenants.id').onDelete('cascade'))
    .addColumn('user_id', 'uuid', (c) => c.notNull().references('users.id').onDelete('cascade'))
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('secret_enc', 'text')
    .addColumn('code_digest', 'text')
    .addColumn('confirmed_at', 'timestamptz')
    .addColumn('last_used_step', 'bigint')
    .addColumn('used_at', 'timestamptz')
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .execute();
  await db.schema.createIndex('mfa_factors_user_kind_idx').on('mfa_factors').columns(['user_id', 'kind']).execute();

  // One email sent for a login flow: a code and a link, both single use, both stored as digests.
  await db.schema
    .createTable('mfa_challenges')
    .addColumn('id', 'uuid', (c) => c.primaryKey())
    .addColumn('tenant_id', 'text', (c) => c.notNull().references('tenants.id').onDelete('cascade'))
    .addColumn('flow_id', 'uuid', (c) => c.notNull().references('login_flows.id').onDelete('cascade'))
    .addColumn('user_id', 'uuid', (c) => c.notNull().references('users.id').onDelete('cascade'))
    .addColumn('mechanism_id', 'text', (c) => c.notNull())
    .addColumn('code_digest', 'text', (c) => c.notNull())
    .addColumn('link_digest', 'text', (c) => c.notNull().unique())
    .addColumn('approved_at', 'timestamptz')
    .addColumn('consumed_at', 'timestamptz')
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('expires_at', 'timestamptz', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('mfa_challenges_flow_idx').on('mfa_challenges').column('flow_id').execute();
};

export const down = async (db: Kysely<any>): Promise<void> => {
  for (const table of ['mfa_challenges', 'mfa_factors', 'login_flows']) {
    await db.schema.dropTable(table).execute();
  }
};
