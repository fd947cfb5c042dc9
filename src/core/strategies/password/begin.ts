import { randomToken, sha256 } from '../../../lib/crypto.js';
import { newId } from '../../../lib/ids.js';
import { flowsRepo } from '../../../store/repositories/flows.js';
import type { CoreDeps } from '../../deps.js';
import { GatehouseError } from '../../errors.js';
import type { ChallengePackage, FlowEngine } from '../../flows/engine.js';
import {
  flowLifetimeMs,
  type LoginFlow,
  type LoginTarget,
  newFlowState,
  stateDigest,
  toLoginFlow,
} from '../../flows/flow.js';
import type { Tenant } from '../../tenants/tenant.js';
import { isEmailShaped, normaliseEmail } from '../../users/email.js';

export interface StartPasswordLoginInput {
  readonly tenant: Tenant;
  /** The name typed (an email address). */
  readonly username: string;
  readonly target: LoginTarget;
}

/**
 * The begin half of `password` for an API caller: a login flow (`started`) whose first step is the password, followed
 * by a level-2 step when the tenant's policy asks for one after passwords. The steps are the same whether or not the
 * account exists.
 * @throws GatehouseError `invalid_request` (no user name)
 */
export const createStartPasswordLogin =
  (deps: CoreDeps, challenges: FlowEngine) =>
  async (input: StartPasswordLoginInput): Promise<{ flow: LoginFlow; package: ChallengePackage }> => {
    const trimmed = input.username.trim();
    if (trimmed.length === 0 || trimmed.length > 320) throw new GatehouseError('invalid_request', 'User is required');
    const username = isEmailShaped(normaliseEmail(trimmed)) ? normaliseEmail(trimmed) : trimmed;
    const stored = challenges.passwordPackage(input.tenant, username);
    const sessionId = randomToken(32);
    const now = deps.clock.now();
    const row = await flowsRepo.insert(deps.db, {
      id: newId(),
      tenant_id: input.tenant.id,
      state_digest: stateDigest(newFlowState(input.tenant.id)),
      session_digest: sha256(sessionId),
      status: 'started',
      first_factor: 'password',
      target: JSON.stringify(input.target),
      client_id: input.target.clientId,
      username,
      amr: JSON.stringify([]),
      mfa_package: JSON.stringify(stored),
      expires_at: new Date(now.getTime() + flowLifetimeMs.challenges),
    });
    return { flow: toLoginFlow(row), package: challenges.toPackage(sessionId, input.tenant.id, stored) };
  };
