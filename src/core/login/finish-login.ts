import type { DbExecutor } from '../../store/database.js';
import { flowsRepo } from '../../store/repositories/flows.js';
import type { LoginFlowRow } from '../../store/schema.js';
import type { AuditLog } from '../audit/events.js';
import type { Client } from '../clients/client.js';
import type { ClientUseCases } from '../clients/clients.js';
import type { CoreDeps } from '../deps.js';
import { GatehouseError } from '../errors.js';
import type { Tenant } from '../tenants/tenant.js';
import type { User } from '../users/user.js';
import type { UserUseCases } from '../users/users.js';
import { type FlowStatus, flowInvalid, flowLifetimeMs, type LoginFlow, toLoginFlow } from './login-flow.js';

/** The tokens a Security API login ends with (`Auth`/`Token` of LoginSuccess). */
export interface LoginGrant {
  /** An access token of the tenant; also a Bearer token for its `userinfo`. */
  readonly accessToken: string;
  /** Seconds until it expires. */
  readonly expiresIn: number;
}

/** Issues a finished login's tokens inside the transaction that completes the flow. */
export type IssueLoginTokens = (
  input: {
    readonly tenant: Tenant;
    readonly client: Client;
    readonly user: User;
    readonly amr: readonly string[];
    readonly authTime: Date;
    readonly ip?: string;
  },
  db: DbExecutor,
) => Promise<LoginGrant>;

/** A login that reached `complete`. */
export interface FinishedLogin {
  readonly flow: LoginFlow;
  readonly user: User;
  /** Tokens, for a Security API login. An OAuth login's code is issued when its authorization request takes the flow. */
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

/**
 * Moves a flow to `complete` and, for the Security API, issues its tokens, in one transaction: the tokens exist only
 * if the transition happened, and the transition happens only once.
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
    const client = target.kind === 'security_api' ? await parts.clients.require(tenant.id, target.clientId) : undefined;
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
        client === undefined
          ? undefined
          : await parts.issueTokens(
              {
                tenant,
                client,
                user,
                amr,
                authTime: input.authTime,
                ...(input.ip === undefined ? {} : { ip: input.ip }),
              },
              trx,
            );
      return { flow: toLoginFlow(done), grant: issued };
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
