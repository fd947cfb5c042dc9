import { sql } from 'kysely';
import type { DbExecutor } from '../database.js';

export const consentsRepo = {
  /** Primary-key lookup: the scopes `userId` allowed `clientId` so far (space-separated), if any. */
  scopeOf: async (db: DbExecutor, userId: string, clientId: string): Promise<string | undefined> =>
    (
      await db
        .selectFrom('consent_grants')
        .select('scope')
        .where('user_id', '=', userId)
        .where('client_id', '=', clientId)
        .executeTakeFirst()
    )?.scope,

  /** Stores the scopes allowed (all of them, the earlier ones included), in one statement. */
  upsert: (db: DbExecutor, row: { user_id: string; client_id: string; tenant_id: string; scope: string; now: Date }) =>
    db
      .insertInto('consent_grants')
      .values({
        user_id: row.user_id,
        client_id: row.client_id,
        tenant_id: row.tenant_id,
        scope: row.scope,
        created_at: row.now,
        updated_at: row.now,
      })
      .onConflict((oc) =>
        oc.columns(['user_id', 'client_id']).doUpdateSet({ scope: row.scope, updated_at: sql`excluded.updated_at` }),
      )
      .execute(),
};
