import { randomToken, sha256 } from '../../../lib/crypto.js';
import { newId } from '../../../lib/ids.js';
import { flowsRepo } from '../../../store/repositories/flows.js';
import type { CoreDeps } from '../../deps.js';
import type { ContinueLogin, ContinueLoginResult } from '../../flows/continue.js';
import { flowLifetimeMs, type LoginTarget, newFlowState, stateDigest } from '../../flows/flow.js';
import type { Tenant } from '../../tenants/tenant.js';
import type { User } from '../../users/user.js';

export interface SecondFactorAfterPasswordInput {
  readonly tenant: Tenant;
  /** The user whose password was just checked (`signInWithPassword`). */
  readonly user: User;
  readonly amr: readonly string[];
  readonly authTime: Date;
  readonly target: LoginTarget;
  readonly ip?: string;
}

export interface SecondFactorAfterPassword {
  /** The flow's public handle (`?login=` of the hosted second-factor page). */
  readonly state: string;
  /** The secret the browser must present with the state (a cookie). */
  readonly browserBinding: string;
  readonly next: ContinueLoginResult;
}

/**
 * A browser password sign-in (the hosted page) continues as a login flow: the password is its first factor, on record
 * (`idp_done` with the user, `amr` and `auth_time`), bound to this browser; `continueLogin` then asks for the user's
 * second factors when the tenant's policy wants them, exactly as after an upstream sign-in.
 * @throws GatehouseError what `continueLogin` throws: `mfa_required` (the user has no factor the tenant allows).
 */
export const createSecondFactorAfterPassword =
  (deps: CoreDeps, continueLogin: ContinueLogin) =>
  async (input: SecondFactorAfterPasswordInput): Promise<SecondFactorAfterPassword> => {
    const { tenant, user } = input;
    const state = newFlowState(tenant.id);
    const browserBinding = randomToken(32);
    const now = deps.clock.now();
    await flowsRepo.insert(deps.db, {
      id: newId(),
      tenant_id: tenant.id,
      state_digest: stateDigest(state),
      status: 'idp_done',
      first_factor: 'password',
      binding_digest: sha256(browserBinding),
      target: JSON.stringify(input.target),
      client_id: input.target.clientId,
      user_id: user.id,
      username: user.email ?? user.id,
      amr: JSON.stringify(input.amr),
      auth_time: input.authTime,
      expires_at: new Date(now.getTime() + flowLifetimeMs.resume),
    });
    const next = await continueLogin({
      tenant,
      state,
      browserBinding,
      target: input.target.kind,
      ...(input.ip === undefined ? {} : { ip: input.ip }),
    });
    return { state, browserBinding, next };
  };
