import type { Kysely } from 'kysely';

// Frozen in time: this file imports nothing from the app.
export const up = async (db: Kysely<any>): Promise<void> => {
  // Who holds a login flow's binding secret: the browser that started it (a cookie, presented at the IdP callback and
  // after), or the app that started it (presented when it resumes; the IdP callback runs in a browser that lacks it).
  await db.schema.alterTable('login_flows').addColumn('binding_kind', 'text').execute();
};

export const down = async (db: Kysely<any>): Promise<void> => {
  await db.schema.alterTable('login_flows').dropColumn('binding_kind').execute();
};
