import type { Insertable } from 'kysely';
import type { DbExecutor } from '../database.js';
import type { MfaChallengeRow, MfaChallengesTable } from '../schema.js';

export const challengesRepo = {
  insert: (db: DbExecutor, row: Insertable<MfaChallengesTable>) =>
    db.insertInto('mfa_challenges').values(row).returningAll().executeTakeFirstOrThrow(),
  /** The newest challenge of a flow's mechanism (mfa_challenges_flow_idx). */
  latest: (db: DbExecutor, flowId: string, mechanismId: string) =>
    db
      .selectFrom('mfa_challenges')
      .selectAll()
      .where('flow_id', '=', flowId)
      .where('mechanism_id', '=', mechanismId)
      .orderBy('created_at', 'desc')
      .limit(1)
      .executeTakeFirst(),
  /** Older challenges of the mechanism stop working when a new email is sent. */
  supersede: (db: DbExecutor, flowId: string, mechanismId: string, now: Date) =>
    db
      .updateTable('mfa_challenges')
      .set({ consumed_at: now })
      .where('flow_id', '=', flowId)
      .where('mechanism_id', '=', mechanismId)
      .where('consumed_at', 'is', null)
      .execute(),
  /** Uses the unique index on link_digest. */
  findByLink: (db: DbExecutor, linkDigest: string) =>
    db.selectFrom('mfa_challenges').selectAll().where('link_digest', '=', linkDigest).executeTakeFirst(),
  /** Marks the link as clicked: once, unspent, before expiry. */
  approve: (db: DbExecutor, id: string, now: Date) =>
    db
      .updateTable('mfa_challenges')
      .set({ approved_at: now })
      .where('id', '=', id)
      .where('approved_at', 'is', null)
      .where('consumed_at', 'is', null)
      .where('expires_at', '>', now)
      .returningAll()
      .executeTakeFirst(),
  /** Spends the challenge (by its code, or after its link was clicked): once, before expiry. */
  consume: (db: DbExecutor, id: string, now: Date) =>
    db
      .updateTable('mfa_challenges')
      .set({ consumed_at: now })
      .where('id', '=', id)
      .where('consumed_at', 'is', null)
      .where('expires_at', '>', now)
      .returning('id')
      .executeTakeFirst(),
};

export type { MfaChallengeRow };
