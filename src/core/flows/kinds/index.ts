import type { AssuranceLevel } from '../assurance.js';
import type { FlowKind } from '../flow.js';
import type { StrategyName } from '../strategy.js';
import { linkKind } from './link.js';
import { loginKind } from './login.js';
import { recoveryKind } from './recovery.js';
import { registrationKind } from './registration.js';
import { verificationKind } from './verification.js';

/**
 * Every kind of flow, one file each, by the name stored with the flow. A new kind (registration, recovery,
 * verification, settings, link) is one file in this folder that says which strategies it accepts at which level and
 * what completing it does, and one line here.
 */
export const flowKinds = {
  login: loginKind,
  link: linkKind,
} as const satisfies Record<
  FlowKind,
  { readonly kind: FlowKind; readonly accepts: Readonly<Record<AssuranceLevel, readonly StrategyName[]>> }
>;

/** Whether a flow of `kind` accepts `strategy` at `level`. */
export const accepts = (kind: FlowKind, level: AssuranceLevel, strategy: StrategyName): boolean =>
  (flowKinds[kind].accepts[level] as readonly StrategyName[]).includes(strategy);

/**
 * The self-service kinds: their flows are mailed codes (`self_service_flows`), not login flows, so they are listed
 * apart from {@link flowKinds}; each file says what it accepts and what completing it does.
 */
export const selfServiceKinds = {
  registration: registrationKind,
  verification: verificationKind,
  recovery: recoveryKind,
} as const;
