import type { KeyValueStore } from '../../kv/kv.js';
import { sha256 } from '../../lib/crypto.js';
import { GatehouseError } from '../errors.js';

/** How many wrong answers end a flow. */
export const maxWrongAnswers = 5;

/** Limits on answers and emails, counted in the shared key-value store (fixed windows). */
export const mfaRateLimits = {
  /** Any answer, poll or email start, per flow. */
  attemptsPerFlow: { points: 30, windowSeconds: 10 * 60 },
  /** Any answer, per user across flows. */
  attemptsPerUser: { points: 60, windowSeconds: 15 * 60 },
  /** Wrong answers per user across flows: a new flow does not buy new guesses. */
  wrongAnswersPerUser: { points: 10, windowSeconds: 15 * 60 },
  /** Sign-in emails per flow and per user. */
  emailsPerFlow: { points: 3, windowSeconds: 10 * 60 },
  emailsPerUser: { points: 6, windowSeconds: 15 * 60 },
} as const;

/**
 * Counts one event against a fixed-window limit in the shared store and refuses past it. Keys are hashed, so no
 * email or user id reaches Redis in clear.
 * @throws GatehouseError `rate_limited`
 */
export const spend = async (
  kv: KeyValueStore,
  name: string,
  subject: string,
  limit: { readonly points: number; readonly windowSeconds: number },
): Promise<number> => {
  const count = await kv.increment(`mfa:${name}:${sha256(subject)}`, limit.windowSeconds);
  if (count > limit.points) throw new GatehouseError('rate_limited', 'too many attempts; try again later');
  return count;
};

/** The current count of a limit without spending (0 when absent). */
export const peek = async (kv: KeyValueStore, name: string, subject: string): Promise<number> =>
  Number((await kv.get(`mfa:${name}:${sha256(subject)}`)) ?? 0);

/** Counts a wrong answer of `subject` against {@link mfaRateLimits.wrongAnswersPerUser}; @returns the new count. */
export const countWrongAnswer = (kv: KeyValueStore, subject: string): Promise<number> =>
  kv.increment(`mfa:wrong_user:${sha256(subject)}`, mfaRateLimits.wrongAnswersPerUser.windowSeconds);
