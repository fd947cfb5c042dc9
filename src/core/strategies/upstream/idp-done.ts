import type { DbExecutor } from '../../../store/database.js';
import { flowsRepo } from '../../../store/repositories/flows.js';
import type { LoginFlowRow } from '../../../store/schema.js';
import type { SignedInResolution } from '../../accounts/outcomes.js';
import type { CoreDeps } from '../../deps.js';
import { flowInvalid, flowLifetimeMs } from '../../flows/flow.js';
import { shownEmail } from '../../users/user.js';

/**
 * With the account's resolution, in one statement: the flow has its user and the identity it signed in through. When another request ended the flow,
 * nothing is written.
 */
export const toIdpDone = async (
  deps: CoreDeps,
  trx: DbExecutor,
  row: LoginFlowRow,
  { user, identity }: SignedInResolution,
) => {
  const now = deps.clock.now();
  const done = await flowsRepo.transition(
    trx,
    row.id,
    { from: ['at_idp'], now },
    {
      status: 'idp_done',
      user_id: user.id,
      username: shownEmail(user) ?? user.id,
      amr: JSON.stringify(['external']),
      identity_id: identity.id,
      auth_time: now,
      pending_identity_enc: null,
      expires_at: new Date(now.getTime() + flowLifetimeMs.resume),
    },
  );
  if (done === undefined) throw flowInvalid();
  return done;
};
