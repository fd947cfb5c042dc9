import type { DbExecutor } from '../database.js';
import type { AuthorizationParams, AuthorizationRequestRow } from '../schema.js';

/** `authorization_requests`: authorization requests waiting for the user to sign in or consent. */
export const authorizationRequestsRepo = {
  insert: (
    db: DbExecutor,
    row: {
      id: string;
      tenant_id: string;
      client_id: string;
      binding_digest: string;
      params: AuthorizationParams;
      created_at: Date;
      expires_at: Date;
    },
  ) =>
    db
      .insertInto('authorization_requests')
      .values({ ...row, params: JSON.stringify(row.params) })
      .execute(),
  /** Primary-key lookup of a live request of this tenant bound to this browser. */
  find: (
    db: DbExecutor,
    tenantId: string,
    id: string,
    bindingDigest: string,
    now: Date,
  ): Promise<AuthorizationRequestRow | undefined> =>
    db
      .selectFrom('authorization_requests')
      .selectAll()
      .where('id', '=', id)
      .where('tenant_id', '=', tenantId)
      .where('binding_digest', '=', bindingDigest)
      .where('expires_at', '>', now)
      .executeTakeFirst(),
  /** Takes the request (single use): only one caller gets the row back. */
  consume: (
    db: DbExecutor,
    tenantId: string,
    id: string,
    bindingDigest: string,
    now: Date,
  ): Promise<AuthorizationRequestRow | undefined> =>
    db
      .deleteFrom('authorization_requests')
      .where('id', '=', id)
      .where('tenant_id', '=', tenantId)
      .where('binding_digest', '=', bindingDigest)
      .where('expires_at', '>', now)
      .returningAll()
      .executeTakeFirst(),
  deleteExpired: (db: DbExecutor, now: Date) =>
    db.deleteFrom('authorization_requests').where('expires_at', '<', now).execute(),
};
