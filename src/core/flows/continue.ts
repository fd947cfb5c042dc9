import { randomToken, sha256 } from '../../lib/crypto.js';
import { flowsRepo } from '../../store/repositories/flows.js';
import type { CoreDeps } from '../deps.js';
import { GatehouseError } from '../errors.js';
import type { Tenant } from '../tenants/tenant.js';
import { normaliseEmail } from '../users/email.js';
import type { UserUseCases } from '../users/users.js';
import { secondFactorRequired } from './assurance.js';
import type { ChallengePackage, FlowEngine } from './engine.js';
import {
  checkBinding,
  flowInvalid,
  flowLifetimeMs,
  type LoginFlow,
  type LoginTarget,
  requireLiveFlow,
  stateDigest,
  toLoginFlow,
} from './flow.js';
import type { FinishedLogin, FinishLogin } from './kinds/login.js';

export interface ContinueLoginInput {
  readonly tenant: Tenant;
  /** The flow's state, as the IdP callback handed it on. */
  readonly state: string;
  /** The user the caller expects, when it names one; must be the flow's. */
  readonly username?: string;
  /** The flow's binding secret: the browser's cookie, or what the app that started the flow presents. */
  readonly browserBinding?: string;
  /** The kind of target the caller serves; a flow of another kind is not its to continue. */
  readonly target: LoginTarget['kind'];
  readonly ip?: string;
}

/** What follows a first strategy: the login is complete, or steps at a higher level must be answered. */
export type ContinueLoginResult =
  | { readonly kind: 'complete'; readonly finished: FinishedLogin }
  | { readonly kind: 'challenge'; readonly flow: LoginFlow; readonly package: ChallengePackage };

/**
 * After the first strategy (`idp_done`): decides whether the flow must reach level 2. If so, the flow moves to
 * `mfa_pending` with a step of the user's strategies (and, for an API caller, a new session id to address it by); if
 * not, it completes (tokens for an API caller). Callable once per flow: resuming twice fails.
 * @throws GatehouseError `flow_invalid` (unknown, expired, not yet at the IdP's callback, already resumed, another
 *   browser, or `username` is not the flow's user), `mfa_required` (a second factor is required but the user has
 *   none the tenant allows: the flow fails), `user_disabled`.
 */
export const createContinueLogin =
  (deps: CoreDeps, parts: { users: UserUseCases; challenges: FlowEngine; finish: FinishLogin }) =>
  async (input: ContinueLoginInput): Promise<ContinueLoginResult> => {
    const { tenant } = input;
    const now = deps.clock.now();
    const row = requireLiveFlow(await flowsRepo.findByState(deps.db, stateDigest(input.state)), tenant.id, now);
    checkBinding(row, input.browserBinding, 'resume');
    if (row.status !== 'idp_done' || row.user_id === null || row.target.kind !== input.target) throw flowInvalid();
    if (input.username !== undefined && normaliseEmail(input.username) !== normaliseEmail(row.username ?? ''))
      throw flowInvalid();

    if (secondFactorRequired(tenant, row.first_factor)) {
      const user = await parts.users.require(tenant.id, row.user_id);
      const stored = await parts.challenges.secondFactorPackage(row.kind, tenant, user);
      if (stored === undefined) {
        await flowsRepo.end(deps.db, row.id, 'failed', 'mfa_required', now);
        throw new GatehouseError('mfa_required', 'a second factor is required, but this account has none set up');
      }
      // An API caller addresses the steps by a session id; the hosted pages by state and cookie.
      const sessionId = row.target.kind === 'api' ? randomToken(32) : '';
      const pending = await flowsRepo.transition(
        deps.db,
        row.id,
        { from: ['idp_done'], now },
        {
          status: 'mfa_pending',
          session_digest: sessionId === '' ? null : sha256(sessionId),
          mfa_package: JSON.stringify(stored),
          mfa_step: 0,
          expires_at: new Date(now.getTime() + flowLifetimeMs.challenges),
        },
      );
      if (pending === undefined) throw flowInvalid();
      return {
        kind: 'challenge',
        flow: toLoginFlow(pending),
        package: parts.challenges.toPackage(sessionId, tenant.id, stored),
      };
    }
    const finished = await parts.finish({
      tenant,
      row,
      from: ['idp_done'],
      userId: row.user_id,
      amr: row.amr,
      authTime: row.auth_time ?? now,
      ...(input.ip === undefined ? {} : { ip: input.ip }),
    });
    return { kind: 'complete', finished };
  };

export type ContinueLogin = ReturnType<typeof createContinueLogin>;
