import type { DbExecutor } from '../database.js';
import type { ClientRow, ClientSettings } from '../schema.js';

export const clientsRepo = {
  /** By primary key (client ids are globally unique: the Flex and STS surfaces find the tenant from the client). */
  find: (db: DbExecutor, clientId: string) =>
    db.selectFrom('clients').selectAll().where('client_id', '=', clientId).executeTakeFirst(),
  /** By primary key, the row held until the transaction ends (a read-modify-write of its lists). */
  findForUpdate: (db: DbExecutor, clientId: string) =>
    db.selectFrom('clients').selectAll().where('client_id', '=', clientId).forUpdate().executeTakeFirst(),
  /** Uses clients_tenant_idx. */
  listByTenant: (db: DbExecutor, tenantId: string) =>
    db.selectFrom('clients').selectAll().where('tenant_id', '=', tenantId).orderBy('client_id').limit(1000).execute(),
  insert: (
    db: DbExecutor,
    row: {
      client_id: string;
      tenant_id: string;
      name: string;
      secret_digest: string | null;
      public: boolean;
      redirect_uris: string[];
      callback_urls: string[];
      grant_types: string[];
      settings: ClientSettings;
    },
  ) =>
    db
      .insertInto('clients')
      .values({
        ...row,
        redirect_uris: JSON.stringify(row.redirect_uris),
        callback_urls: JSON.stringify(row.callback_urls),
        grant_types: JSON.stringify(row.grant_types),
        settings: JSON.stringify(row.settings),
      })
      .returningAll()
      .executeTakeFirstOrThrow(),
  update: (
    db: DbExecutor,
    clientId: string,
    patch: Partial<{
      name: string;
      secret_digest: string | null;
      previous_secret_digest: string | null;
      previous_secret_expires_at: Date | null;
      redirect_uris: string[];
      callback_urls: string[];
      grant_types: string[];
      settings: ClientSettings;
    }>,
  ) =>
    db
      .updateTable('clients')
      .set({
        ...(patch.name === undefined ? {} : { name: patch.name }),
        ...(patch.secret_digest === undefined ? {} : { secret_digest: patch.secret_digest }),
        ...(patch.previous_secret_digest === undefined ? {} : { previous_secret_digest: patch.previous_secret_digest }),
        ...(patch.previous_secret_expires_at === undefined
          ? {}
          : { previous_secret_expires_at: patch.previous_secret_expires_at }),
        ...(patch.redirect_uris === undefined ? {} : { redirect_uris: JSON.stringify(patch.redirect_uris) }),
        ...(patch.callback_urls === undefined ? {} : { callback_urls: JSON.stringify(patch.callback_urls) }),
        ...(patch.grant_types === undefined ? {} : { grant_types: JSON.stringify(patch.grant_types) }),
        ...(patch.settings === undefined ? {} : { settings: JSON.stringify(patch.settings) }),
        updated_at: new Date(),
      })
      .where('client_id', '=', clientId)
      .returningAll()
      .executeTakeFirst(),
  delete: (db: DbExecutor, clientId: string) =>
    db.deleteFrom('clients').where('client_id', '=', clientId).executeTakeFirst(),
};

export type { ClientRow };
