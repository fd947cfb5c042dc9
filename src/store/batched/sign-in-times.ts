import { sql } from 'kysely';
import { createBatcher } from '../../lib/batcher.js';
import type { Logger } from '../../lib/logger.js';
import type { Db } from '../database.js';

/**
 * When linked identities last signed in (`identities.last_login_at`) for the sign-ins that need no transaction:
 * buffered and written in one statement per batch, like the audit trail, so that a returning user's sign-in has no
 * write of its own besides its tokens. A time is written at most `flushMs` after the sign-in; a later time never
 * loses to an earlier one. `flush()` writes what is pending (shutdown, tests). A batch that cannot be written is
 * logged, never thrown to a caller.
 *
 * Batched because a returning user's sign-in is a hot path: with its lookup and its tokens in one statement (see
 * `returning-sign-ins`), an `UPDATE` of its own would be a second round trip per sign-in
 * (docs/decisions/0004-performance.md).
 */
export const createSignInTimes = (deps: { readonly db: Db; readonly log: Logger }, flushMs = 200, maxBatch = 500) => {
  const write = async (batch: { readonly identityId: string; readonly at: Date }[]) => {
    // The latest time of each identity in the batch.
    const latest = new Map<string, Date>();
    for (const { identityId, at } of batch) {
      const previous = latest.get(identityId);
      if (previous === undefined || previous < at) latest.set(identityId, at);
    }
    try {
      const rows = [...latest].map(([id, at]) => ({ id, at: at.toISOString() }));
      // The identities are found by primary key (`= any(array(...))`): joined to the batch alone, a table without
      // statistics was read whole for every batch.
      await sql`
        with v as materialized (
          select * from jsonb_to_recordset(${JSON.stringify(rows)}::jsonb) as v(id uuid, at timestamptz)
        )
        update identities i set last_login_at = v.at
        from v
        where i.id = any(array(select id from v))
          and i.id = v.id and (i.last_login_at is null or i.last_login_at < v.at)`.execute(deps.db);
    } catch (error) {
      deps.log.error({ err: error, identities: latest.size }, 'sign_in_times.write_failed');
    }
  };
  const batches = createBatcher(write, { flushMs, maxBatch });

  return {
    record: (identityId: string, at: Date): void => batches.add({ identityId, at }),
    flush: batches.flush,
  };
};

export type SignInTimes = ReturnType<typeof createSignInTimes>;
