import { sha256 } from '../../../lib/crypto.js';
import { flowsRepo } from '../../../store/repositories/flows.js';
import { challengesRepo } from '../../../store/repositories/mfa-challenges.js';
import type { CoreDeps } from '../../deps.js';
import { GatehouseError } from '../../errors.js';

const linkInvalid = () => new GatehouseError('flow_invalid', 'this link is unknown, expired or already used');

/**
 * The emailed link was opened and confirmed: marks its challenge approved (once, before expiry), so the next poll
 * of the flow passes.
 * @throws GatehouseError `flow_invalid` when the link is unknown, used, superseded or expired, or belongs to a flow
 *   that is no longer waiting for it.
 */
export const createApproveEmailLink =
  (deps: CoreDeps) =>
  async (tenantId: string, token: string): Promise<void> => {
    const challenge = await challengesRepo.findByLink(deps.db, sha256(token));
    if (challenge === undefined || challenge.tenant_id !== tenantId) throw linkInvalid();
    const flow = await flowsRepo.find(deps.db, challenge.flow_id);
    const now = deps.clock.now();
    if (flow === undefined || flow.status !== 'mfa_pending' || flow.expires_at <= now) throw linkInvalid();
    const approved = await challengesRepo.approve(deps.db, challenge.id, now);
    if (approved === undefined) throw linkInvalid();
  };
