import { randomToken, sha256 } from '../../lib/crypto.js';
import { flowsRepo } from '../../store/repositories/flows.js';
import { challengesRepo, factorsRepo } from '../../store/repositories/mfa.js';
import type { LoginFlowRow, StoredMfaPackage } from '../../store/schema.js';
import type { AuditLog } from '../audit/events.js';
import type { CoreDeps } from '../deps.js';
import { GatehouseError } from '../errors.js';
import type { FinishedLogin, FinishLogin } from '../login/finish-login.js';
import {
  checkBinding,
  flowInvalid,
  type LoginFlow,
  type LoginTarget,
  requireLiveFlow,
  stateDigest,
  toLoginFlow,
} from '../login/login-flow.js';
import type { Mailer } from '../mail/mailer.js';
import type { LimitedUserUseCases } from '../rate-limit/guards.js';
import type { Tenant } from '../tenants/tenant.js';
import type { User } from '../users/user.js';
import { peek, spend } from './limits.js';
import { createEmailMechanism } from './mechanisms/email.js';
import type { Mechanism, MechanismName } from './mechanisms/mechanism.js';
import { createPasswordMechanism } from './mechanisms/password.js';
import { createRecoveryCodeMechanism } from './mechanisms/recovery-code.js';
import { createTotpMechanism } from './mechanisms/totp.js';
import { allowedFactors, maxWrongAnswers, mfaRateLimits, secondFactorRequired } from './mfa-policy.js';

/** One mechanism of a challenge, as surfaces render it. */
export interface MechanismView {
  readonly id: string;
  readonly name: MechanismName;
  readonly answerType: 'text' | 'oob';
  /** EMAIL: the domain of the address the message goes to (`mac.com`). */
  readonly partialAddress?: string;
}

/** A package of challenges, answered in order, one mechanism of each; `sessionId` addresses it. */
export interface ChallengePackage {
  readonly sessionId: string;
  readonly tenantId: string;
  readonly challenges: readonly { readonly mechanisms: readonly MechanismView[] }[];
}

/** How a surface names the flow it advances: the Security API by `SessionId`, the hosted pages by state + cookie. */
export type FlowLocator =
  | { readonly sessionId: string }
  | { readonly state: string; readonly browserBinding: string | undefined };

export interface AdvanceInput {
  readonly tenant: Tenant;
  readonly flow: FlowLocator;
  /** The kind of target the caller serves; a flow of another kind is not its to advance. */
  readonly target: LoginTarget['kind'];
  readonly mechanismId: string;
  readonly action: 'answer' | 'start_oob' | 'poll';
  readonly answer?: string;
  readonly ip?: string;
}

export type AdvanceResult =
  | { readonly kind: 'next_challenge'; readonly flow: LoginFlow }
  | { readonly kind: 'oob_pending'; readonly flow: LoginFlow }
  | { readonly kind: 'complete'; readonly finished: FinishedLogin }
  /** Too many wrong answers: the flow is over. */
  | { readonly kind: 'login_failure'; readonly flow: LoginFlow };

const answerable = ['started', 'mfa_pending'] as const;

const domainOf = (email: string): string => email.slice(email.lastIndexOf('@') + 1);

/**
 * Second factors: building a user's challenge package, answering it (single use, rate-limited per flow and per user,
 * a wrong-answer limit that ends the flow), and the email link. Finishing the last challenge completes the flow.
 */
