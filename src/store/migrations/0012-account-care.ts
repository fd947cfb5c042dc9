import { type Kysely, sql } from 'kysely';

// Frozen in time: this file imports nothing from the app.
export const up = async (db: Kysely<any>): Promise<void> => {
  // What a user sees of their sessions: the browser and address it started from, and when it was last used (written
  // at most every few minutes, not on every request).
  await db.schema
    .alterTable('sessions')
    .addColumn('user_agent', 'text')
    .addColumn('ip', 'text')
    .addColumn('last_seen_at', 'timestamptz')
    .execute();
  // An operator's "reset needed": the password still verifies, but a password sign-in answers that it must be reset.
  await db.schema
    .alterTable('users')
    .addColumn('password_reset_required', 'boolean', (c) => c.notNull().defaultTo(false))
    .execute();
  // Finding users by the start of their email (emails are stored lower case): a btree with pattern ops serves `like 'x%'`.
  await sql`CREATE INDEX users_tenant_email_prefix_idx ON users (tenant_id, email text_pattern_ops) WHERE email IS NOT NULL`.execute(
    db,
  );
  // A rotated client secret stays valid until its grace ends.
  await db.schema
    .alterTable('clients')
    .addColumn('previous_secret_digest', 'text')
    .addColumn('previous_secret_expires_at', 'timestamptz')
    .execute();
  // A change of a user's email waiting for the one-time code mailed to the new address: one per user, single use.
  await db.schema
    .createTable('email_changes')
    .addColumn('user_id', 'uuid', (c) => c.primaryKey().references('users.id').onDelete('cascade'))
    .addColumn('tenant_id', 'text', (c) => c.notNull().references('tenants.id').onDelete('cascade'))
    .addColumn('email', 'text', (c) => c.notNull())
    .addColumn('code_digest', 'text', (c) => c.notNull())
    .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('expires_at', 'timestamptz', (c) => c.notNull())
    .execute();
};

export const down = async (db: Kysely<any>): Promise<void> => {
  await db.schema.dropTable('email_changes').execute();
  await db.schema
    .alterTable('clients')
    .dropColumn('previous_secret_digest')
    .dropColumn('previous_secret_expires_at')
    .execute();
  await sql`DROP INDEX IF EXISTS users_tenant_email_prefix_idx`.execute(db);
  await db.schema.alterTable('users').dropColumn('password_reset_required').execute();
  await db.schema.alterTable('sessions').dropColumn('user_agent').dropColumn('ip').dropColumn('last_seen_at').execute();
};
