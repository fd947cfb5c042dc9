import { type Kysely, sql } from 'kysely';

// Frozen in time: this file imports nothing from the app.
export const up = async (db: Kysely<any>): Promise<void> => {
  // One row: a value derived from the master key by the first instance that starts (insert … on conflict do nothing),
  // so that an instance started with another key refuses to start instead of sealing with it.
  await db.schema
    .createTable('master_key_checks')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('check_value', 'text', (c) => c.notNull())
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .execute();
};

export const down = async (db: Kysely<any>): Promise<void> => {
  await db.schema.dropTable('master_key_checks').execute();
};
