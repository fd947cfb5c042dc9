import type { Insertable, Updateable } from 'kysely';
import type { DbExecutor } from '../database.js';
import type { LoginFlowRow, LoginFlowsTable } from '../schema.js';

type FlowStatus = LoginFlowsTable['status'];
type NewFlow = Insertable<LoginFlowsTable>;

export const flowsRepo = {
  insert: (db: DbExecutor, row: NewFlow) =>
    db.insertInto('login_flows').values(row).returningAll().executeTakeFirstOrThrow(),

  /** Uses the unique index on state_digest. */
  findByState: (db: DbExecutor, stateDigest: string) =>
    db.selectFrom('login_flows').selectAll().where('state_digest', '=', stateDigest).executeTakeFirst(),

  /** Uses the unique index on session_digest. */
  findBySession: (db: DbExecutor, sessionDigest: string) =>
    db.selectFrom('login_flows').selectAll().where('session_digest', '=', sessionDigest).executeTakeFirst(),

  find: (db: DbExecutor, id: string) =>
    db.selectFrom('login_flows').selectAll().where('id', '=', id).executeTakeFirst(),

  /**
   * The one way a flow changes state: only from one of `from`, only before it expires, and (with `step`) only at that
   * challenge. Returns the updated row, or undefined when another request got there first (or it expired).
   */
  transition: (
    db: DbExecutor,
    id: string,
    guard: { from: readonly FlowStatus[]; now: Date; step?: number },
    patch: Updateable<LoginFlowsTable>,
  ): Promise<LoginFlowRow | undefined> => {
    let query = db
      .updateTable('login_flows')
      .set({ ...patch, updated_at: guard.now })
      .where('id', '=', id)
      .where('status', 'in', [...guard.from])
      .where('expires_at', '>', guard.now);
    if (guard.step !== undefined) query = query.where('mfa_step', '=', guard.step);
    return query.returningAll().executeTakeFirst();
  },

  /** Claims the IdP callback of a flow: once per state, before expiry. */
  claimCallback: (db: DbExecutor, id: string, now: Date) =>
    db
      .updateTable('login_flows')
      .set({ callback_at: now, updated_at: now })
      .where('id', '=', id)
      .where('status', '=', 'at_idp')
      .where('callback_at', 'is', null)
      .where('expires_at', '>', now)
      .returningAll()
      .executeTakeFirst(),

  /** Counts a wrong answer; returns the new count, or undefined when the flow is no longer answerable. */
  countFailure: async (db: DbExecutor, id: string, from: readonly FlowStatus[], now: Date) =>
    (
      await db
        .updateTable('login_flows')
        .set((eb) => ({ failed_attempts: eb('failed_attempts', '+', 1), updated_at: now }))
        .where('id', '=', id)
        .where('status', 'in', [...from])
        .returning('failed_attempts')
        .executeTakeFirst()
    )?.failed_attempts,

  /** Ends a flow that is not finished yet (failure, cancellation); a finished one is left as it is. */
  end: (db: DbExecutor, id: string, status: 'failed' | 'cancelled', error: string | null, now: Date) =>
    db
      .updateTable('login_flows')
      .set({ status, error, updated_at: now })
      .where('id', '=', id)
      .where('status', 'in', ['started', 'at_idp', 'idp_done', 'mfa_pending'])
      .returningAll()
      .executeTakeFirst(),

  /** Deletes flows that expired before `before` (login_flows_expires_idx); at most `limit` per call. */
  deleteExpired: async (db: DbExecutor, before: Date, limit: number) => {
    const result = await db
      .deleteFrom('login_flows')
      .where('id', 'in', (eb) =>
        eb.selectFrom('login_flows').select('id').where('expires_at', '<', before).limit(limit),
      )
      .executeTakeFirst();
    return Number(result.numDeletedRows);
  },
};

export type { LoginFlowRow };
