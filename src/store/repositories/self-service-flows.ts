import type { Insertable } from 'kysely';
import type { DbExecutor } from '../database.js';
import type { SelfServiceFlowRow, SelfServiceFlowsTable } from '../schema.js';

type Kind = SelfServiceFlowsTable['kind'];

export const selfServiceFlowsRepo = {
  insert: (db: DbExecutor, row: Insertable<SelfServiceFlowsTable>) =>
    db.insertInto('self_service_flows').values(row).returningAll().executeTakeFirstOrThrow(),

  /** The newest pending, unexpired flow of a kind for an address (self_service_flows_address_idx). */
  latestPending: (db: DbExecutor, tenantId: string, kind: Kind, email: string, now: Date) =>
    db
      .selectFrom('self_service_flows')
      .selectAll()
      .where('tenant_id', '=', tenantId)
      .where('kind', '=', kind)
      .where('email', '=', email)
      .where('status', '=', 'pending')
      .where('expires_at', '>', now)
      .orderBy('created_at', 'desc')
      .limit(1)
      .executeTakeFirst(),

  /** Uses the unique index on link_digest. */
  findByLink: (db: DbExecutor, linkDigest: string) =>
    db.selectFrom('self_service_flows').selectAll().where('link_digest', '=', linkDigest).executeTakeFirst(),

  /** Earlier pending flows of the kind for the address stop working when a new code is mailed. */
  supersede: (db: DbExecutor, tenantId: string, kind: Kind, email: string) =>
    db
      .updateTable('self_service_flows')
      .set({ status: 'failed' })
      .where('tenant_id', '=', tenantId)
      .where('kind', '=', kind)
      .where('email', '=', email)
      .where('status', '=', 'pending')
      .execute(),

  /** Spends the flow: once, while pending and unexpired. */
  complete: (db: DbExecutor, id: string, now: Date) =>
    db
      .updateTable('self_service_flows')
      .set({ status: 'complete', completed_at: now })
      .where('id', '=', id)
      .where('status', '=', 'pending')
      .where('expires_at', '>', now)
      .returningAll()
      .executeTakeFirst(),

  /**
   * Counts a wrong answer; the answer that reaches `max` ends the flow (`failed`), in the same statement.
   * @returns the row after the update, if it was still pending.
   */
  countWrongAnswer: (db: DbExecutor, id: string, max: number) =>
    db
      .updateTable('self_service_flows')
      .set((eb) => ({
        failed_attempts: eb('failed_attempts', '+', 1),
        status: eb
          .case()
          .when('failed_attempts', '>=', max - 1)
          .then('failed' as const)
          .else('pending' as const)
          .end(),
      }))
      .where('id', '=', id)
      .where('status', '=', 'pending')
      .returningAll()
      .executeTakeFirst(),

  /** Deletes flows that expired before `now` (periodic cleanup). */
  deleteExpired: (db: DbExecutor, now: Date) =>
    db.deleteFrom('self_service_flows').where('expires_at', '<', now).execute(),
};

export type { SelfServiceFlowRow };
