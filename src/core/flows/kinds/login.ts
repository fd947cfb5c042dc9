import type { DbExecutor } from '../../../store/database.js';
import { flowsRepo } from '../../../store/repositories/flows.js';
import type { LoginFlowRow } from '../../../store/schema.js';
import type { AuditLog } from '../../audit/events.js';
import type { Client } from '../../clients/client.js';
import type { ClientUseCases } from '../../clients/clients.js';
import type { CoreDeps } from '../../deps.js';
import { GatehouseError } from '../../errors.js';
import type { Tenant } from '../../tenants/tenant.js';
import type { User } from '../../users/user.js';
import type { UserUseCases } from '../../users/users.js';
import type { AssuranceLevel } from '../assurance.js';
import { type FlowStatus, flowInvalid, flowLifetimeMs, type LoginFlow, toLoginFlow } from '../flow.js';
import type { StrategyName } from '../strategy.js';

/**
 * The `login` kind: a person proves who they are and the flow returns to its target.
 * - Level 1 (first): `password`, or `upstream` (an IdP through a connector).
 * - Level 2 (when the tenant's `mfa` policy asks for it after the first, see `assurance.ts`): one more of the
 *   strategies the tenant allows (`email_code`, `totp`, `recovery_code`) that the user has.
 * - Completing it: the flow is `complete`; an API caller's target gets tokens in the same transaction, an OAuth
 *   authorization request's target takes the flow later (`consumed`) and issues its code.
 */
export const loginKind = {
  kind: 'login',
  accepts: {
    1: ['password', 'upstream'],
    2: ['email_code', 'totp', 'recovery_code'],
  },
} as const satisfies { kind: string; accepts: Record<AssuranceLevel, readonly StrategyName[]> };

/** The tokens an API caller's login ends with. */
export interface LoginGrant {
  /** An access token of the tenant; also a Bearer token for its `userinfo`. */
  readonly accessToken: string;
  /** Seconds until it expires. */
  readonly expiresIn: number;
}

/** `tokens.issueTokens`, as a finished login uses it (inside the transaction that completes the flow). */
export type IssueLoginTokens = (
  input: {
    readonly tenant: Tenant;
    readonly client: Client;
    readonly userId: string;
    readonly user: User;
    readonly scope: readonly string[];
    readonly amr: readonly string[];
    readonly authTime: Date;
    readonly refreshToken: boolean;
    readonly grantType?: string;
    readonly ip?: string;
  },
  db: DbExecutor,
) => Promise<LoginGrant>;

/** A login that reached `complete`. */
export interface FinishedLogin {
  readonly flow: LoginFlow;
  readonly user: User;
  /** Tokens, for an API caller's login. An OAuth login's code is issued when its authorization request takes the flow. */
  readonly grant?: LoginGrant;
}

export interface FinishLoginInput {
  readonly tenant: Tenant;
  readonly row: LoginFlowRow;
  /** The state(s) the flow must still be in, and (for a challenge) the step it must still be at. */
  readonly from: readonly FlowStatus[];
  readonly step?: number;
  readonly userId: string;
  readonly amr: readonly string[];
  readonly authTime: Date;
  readonly ip?: string;
}

const unique = (values: readonly string[]) => [...new Set(values)];

/** The scope asked for, as far as the client may have it. */
const grantedScope = (asked: readonly string[], client: Client): string[] => {
  const allowed = client.settings.scopes;
  return asked.filter((scope) => allowed === undefined || allowed.includes(scope));
};

/**
 * Completes a login: moves the flow to `complete` and, for an API caller, issues its tokens (an access token and ID
 * token with the scope its target asked for, as far as the client may have it; no refresh token), in one
 * transaction: the tokens exist only if the transition happened, and the transition happens only once.
 * @throws GatehouseError `flow_invalid` (another request finished or ended the flow, or it expired), `user_disabled`,
 *   `not_found` (the client was removed meanwhile), and what issuing tokens throws.
 */
export const createFinishLogin =
  (
    deps: CoreDeps,
    parts: { clients: ClientUseCases; users: UserUseCases; issueTokens: IssueLoginTokens; audit: AuditLog },
  ) =>
  async (input: FinishLoginInput): Promise<FinishedLogin> => {
    const { tenant, row } = input;
    const user = await parts.users.require(tenant.id, input.userId);
    if (user.status !== 'active') throw new GatehouseError('user_disabled', 'the user account is disabled');
    const target = row.target;
    const client = target.kind === 'api' ? await parts.clients.require(tenant.id, target.clientId) : undefined;
    const now = deps.clock.now();
    const amr = unique(input.amr);
    const { flow, grant } = await deps.db.transaction().execute(async (trx) => {
      const done = await flowsRepo.transition(
        trx,
        row.id,
        { from: input.from, now, ...(input.step === undefined ? {} : { step: input.step }) },
        {
          status: 'complete',
          user_id: user.id,
          amr: JSON.stringify(amr),
          auth_time: input.authTime,
          completed_at: now,
          ...(target.kind === 'oauth_authorize'
            ? { expires_at: new Date(now.getTime() + flowLifetimeMs.handOver) }
            : {}),
        },
      );
      if (done === undefined) throw flowInvalid();
      const issued =
        client === undefined || target.kind !== 'api'
          ? undefined
          : await parts.issueTokens(
              {
                tenant,
                client,
                userId: user.id,
                user,
                scope: grantedScope(target.scope ?? [], client),
                amr,
                authTime: input.authTime,
                refreshToken: false,
                ...(target.grantType === undefined ? {} : { grantType: target.grantType }),
                ...(input.ip === undefined ? {} : { ip: input.ip }),
              },
              trx,
            );
      const loginGrant =
        issued === undefined ? undefined : { accessToken: issued.accessToken, expiresIn: issued.expiresIn };
      return { flow: toLoginFlow(done), grant: loginGrant };
    });
    parts.audit.record({
      type: 'login.succeeded',
      outcome: 'success',
      tenantId: tenant.id,
      userId: user.id,
      actor: `user:${user.id}`,
      ...(flow.connectionId === null ? {} : { idp: flow.connectionId }),
      ...(client === undefined ? {} : { clientId: client.clientId }),
      ...(input.ip === undefined ? {} : { ip: input.ip }),
      details: { flow: flow.id, amr, target: target.kind },
    });
    return { flow, user, ...(grant === undefined ? {} : { grant }) };
  };

export type FinishLogin = ReturnType<typeof createFinishLogin>;
