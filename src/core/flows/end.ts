import { sha256 } from '../../lib/crypto.js';
import { flowsRepo } from '../../store/repositories/flows.js';
import type { CoreDeps } from '../deps.js';
import type { Tenant } from '../tenants/tenant.js';
import { checkBinding, flowInvalid, type LoginFlow, requireLiveFlow, stateDigest, toLoginFlow } from './flow.js';

/**
 * Ends a flow that is still waiting for an answer (an API caller gives up); its steps stop working.
 * A flow that already finished is left as it is.
 * @throws GatehouseError `flow_invalid` when no such session exists in the tenant.
 */
export const createCancelLogin =
  (deps: CoreDeps) =>
  async (tenant: Tenant, sessionId: string): Promise<void> => {
    const row = await flowsRepo.findBySession(deps.db, sha256(sessionId));
    if (row === undefined || row.tenant_id !== tenant.id) throw flowInvalid();
    await flowsRepo.end(deps.db, row.id, 'cancelled', null, deps.clock.now());
  };

export interface TakeCompletedLoginInput {
  readonly tenant: Tenant;
  readonly state: string;
  readonly browserBinding: string | undefined;
  /** The authorization request taking it: must be the flow's. */
  readonly requestId: string;
}

/**
 * Hands a completed OAuth login to the authorization request it answers, once (`complete` → `consumed`): the
 * caller then issues the authorization code for the returned user.
 * @throws GatehouseError `flow_invalid` (unknown, expired, not complete, taken already, another browser or another
 *   authorization request).
 */
export const createTakeCompletedLogin =
  (deps: CoreDeps) =>
  async (input: TakeCompletedLoginInput): Promise<LoginFlow> => {
    const now = deps.clock.now();
    const row = requireLiveFlow(await flowsRepo.findByState(deps.db, stateDigest(input.state)), input.tenant.id, now);
    checkBinding(row, input.browserBinding, 'resume');
    if (row.target.kind !== 'oauth_authorize' || row.target.requestId !== input.requestId) throw flowInvalid();
    const taken = await flowsRepo.transition(deps.db, row.id, { from: ['complete'], now }, { status: 'consumed' });
    if (taken === undefined || taken.user_id === null) throw flowInvalid();
    return toLoginFlow(taken);
  };
