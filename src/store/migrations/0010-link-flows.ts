import type { Kysely } from 'kysely';

// Frozen in time: this file imports nothing from the app.

export const up = async (db: Kysely<any>): Promise<void> => {
  // A `link` flow waits for the owner of an existing account to prove it before the identity an IdP just returned is
  // linked to it: the identity is kept here meanwhile, sealed with the master key, and cleared when the flow ends.
  await db.schema.alterTable('login_flows').addColumn('pending_identity_enc', 'text').execute();
};

export const down = async (db: Kysely<any>): Promise<void> => {
  await db.schema.alterTable('login_flows').dropColumn('pending_identity_enc').execute();
};