export const createChallenges = (
  deps: CoreDeps,
  parts: { users: LimitedUserUseCases; mailer: Mailer; finish: FinishLogin; audit: AuditLog },
) => {
  const mechanisms: Record<MechanismName, Mechanism> = {
    UP: createPasswordMechanism(parts.users),
    EMAIL: createEmailMechanism(deps, parts.users, parts.mailer),
    OATH: createTotpMechanism(deps),
    RECOVERY: createRecoveryCodeMechanism(deps),
  };

  const view = (stored: StoredMfaPackage['challenges'][number]['mechanisms'][number]): MechanismView => {
    const name = stored.name as MechanismName;
    return {
      id: stored.id,
      name,
      answerType: mechanisms[name].answerType,
      ...(stored.partialAddress === undefined ? {} : { partialAddress: stored.partialAddress }),
    };
  };

  const toPackage = (sessionId: string, tenantId: string, stored: StoredMfaPackage): ChallengePackage => ({
    sessionId,
    tenantId,
    challenges: stored.challenges.map((challenge) => ({ mechanisms: challenge.mechanisms.map(view) })),
  });

  const mechanism = (name: MechanismName, partialAddress?: string) => ({
    id: randomToken(32),
    name,
    ...(partialAddress === undefined ? {} : { partialAddress }),
  });

  /** The second factors `user` can answer now, in the tenant's order; empty when none. */
  const userMechanisms = async (tenant: Tenant, user: User) => {
    const factors = await factorsRepo.listByUser(deps.db, tenant.id, user.id);
    const result = [];
    for (const kind of allowedFactors(tenant)) {
      if (kind === 'email' && parts.mailer.available && user.email !== null)
        result.push(mechanism('EMAIL', domainOf(user.email)));
      if (kind === 'totp' && factors.some((f) => f.kind === 'totp' && f.confirmed_at !== null))
        result.push(mechanism('OATH'));
      if (kind === 'recovery_code' && factors.some((f) => f.kind === 'recovery_code' && f.used_at === null))
        result.push(mechanism('RECOVERY'));
    }
    return result;
  };

  /**
   * The second-factor package for a user who has passed the first factor, or undefined when the user has no factor
   * the tenant allows.
   */
  const secondFactorPackage = async (tenant: Tenant, user: User): Promise<StoredMfaPackage | undefined> => {
    const available = await userMechanisms(tenant, user);
    return available.length === 0 ? undefined : { challenges: [{ mechanisms: available }] };
  };

  /**
   * The package of a password sign-in: the password, then (when the tenant asks for a second factor after passwords)
   * the factors the tenant allows. It depends only on the tenant and the name typed, so it tells nobody whether the
   * account exists or which factors it has.
   */
  const passwordPackage = (tenant: Tenant, username: string): StoredMfaPackage => {
    const second = [];
    if (secondFactorRequired(tenant, 'password')) {
      for (const kind of allowedFactors(tenant)) {
        if (kind === 'email' && parts.mailer.available && username.includes('@'))
          second.push(mechanism('EMAIL', domainOf(username)));
        if (kind === 'totp') second.push(mechanism('OATH'));
        if (kind === 'recovery_code') second.push(mechanism('RECOVERY'));
      }
    }
    return { challenges: [{ mechanisms: [mechanism('UP')] }, ...(second.length > 0 ? [{ mechanisms: second }] : [])] };
  };

  const locate = async (tenant: Tenant, locator: FlowLocator): Promise<LoginFlowRow> => {
    const now = deps.clock.now();
    if ('sessionId' in locator) {
      return requireLiveFlow(await flowsRepo.findBySession(deps.db, sha256(locator.sessionId)), tenant.id, now);
    }
    const row = requireLiveFlow(await flowsRepo.findByState(deps.db, stateDigest(locator.state)), tenant.id, now);
    checkBinding(row, locator.browserBinding, 'resume');
    return row;
  };

  const userKey = (tenant: Tenant, row: LoginFlowRow) => row.user_id ?? `${tenant.id}:${row.username ?? ''}`;

  /** Counts a wrong answer; at the limit (per flow, or per user across flows) the flow fails. */
  const wrongAnswer = async (tenant: Tenant, row: LoginFlowRow, name: MechanismName): Promise<AdvanceResult> => {
    const now = deps.clock.now();
    const count = await flowsRepo.countFailure(deps.db, row.id, answerable, now);
    if (count === undefined) throw flowInvalid();
    const userWrong = await deps.kv.increment(
      `mfa:wrong_user:${sha256(userKey(tenant, row))}`,
      mfaRateLimits.wrongAnswersPerUser.windowSeconds,
    );
    const audit = { tenantId: tenant.id, ...(row.user_id === null ? {} : { userId: row.user_id }) };
    if (count >= maxWrongAnswers || userWrong >= mfaRateLimits.wrongAnswersPerUser.points) {
      const ended = await flowsRepo.end(deps.db, row.id, 'failed', 'mfa_answer_invalid', now);
      parts.audit.record({
        type: 'mfa.failed',
        outcome: 'failure',
        ...audit,
        details: { mechanism: name, locked: true },
      });
      if (ended === undefined) throw flowInvalid();
      return { kind: 'login_failure', flow: toLoginFlow(ended) };
    }
    parts.audit.record({ type: 'mfa.failed', outcome: 'failure', ...audit, details: { mechanism: name } });
    throw new GatehouseError('mfa_answer_invalid', 'the answer is wrong or expired', {
      details: { attemptsLeft: maxWrongAnswers - count },
    });
  };

  /** The challenge at `row.mfa_step` was answered by `userId`: move on, or finish. */
  const pass = async (
    input: AdvanceInput,
    row: LoginFlowRow,
    stored: StoredMfaPackage,
    answered: Mechanism,
    userId: string,
  ): Promise<AdvanceResult> => {
    const now = deps.clock.now();
    // A challenge answered after a first factor is on record (the IdP, or a password) is a second factor.
    const secondFactor = row.first_factor === 'upstream' || row.mfa_step > 0 || row.amr.length > 0;
    const amr = [...row.amr, ...answered.amr, ...(secondFactor ? ['mfa'] : [])];
    const authTime = row.auth_time ?? now;
    parts.audit.record({
      type: secondFactor ? 'mfa.succeeded' : 'mfa.challenged',
      outcome: secondFactor ? 'success' : 'info',
      tenantId: input.tenant.id,
      userId,
      details: { mechanism: answered.name, step: row.mfa_step },
    });
    const next = row.mfa_step + 1;
    if (next < stored.challenges.length) {
      const moved = await flowsRepo.transition(
        deps.db,
        row.id,
        { from: [row.status], now, step: row.mfa_step },
        { status: 'mfa_pending', mfa_step: next, user_id: userId, amr: JSON.stringify(amr), auth_time: authTime },
      );
      if (moved === undefined) throw flowInvalid();
      return { kind: 'next_challenge', flow: toLoginFlow(moved) };
    }
    const finished = await parts.finish({
      tenant: input.tenant,
      row,
      from: [row.status],
      step: row.mfa_step,
      userId,
      amr,
      authTime,
      ...(input.ip === undefined ? {} : { ip: input.ip }),
    });
    return { kind: 'complete', finished };
  };

  /**
   * Answers, starts or polls one mechanism of the flow's current challenge.
   * @throws GatehouseError `flow_invalid` (unknown, expired, finished or foreign flow), `invalid_request` (the
   *   mechanism is not part of the current challenge, or does not support the action), `mfa_answer_invalid` (wrong
   *   answer, attempts left in `details.attemptsLeft`), `rate_limited`, `user_disabled`.
   */
  const advance = async (input: AdvanceInput): Promise<AdvanceResult> => {
    const { tenant } = input;
    const row = await locate(tenant, input.flow);
    const stored = row.mfa_package;
    if (!(answerable as readonly string[]).includes(row.status) || stored === null || row.target.kind !== input.target)
      throw flowInvalid();
    const chosen = stored.challenges[row.mfa_step]?.mechanisms.find((m) => m.id === input.mechanismId);
    if (chosen === undefined)
      throw new GatehouseError('invalid_request', 'the mechanism is not part of the current challenge');
    const chosenMechanism = mechanisms[chosen.name as MechanismName];
    await spend(deps.kv, 'attempt_flow', row.id, mfaRateLimits.attemptsPerFlow);
    await spend(deps.kv, 'attempt_user', userKey(tenant, row), mfaRateLimits.attemptsPerUser);
    if ((await peek(deps.kv, 'wrong_user', userKey(tenant, row))) >= mfaRateLimits.wrongAnswersPerUser.points)
      throw new GatehouseError('rate_limited', 'too many wrong answers; try again later');
    const context = {
      tenant,
      flow: row,
      mechanismId: chosen.id,
      userId: row.user_id ?? undefined,
      ...(input.ip === undefined ? {} : { ip: input.ip }),
    };
    switch (input.action) {
      case 'start_oob': {
        if (chosenMechanism.startOob === undefined)
          throw new GatehouseError('invalid_request', `${chosen.name} has no out-of-band step`);
        await chosenMechanism.startOob(context);
        parts.audit.record({
          type: 'mfa.challenged',
          outcome: 'info',
          tenantId: tenant.id,
          ...(row.user_id === null ? {} : { userId: row.user_id }),
          details: { mechanism: chosen.name },
        });
        return { kind: 'oob_pending', flow: toLoginFlow(row) };
      }
      case 'poll': {
        if (chosenMechanism.poll === undefined)
          throw new GatehouseError('invalid_request', `${chosen.name} cannot be polled`);
        const userId = await chosenMechanism.poll(context);
        if (userId === undefined) return { kind: 'oob_pending', flow: toLoginFlow(row) };
        return pass(input, row, stored, chosenMechanism, userId);
      }
      case 'answer': {
        if (input.answer === undefined || input.answer.length === 0 || input.answer.length > 1024)
          throw new GatehouseError('invalid_request', 'Answer is required');
        const userId = await chosenMechanism.answer(context, input.answer);
        if (userId === undefined || (row.user_id !== null && userId !== row.user_id))
          return wrongAnswer(tenant, row, chosenMechanism.name);
        return pass(input, row, stored, chosenMechanism, userId);
      }
    }
  };

  /**
   * The emailed link was opened and confirmed: marks its challenge approved (once, before expiry), so the next poll
   * of the flow passes.
   * @throws GatehouseError `flow_invalid` when the link is unknown, used, superseded or expired, or belongs to a flow
   *   that is no longer waiting for it.
   */
  const approveEmailLink = async (tenantId: string, token: string): Promise<void> => {
    const challenge = await challengesRepo.findByLink(deps.db, sha256(token));
    if (challenge === undefined || challenge.tenant_id !== tenantId)
      throw new GatehouseError('flow_invalid', 'this link is unknown, expired or already used');
    const flow = await flowsRepo.find(deps.db, challenge.flow_id);
    const now = deps.clock.now();
    if (flow === undefined || flow.status !== 'mfa_pending' || flow.expires_at <= now)
      throw new GatehouseError('flow_invalid', 'this link is unknown, expired or already used');
    const approved = await challengesRepo.approve(deps.db, challenge.id, now);
    if (approved === undefined)
      throw new GatehouseError('flow_invalid', 'this link is unknown, expired or already used');
  };

  /** The package of a flow waiting for an answer (hosted pages), with the step it is at. */
  const pending = async (tenant: Tenant, locator: FlowLocator) => {
    const row = await locate(tenant, locator);
    if (!(answerable as readonly string[]).includes(row.status) || row.mfa_package === null) throw flowInvalid();
    return { flow: toLoginFlow(row), challenges: toPackage('', tenant.id, row.mfa_package).challenges };
  };

  return { advance, approveEmailLink, pending, secondFactorPackage, passwordPackage, toPackage };
};

export type Challenges = ReturnType<typeof createChallenges>;
