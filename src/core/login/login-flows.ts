import { flowsRepo } from '../../store/repositories/flows.js';
import type { AccountResolver } from '../accounts/resolve-account.js';
import type { AuditLog } from '../audit/events.js';
import type { ClientUseCases } from '../clients/clients.js';
import type { CoreDeps } from '../deps.js';
import { secondFactorSatisfied } from '../flows/assurance.js';
import { createContinueLogin } from '../flows/continue.js';
import { createCancelLogin, createTakeCompletedLogin } from '../flows/end.js';
import { createFlowEngine } from '../flows/engine.js';
import { createFinishLink } from '../flows/kinds/link.js';
import { createFinishLogin, type FinishLogin, type IssueLoginTokens } from '../flows/kinds/login.js';
import type { Mailer } from '../mail/mailer.js';
import type { LimitedUserUseCases } from '../rate-limit/guards.js';
import type { EmailApprovalLink } from '../strategies/email-code/answer.js';
import { createApproveEmailLink } from '../strategies/email-code/approve-link.js';
import { createStepStrategies } from '../strategies/index.js';
import { createSecondFactorAfterPassword } from '../strategies/password/after-sign-in.js';
import { createStartPasswordLogin } from '../strategies/password/begin.js';
import { createMfaEnrolment } from '../strategies/second-factor-settings.js';
import { createAddressStep } from '../strategies/upstream/address.js';
import { createBeginUpstreamLogin } from '../strategies/upstream/begin.js';
import { createCompleteUpstreamLogin } from '../strategies/upstream/complete.js';
import type { ConnectorCache } from '../strategies/upstream/connectors.js';
import { createExpiredHostedLogin, createFailedHostedLogin } from '../strategies/upstream/hosted-returns.js';
import type { TenantUseCases } from '../tenants/tenants.js';

/** What the stored flows need from the rest of the core. */
export interface LoginFlowParts {
  readonly tenants: TenantUseCases;
  readonly clients: ClientUseCases;
  /** Users, with password attempts limited per account and address. */
  readonly users: LimitedUserUseCases;
  readonly connectors: ConnectorCache;
  readonly accounts: AccountResolver;
  readonly audit: AuditLog;
  /** `tokens.issueTokens`: an API caller's login ends in tokens. */
  readonly issueTokens: IssueLoginTokens;
  /** Sign-in mail (codes and links). */
  readonly mailer: Mailer;
  /** Where an emailed approval link goes (the surface that serves the approval page says). */
  readonly emailApprovalLink: EmailApprovalLink;
}

/**
 * The stored flows wired to their strategies: `login` (beginning and continuing a login through its strategies),
 * `mfa` (the steps at level 2, the email link, the second-factor settings) and `mail` (the dev outbox). The flow engine
 * knows strategies only by the interface in `flows/strategy.ts`; this is where the two meet.
 */
export const createLoginFlows = (deps: CoreDeps, parts: LoginFlowParts) => {
  const { mailer } = parts;
  const finishLogin = createFinishLogin(deps, parts);
  const finishLink = createFinishLink(deps, parts);
  // What completing a flow does is its kind's: a login signs in, a link links the identity it kept and signs in.
  const finish: FinishLogin = (input) => (input.row.kind === 'link' ? finishLink(input) : finishLogin(input));
  const strategies = createStepStrategies(deps, {
    users: parts.users,
    mailer,
    emailApprovalLink: parts.emailApprovalLink,
  });
  const engine = createFlowEngine(deps, { strategies, finish, audit: parts.audit });
  const continueLogin = createContinueLogin(deps, { users: parts.users, challenges: engine, finish });
  return {
    login: {
      beginUpstreamLogin: createBeginUpstreamLogin(deps, parts.connectors),
      completeUpstreamLogin: createCompleteUpstreamLogin(deps, parts),
      /** The address step of a hosted upstream login whose IdP gave no address. */
      address: createAddressStep(deps, parts),
      /** Why a hosted upstream login failed, for its authorization request's answer to the client. */
      failedHostedLogin: createFailedHostedLogin(deps),
      /** The sign-in page of this browser's hosted upstream login that expired at the IdP, if it was one. */
      expiredHostedLogin: createExpiredHostedLogin(deps),
      continueLogin,
      secondFactorAfterPassword: createSecondFactorAfterPassword(deps, continueLogin),
      startPasswordLogin: createStartPasswordLogin(deps, engine),
      cancelLogin: createCancelLogin(deps),
      takeCompletedLogin: createTakeCompletedLogin(deps),
      /** Deletes flows that expired more than a day ago, in batches (for a periodic job). */
      purgeExpiredFlows: (): Promise<number> =>
        flowsRepo.deleteExpired(deps.db, new Date(deps.clock.now().getTime() - 86_400_000), 1000),
    },
    mfa: {
      /** Whether a sign-in with this `amr` meets the tenant's second-factor policy now (`secondFactorSatisfied`). */
      policyMet: secondFactorSatisfied,
      advance: engine.advance,
      approveEmailLink: createApproveEmailLink(deps),
      pending: engine.pending,
      enrolment: createMfaEnrolment(deps, parts.audit),
    },
    mail: {
      /** Development and test without SMTP: the messages that would have been sent, newest first. */
      outbox: mailer.outbox,
      usesOutbox: mailer.usesOutbox,
      close: mailer.close,
    },
  };
};
