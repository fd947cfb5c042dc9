import type { FamilyStart } from '../../store/combined/family-starts.js';
import type { DbExecutor } from '../../store/database.js';
import type { SignedInResolution } from './outcomes.js';

/**
 * Work that must commit together with a signed-in resolution (issuing tokens, starting a session). When it throws,
 * the whole resolution rolls back: no user, no identity is left behind, and a known identity's `last_login_at` is
 * not moved. It gets a transaction when the resolution writes something, else the database: it must write in at most
 * one statement (as `issueTokens` does), so that it is atomic either way. A {@link PlannedWork} can also name that
 * one write before the user is known.
 */
export type WithinResolution<T> = SignedInWork<T> | PlannedWork<T>;

type SignedInWork<T> = (db: DbExecutor, resolution: SignedInResolution) => Promise<T>;

/**
 * Work whose one write is a refresh-token family that can be chosen before the user is known. A returning user's
 * sign-in then writes it in the statement that finds the user (one round trip, not two), and `finish` completes the
 * work without writing; every other resolution runs `run` as any {@link WithinResolution} and the plan is dropped.
 * A failure in `finish` leaves a family whose refresh token nobody holds, never a token without its row.
 */
export interface PlannedWork<T> {
  readonly run: SignedInWork<T>;
  /** Called once for a sign-in that may be a returning user's; `start` undefined when the work writes nothing. */
  readonly plan: () => {
    readonly start: FamilyStart | undefined;
    readonly finish: (resolution: SignedInResolution) => Promise<T>;
  };
}

export const runWithin = <T>(
  within: WithinResolution<T>,
  db: DbExecutor,
  resolution: SignedInResolution,
): Promise<T> => (typeof within === 'function' ? within(db, resolution) : within.run(db, resolution));
