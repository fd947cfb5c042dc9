import { type Kysely, sql } from 'kysely';

// Frozen in time: this file imports nothing from the app.
export const up = async (db: Kysely<any>): Promise<void> => {
  // Access tokens spent as proof of an account to link an identity to it: each is accepted once.
  await db.schema
    .createTable('link_proofs')
    .addColumn('jti', 'text', (c) => c.primaryKey())
    .addColumn('tenant_id', 'text', (c) => c.notNull().references('tenants.id').onDelete('cascade'))
    .addColumn('client_id', 'text', (c) => c.notNull())
    .addColumn('user_id', 'uuid', (c) => c.notNull().references('users.id').onDelete('cascade'))
    .addColumn('used_at', 'timestamptz', (c) => c.notNull())
    .addColumn('expires_at', 'timestamptz', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('link_proofs_expires_idx').on('link_proofs').column('expires_at').execute();

  // The identity a grant or a session was obtained through (null: a password, a client), ended with its link.
  for (const table of ['token_families', 'authorization_codes', 'sessions', 'login_flows']) {
    await db.schema.alterTable(table).addColumn('identity_id', 'uuid').execute();
  }
  // A family's absolute end: no rotation past it. Existing families keep at least what their tokens already have.
  await db.schema.alterTable('token_families').addColumn('expires_at', 'timestamptz').execute();
  await sql`
    update token_families f set expires_at = greatest(
      f.created_at + interval '30 days',
      (select max(r.expires_at) from refresh_tokens r where r.family_id = f.id))`.execute(db);
  await db.schema
    .alterTable('token_families')
    .alterColumn('expires_at', (c) => c.setNotNull())
    .execute();
  await db.schema
    .createIndex('token_families_user_identity_idx')
    .on('token_families')
    .columns(['user_id', 'identity_id'])
    .execute();
  await db.schema.createIndex('sessions_user_idx').on('sessions').column('user_id').execute();
};

export const down = async (db: Kysely<any>): Promise<void> => {
  await db.schema.dropIndex('sessions_user_idx').execute();
  await db.schema.dropIndex('token_families_user_identity_idx').execute();
  await db.schema.alterTable('token_families').dropColumn('expires_at').execute();
  for (const table of ['login_flows', 'sessions', 'authorization_codes', 'token_families']) {
    await db.schema.alterTable(table).dropColumn('identity_id').execute();
  }
  await db.schema.dropTable('link_proofs').execute();
};
