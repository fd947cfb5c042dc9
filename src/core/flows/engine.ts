import { randomToken, sha256 } from '../../lib/crypto.js';
import { flowsRepo } from '../../store/repositories/flows.js';
import { factorsRepo } from '../../store/repositories/mfa-factors.js';
import type { LoginFlowRow, StoredMfaPackage } from '../../store/schema.js';
import type { AuditLog } from '../audit/events.js';
import type { CoreDeps } from '../deps.js';
import { GatehouseError } from '../errors.js';
import type { Tenant } from '../tenants/tenant.js';
import type { User } from '../users/user.js';
import { secondFactorRequired, secondLevelStrategies } from './assurance.js';
import {
  checkBinding,
  type FlowKind,
  flowInvalid,
  type LoginFlow,
  type LoginTarget,
  requireLiveFlow,
  stateDigest,
  toLoginFlow,
} from './flow.js';
import { accepts } from './kinds/index.js';
import type { FinishedLogin, FinishLogin } from './kinds/login.js';
import { countWrongAnswer, maxWrongAnswers, mfaRateLimits, peek, spend } from './limits.js';
import type { Offer, StepStrategy, StepStrategyName } from './strategy.js';

/** One choice of a step, as surfaces render it: a strategy the user may answer the step with. */
export interface MechanismView {
  readonly id: string;
  readonly name: StepStrategyName;
  readonly answerType: 'text' | 'oob';
  /** `email_code`: the domain of the address the message goes to (`mac.com`). */
  readonly partialAddress?: string;
}

/** A flow's steps, answered in order, one choice of each; `sessionId` addresses them (empty for the hosted pages). */
export interface ChallengePackage {
  readonly sessionId: string;
  readonly tenantId: string;
  readonly challenges: readonly { readonly mechanisms: readonly MechanismView[] }[];
}

/** How a surface names the flow it advances: an API caller by its session id, the hosted pages by state + cookie. */
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
  /** The language the person reads (a BCP 47 tag), for what is mailed to them; the tenant's default otherwise. */
  readonly locale?: string;
}

export type AdvanceResult =
  | { readonly kind: 'next_challenge'; readonly flow: LoginFlow }
  | { readonly kind: 'oob_pending'; readonly flow: LoginFlow }
  | { readonly kind: 'complete'; readonly finished: FinishedLogin }
  /** Too many wrong answers: the flow is over. */
  | { readonly kind: 'login_failure'; readonly flow: LoginFlow };

/** The strategies a step can offer, by name (`strategies/index.ts` builds them). */
export type StepStrategies = Readonly<Record<StepStrategyName, StepStrategy>>;

const answerable = ['started', 'mfa_pending'] as const;

type StoredChoice = StoredMfaPackage['challenges'][number]['mechanisms'][number];

const isStepStrategy = (strategies: StepStrategies, name: string): name is StepStrategyName =>
  Object.hasOwn(strategies, name);

/**
 * The flow engine: the steps a flow still needs (built from the strategies its kind accepts at the level it must
 * reach), answering them (single use, rate-limited per flow and per user, a wrong-answer limit that ends the flow),
 * and completing the flow when the last one is answered.
 */
