import type { LoginFlowRow } from '../../../store/schema.js';
import type { Tenant } from '../../tenants/tenant.js';

/** The mechanisms of a challenge package, by their Security API names. */
export type MechanismName = 'UP' | 'EMAIL' | 'OATH' | 'RECOVERY';

/** What a mechanism is checked against: one flow, one of its mechanisms, and the user it has established so far. */
export interface MechanismContext {
  readonly tenant: Tenant;
  readonly flow: LoginFlowRow;
  readonly mechanismId: string;
  /** The user the flow has established (undefined before a password is answered). */
  readonly userId: string | undefined;
  /** The caller's address, for limits keyed by it. */
  readonly ip?: string;
}

/**
 * One way to answer a challenge. Every mechanism has the same small interface: a typed answer, and for out-of-band
 * ones a start and a poll. Answers are single use and compared in constant time; a wrong answer returns undefined
 * (the caller counts it), never throws.
 */
export interface Mechanism {
  readonly name: MechanismName;
  /** `text`: the answer is typed; `oob`: something is sent first (StartOOB), then answered or polled. */
  readonly answerType: 'text' | 'oob';
  /** RFC 8176 `amr` values an accepted answer adds. */
  readonly amr: readonly string[];
  /** @returns the user the answer proves, or undefined when it is wrong. */
  answer(context: MechanismContext, answer: string): Promise<string | undefined>;
  /** Sends the out-of-band message. @throws GatehouseError `rate_limited`, `server_error` (mail) */
  startOob?(context: MechanismContext): Promise<void>;
  /** @returns the user once the out-of-band step was approved (and spends it), else undefined. */
  poll?(context: MechanismContext): Promise<string | undefined>;
}
