import { sql } from 'kysely';
import type { CoreDeps } from '../deps.js';

/**
 * When linked identities last signed in (`identities.last_login_at`) for the sign-ins that need no transaction:
 * buffered and written in one statement per batch, like the audit trail, so that a returning user's sign-in has no
 * write of its own besides its tokens. A time is written at most `flushMs` after the sign-in; a later time never
 * loses to an earlier one. `flush()` writes what is pending (shutdown, tests). A batch that cannot be written is
 * logged, never thrown to a caller.
 */
export const createSignInTimes = (deps: CoreDeps, flushMs = 200, maxBatch = 500) => {
  let pending = new Map<string, Date>();
  let timer: NodeJS.Timeout | undefined;
  let inFlight: Promise<void> = Promise.resolve();

  const write = async (batch: Map<string, Date>) => {
    try {
      const rows = [...batch].map(([id, at]) => ({ id, at: at.toISOString() }));
      await sql`
        update identities i set last_login_at = v.at
        from jsonb_to_recordset(${JSON.stringify(rows)}::jsonb) as v(id uuid, at timestamptz)
        where i.id = v.id and (i.last_login_at is null or i.last_login_at < v.at)`.execute(deps.db);
    } catch (error) {
      deps.log.error({ err: error, identities: batch.size }, 'sign_in_times.write_failed');
    }
  };

  const flush = async (): Promise<void> => {
    if (timer !== undefined) clearTimeout(timer);
    timer = undefined;
    const batch = pending;
    pending = new Map();
    if (batch.size > 0) inFlight = inFlight.then(() => write(batch));
    await inFlight;
  };

  return {
    record: (identityId: string, at: Date): void => {
      const previous = pending.get(identityId);
      if (previous === undefined || previous < at) pending.set(identityId, at);
      if (pending.size >= maxBatch) void flush();
      else if (timer === undefined) {
        timer = setTimeout(() => void flush(), flushMs);
        timer.unref();
      }
    },
    flush,
  };
};

export type SignInTimes = ReturnType<typeof createSignInTimes>;
