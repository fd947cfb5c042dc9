import type { LoginFlowRow, MfaFactorRow } from '../../store/schema.js';
import type { Tenant } from '../tenants/tenant.js';
import type { User } from '../users/user.js';

/**
 * The ways to prove something, by the core's own names. `upstream` is an IdP through a connector (a redirect, see
 * `upstream/`); the others are answered in a flow's steps. Surfaces translate these to their dialect's words.
 */
export type StrategyName = 'password' | 'upstream' | 'email_code' | 'totp' | 'recovery_code';

/** The strategies a flow step offers: everything but `upstream`, which is a redirect of its own. */
export type StepStrategyName = Exclude<StrategyName, 'upstream'>;

/** What a strategy is checked against: one flow, one of its step's choices, and the user it has established so far. */
export interface StrategyContext {
  readonly tenant: Tenant;
  readonly flow: LoginFlowRow;
  /** The id of the choice being answered (a step's choices each have a random id). */
  readonly choiceId: string;
  /** The user the flow has established (undefined before a password is answered). */
  readonly userId: string | undefined;
  /** The caller's address, for limits keyed by it. */
  readonly ip?: string;
  /** The language the person reads (a BCP 47 tag the surface chose), for what is mailed to them. */
  readonly locale?: string;
}

/** A strategy offered in a step: shown to the user as a choice (`partialAddress`: where an email goes). */
export interface Offer {
  readonly partialAddress?: string;
}

/**
 * One way to answer a flow step. Every strategy has the same small interface: a typed answer, and for out-of-band
 * ones a start and a poll. Answers are single use and compared in constant time; a wrong answer returns undefined
 * (the flow counts it), never throws. Which users it is available to is its own business (`offerTo`).
 */
export interface StepStrategy {
  readonly name: StepStrategyName;
  /** `text`: the answer is typed; `oob`: something is sent first (`start_oob`), then answered or polled. */
  readonly answerType: 'text' | 'oob';
  /** RFC 8176 `amr` values an accepted answer adds. */
  readonly amr: readonly string[];
  /**
   * Whether `user` can answer it now (given the user's stored factors), and how it is shown; undefined when not.
   * The flow asks; the strategy answers.
   */
  offerTo(user: User, factors: readonly MfaFactorRow[]): Offer | undefined;
  /**
   * What it is offered as before anyone knows whether the account exists (a password sign-in's later steps): it
   * depends only on the name typed, so it tells nobody which strategies the account has. Undefined: not offered.
   */
  offerBlind(username: string): Offer | undefined;
  /** @returns the user the answer proves, or undefined when it is wrong. */
  answer(context: StrategyContext, answer: string): Promise<string | undefined>;
  /** Sends the out-of-band message. @throws GatehouseError `rate_limited`, `server_error` (mail) */
  startOob?(context: StrategyContext): Promise<void>;
  /** @returns the user once the out-of-band step was approved (and spends it), else undefined. */
  poll?(context: StrategyContext): Promise<string | undefined>;
}
