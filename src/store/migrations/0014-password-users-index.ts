import { type Kysely, sql } from 'kysely';

// Frozen in time: this file imports nothing from the app.
export const up = async (db: Kysely<any>): Promise<void> => {
  // Whether a tenant has any user with a password (the sign-in page shows its password form only then): one probe of
  // a partial index, whatever the number of social-only users.
  await sql`CREATE INDEX users_tenant_password_idx ON users (tenant_id) WHERE password_hash IS NOT NULL`.execute(db);
};

export const down = async (db: Kysely<any>): Promise<void> => {
  await db.schema.dropIndex('users_tenant_password_idx').execute();
};
