import type { ReturningSignIns } from '../../store/batched/returning-sign-ins.js';
import type { SignInTimes } from '../../store/batched/sign-in-times.js';
import type { CoreDeps } from '../deps.js';
import { toIdentity, toUser } from '../users/users.js';
import {
  type AccountResolution,
  type ResolveAccountInput,
  requireActive,
  type SignedInResolution,
} from './outcomes.js';
import { runWithin, type WithinResolution } from './within-resolution.js';

/**
 * The common case, without a transaction: an identity already linked to an active user signs in. One read finds
 * both, and also writes the refresh-token family a {@link PlannedWork} planned; `within` runs next (a plain one writes
 * in its own one statement); `last_login_at` is recorded only after it succeeded, in the next batch of sign-in times.
 * Undefined when the identity is not linked yet (the transactional path decides then).
 */
export const signInReturningUser = async <T>(
  deps: Pick<CoreDeps, 'db' | 'clock'>,
  signInTimes: SignInTimes,
  signIns: ReturningSignIns,
  input: ResolveAccountInput,
  within: WithinResolution<T> | undefined,
): Promise<{ resolution: AccountResolution; result: T | undefined } | undefined> => {
  const { tenant, profile } = input;
  const planned = within === undefined || typeof within === 'function' ? undefined : within.plan();
  const found = await signIns({
    tenantId: tenant.id,
    idp: profile.idp,
    subject: profile.subject,
    ...(planned?.start === undefined ? {} : { start: planned.start }),
  });
  if (found === undefined) return undefined;
  requireActive(found.user);
  if (planned?.start !== undefined && !found.familyStarted)
    throw new Error(`the refresh-token family of active user ${found.user.id} was not written`);
  const now = deps.clock.now();
  const resolution: SignedInResolution = {
    kind: 'logged_in',
    user: toUser(found.user),
    identity: toIdentity({ ...found.identity, last_login_at: now }),
  };
  const result =
    within === undefined
      ? undefined
      : planned !== undefined
        ? await planned.finish(resolution)
        : await runWithin(within, deps.db, resolution);
  signInTimes.record(found.identity.id, now);
  return { resolution, result };
};
