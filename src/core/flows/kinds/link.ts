import type { ExternalProfile } from '../../../connectors/connector.js';
import { randomToken } from '../../../lib/crypto.js';
import { flowsRepo } from '../../../store/repositories/flows.js';
import type { LoginFlowRow, StoredMfaPackage, UserRow } from '../../../store/schema.js';
import { flowLinkProof } from '../../accounts/link-proof.js';
import { isSignedIn } from '../../accounts/outcomes.js';
import type { AccountResolver } from '../../accounts/resolve-account.js';
import type { AuditLog } from '../../audit/events.js';
import type { CoreDeps } from '../../deps.js';
import { GatehouseError } from '../../errors.js';
import type { Tenant } from '../../tenants/tenant.js';
import type { AssuranceLevel } from '../assurance.js';
import { flowInvalid, flowLifetimeMs, toLoginFlow } from '../flow.js';
import type { StrategyName } from '../strategy.js';
import type { FinishedLogin, FinishLoginInput } from './login.js';

/**
 * The `link` kind: an IdP returned an identity whose proven email belongs to an existing account (the tenant links
 * only with the owner's consent, `merge_needed`). The flow keeps the identity (sealed) and asks the owner to prove the
 * account with one of its own methods; completing it links the identity to that account and signs the owner in, in
 * one transaction, once.
 * - Level 1: the account's `password`, or a one-time code mailed to its address (`email_code`).
 * - Level 2: as `login` (the identity's IdP plus the proof above already make two).
 * - Completing it: the identity is linked (a link proof bound to this flow is spent with it: a replayed step links
 *   nothing), the flow is `complete`, and its authorization request takes it as a login's.
 */
export const linkKind = {
  kind: 'link',
  accepts: {
    1: ['password', 'email_code', 'upstream'],
    2: ['email_code', 'totp', 'recovery_code'],
  },
} as const satisfies { kind: string; accepts: Record<AssuranceLevel, readonly StrategyName[]> };

/** The one step of a link flow: the proofs the existing account has. Undefined when it has none that can be used. */
export const linkSteps = (owner: UserRow, mailAvailable: boolean): StoredMfaPackage | undefined => {
  const mechanisms: StoredMfaPackage['challenges'][number]['mechanisms'][number][] = [];
  if (owner.password_hash !== null) mechanisms.push({ id: randomToken(32), name: 'password' });
  if (mailAvailable && owner.email !== null)
    mechanisms.push({
      id: randomToken(32),
      name: 'email_code',
      partialAddress: owner.email.slice(owner.email.lastIndexOf('@') + 1),
    });
  return mechanisms.length === 0 ? undefined : { challenges: [{ mechanisms }] };
};

export interface BeginLinkInput {
  readonly tenant: Tenant;
  /** The upstream flow whose callback found the existing account (still `at_idp`, its callback claimed). */
  readonly row: LoginFlowRow;
  readonly profile: ExternalProfile;
  /** The existing account the identity's email belongs to. */
  readonly owner: UserRow;
  readonly mailAvailable: boolean;
}

/**
 * Turns the upstream flow into a `link` flow waiting for proof of `owner`: the identity is kept sealed, the step offers
 * the owner's own methods. Undefined when the owner has none (the flow stays as it is, for the caller to end).
 * @throws GatehouseError `user_disabled` (the owner's account is disabled), `flow_invalid` (another request moved the
 *   flow, or it expired).
 */
export const beginLink = async (deps: CoreDeps, input: BeginLinkInput): Promise<LoginFlowRow | undefined> => {
  const { owner, row } = input;
  if (owner.status !== 'active') throw new GatehouseError('user_disabled', 'the user account is disabled');
  const steps = linkSteps(owner, input.mailAvailable);
  if (steps === undefined) return undefined;
  const now = deps.clock.now();
  const moved = await flowsRepo.transition(
    deps.db,
    row.id,
    { from: ['at_idp'], now },
    {
      kind: 'link',
      status: 'mfa_pending',
      user_id: owner.id,
      username: owner.email,
      amr: JSON.stringify(['external']),
      auth_time: now,
      mfa_package: JSON.stringify(steps),
      mfa_step: 0,
      pending_identity_enc: deps.secretBox.seal(JSON.stringify(input.profile)),
      expires_at: new Date(now.getTime() + flowLifetimeMs.challenges),
    },
  );
  if (moved === undefined) throw flowInvalid();
  return moved;
};

/**
 * Completes a `link` flow whose step the owner answered: links the kept identity to the proven account and moves the
 * flow to `complete`, in one transaction. The link proof is the flow itself (spent once: a replay fails as
 * `invalid_grant` and undoes nothing it did not do); the flow's transition is single-use too.
 * @throws GatehouseError `flow_invalid`, `invalid_grant` (replayed), `user_disabled`, `identity_already_linked`
 *   (the identity was linked to another account meanwhile).
 */
export const createFinishLink =
  (deps: CoreDeps, parts: { accounts: AccountResolver; audit: AuditLog }) =>
  async (input: FinishLoginInput): Promise<FinishedLogin> => {
    const { tenant, row } = input;
    if (row.kind !== 'link' || row.pending_identity_enc === null || row.user_id !== input.userId) throw flowInvalid();
    const profile = JSON.parse(deps.secretBox.open(row.pending_identity_enc)) as ExternalProfile;
    const clientId = row.client_id ?? row.target.clientId;
    const proof = flowLinkProof(
      { flowId: row.id, tenantId: tenant.id, clientId, userId: input.userId },
      row.expires_at,
    );
    const now = deps.clock.now();
    const amr = [...new Set(input.amr)];
    const done = await deps.db.transaction().execute(async (trx) => {
      const { resolution } = await parts.accounts.resolve(
        { tenant, profile, intent: { kind: 'link', proof }, connectionTrusted: true },
        undefined,
        trx,
      );
      if (!isSignedIn(resolution) || resolution.user.id !== input.userId)
        throw new GatehouseError('identity_already_linked', 'this sign-in is already linked to another account');
      const moved = await flowsRepo.transition(
        trx,
        row.id,
        { from: input.from, now, ...(input.step === undefined ? {} : { step: input.step }) },
        {
          status: 'complete',
          amr: JSON.stringify(amr),
          auth_time: input.authTime,
          identity_id: resolution.identity.id,
          completed_at: now,
          pending_identity_enc: null,
          expires_at: new Date(now.getTime() + flowLifetimeMs.handOver),
        },
      );
      if (moved === undefined) throw flowInvalid();
      return { moved, user: resolution.user };
    });
    parts.audit.record({
      type: 'login.succeeded',
      outcome: 'success',
      tenantId: tenant.id,
      userId: done.user.id,
      actor: `user:${done.user.id}`,
      ...(row.connection_id === null ? {} : { idp: row.connection_id }),
      clientId,
      ...(input.ip === undefined ? {} : { ip: input.ip }),
      details: { flow: row.id, amr, target: row.target.kind, linked: true },
    });
    return { flow: toLoginFlow(done.moved), user: done.user };
  };