export const createFlowEngine = (
  deps: CoreDeps,
  parts: { strategies: StepStrategies; finish: FinishLogin; audit: AuditLog },
) => {
  const { strategies } = parts;

  const strategyOf = (choice: StoredChoice): StepStrategy => {
    if (!isStepStrategy(strategies, choice.name)) throw flowInvalid();
    return strategies[choice.name];
  };

  const view = (choice: StoredChoice): MechanismView => {
    const strategy = strategyOf(choice);
    return {
      id: choice.id,
      name: strategy.name,
      answerType: strategy.answerType,
      ...(choice.partialAddress === undefined ? {} : { partialAddress: choice.partialAddress }),
    };
  };

  const toPackage = (sessionId: string, tenantId: string, stored: StoredMfaPackage): ChallengePackage => ({
    sessionId,
    tenantId,
    challenges: stored.challenges.map((challenge) => ({ mechanisms: challenge.mechanisms.map(view) })),
  });

  const choice = (name: StepStrategyName, offer: Offer): StoredChoice => ({
    id: randomToken(32),
    name,
    ...(offer.partialAddress === undefined ? {} : { partialAddress: offer.partialAddress }),
  });

  /**
   * The level-2 step for a user who has passed the first strategy: the strategies the flow's kind and the tenant accept
   * that the user can answer now, in the tenant's order; undefined when there are none.
   */
  const secondFactorPackage = async (
    kind: FlowKind,
    tenant: Tenant,
    user: User,
  ): Promise<StoredMfaPackage | undefined> => {
    const factors = await factorsRepo.listByUser(deps.db, tenant.id, user.id);
    const available: StoredChoice[] = [];
    for (const name of secondLevelStrategies(tenant)) {
      if (!accepts(kind, 2, name)) continue;
      const offer = strategies[name].offerTo(user, factors);
      if (offer !== undefined) available.push(choice(name, offer));
    }
    return available.length === 0 ? undefined : { challenges: [{ mechanisms: available }] };
  };

  /**
   * The steps of a password sign-in: the password, then (when the tenant asks for level 2 after passwords) the
   * strategies the tenant accepts. They depend only on the tenant and the name typed, so they tell nobody whether the
   * account exists or which strategies it has.
   */
  const passwordPackage = (tenant: Tenant, username: string): StoredMfaPackage => {
    const second: StoredChoice[] = [];
    if (secondFactorRequired(tenant, 'password')) {
      for (const name of secondLevelStrategies(tenant)) {
        if (!accepts('login', 2, name)) continue;
        const offer = strategies[name].offerBlind(username);
        if (offer !== undefined) second.push(choice(name, offer));
      }
    }
    return {
      challenges: [{ mechanisms: [choice('password', {})] }, ...(second.length > 0 ? [{ mechanisms: second }] : [])],
    };
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
  const wrongAnswer = async (tenant: Tenant, row: LoginFlowRow, name: StepStrategyName): Promise<AdvanceResult> => {
    const now = deps.clock.now();
    const count = await flowsRepo.countFailure(deps.db, row.id, answerable, now);
    if (count === undefined) throw flowInvalid();
    const userWrong = await countWrongAnswer(deps.kv, userKey(tenant, row));
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

  /** The step at `row.mfa_step` was answered by `userId`: move on, or complete the flow. */
  const pass = async (
    input: AdvanceInput,
    row: LoginFlowRow,
    stored: StoredMfaPackage,
    answered: StepStrategy,
    userId: string,
  ): Promise<AdvanceResult> => {
    const now = deps.clock.now();
    // A step answered after a first strategy is on record (the IdP, or a password) raises the level: a second factor.
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
   * Answers, starts or polls one choice of the flow's current step.
   * @throws GatehouseError `flow_invalid` (unknown, expired, finished or foreign flow), `invalid_request` (the
   *   choice is not part of the current step, or its strategy does not support the action), `mfa_answer_invalid`
   *   (wrong answer, attempts left in `details.attemptsLeft`), `rate_limited`, `user_disabled`.
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
    const strategy = strategyOf(chosen);
    await spend(deps.kv, 'attempt_flow', row.id, mfaRateLimits.attemptsPerFlow);
    await spend(deps.kv, 'attempt_user', userKey(tenant, row), mfaRateLimits.attemptsPerUser);
    if ((await peek(deps.kv, 'wrong_user', userKey(tenant, row))) >= mfaRateLimits.wrongAnswersPerUser.points)
      throw new GatehouseError('rate_limited', 'too many wrong answers; try again later');
    const context = {
      tenant,
      flow: row,
      choiceId: chosen.id,
      userId: row.user_id ?? undefined,
      ...(input.ip === undefined ? {} : { ip: input.ip }),
      ...(input.locale === undefined ? {} : { locale: input.locale }),
    };
    switch (input.action) {
      case 'start_oob': {
        if (strategy.startOob === undefined)
          throw new GatehouseError('invalid_request', 'this mechanism has no out-of-band step');
        await strategy.startOob(context);
        parts.audit.record({
          type: 'mfa.challenged',
          outcome: 'info',
          tenantId: tenant.id,
          ...(row.user_id === null ? {} : { userId: row.user_id }),
          details: { mechanism: strategy.name },
        });
        return { kind: 'oob_pending', flow: toLoginFlow(row) };
      }
      case 'poll': {
        if (strategy.poll === undefined) throw new GatehouseError('invalid_request', 'this mechanism cannot be polled');
        const userId = await strategy.poll(context);
        if (userId === undefined) return { kind: 'oob_pending', flow: toLoginFlow(row) };
        return pass(input, row, stored, strategy, userId);
      }
      case 'answer': {
        if (input.answer === undefined || input.answer.length === 0 || input.answer.length > 1024)
          throw new GatehouseError('invalid_request', 'Answer is required');
        const userId = await strategy.answer(context, input.answer);
        if (userId === undefined || (row.user_id !== null && userId !== row.user_id))
          return wrongAnswer(tenant, row, strategy.name);
        return pass(input, row, stored, strategy, userId);
      }
    }
  };

  /** The steps of a flow waiting for an answer (hosted pages), with the step it is at. */
  const pending = async (tenant: Tenant, locator: FlowLocator) => {
    const row = await locate(tenant, locator);
    if (!(answerable as readonly string[]).includes(row.status) || row.mfa_package === null) throw flowInvalid();
    return { flow: toLoginFlow(row), challenges: toPackage('', tenant.id, row.mfa_package).challenges };
  };

  return { advance, pending, secondFactorPackage, passwordPackage, toPackage };
};

export type FlowEngine = ReturnType<typeof createFlowEngine>;
