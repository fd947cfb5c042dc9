import { flowsRepo } from '../../store/repositories/flows.js';
import type { AccountResolver } from '../accounts/resolve-account.js';
import type { AuditLog } from '../audit/events.js';
import type { ClientUseCases } from '../clients/clients.js';
import type { CoreDeps } from '../deps.js';
import type { Mailer } from '../mail/mailer.js';
import { createChallenges } from '../mfa/challenges.js';
import { createMfaEnrolment } from '../mfa/enrolment.js';
import { secondFactorSatisfied } from '../mfa/mfa-policy.js';
import type { LimitedUserUseCases } from '../rate-limit/guards.js';
import type { TenantUseCases } from '../tenants/tenants.js';
import { createBeginUpstreamLogin } from './begin-upstream-login.js';
import { createCompleteUpstreamLogin } from './complete-upstream-login.js';
import type { ConnectorCache } from './connectors.js';
import { createContinueLogin } from './continue-login.js';
import { createCancelLogin, createTakeCompletedLogin } from './end-login.js';
import { createFinishLogin, type IssueLoginTokens } from './finish-login.js';
import { createSecondFactorAfterPassword } from './password-second-factor.js';
import { createStartPasswordLogin } from './start-password-login.js';

/** What the stored login flows need from the rest of the core. */
export interface LoginFlowParts {
  readonly tenants: TenantUseCases;
  readonly clients: ClientUseCases;
  /** Users, with password attempts limited per account and address. */
  readonly users: LimitedUserUseCases;
  readonly connectors: ConnectorCache;
  readonly accounts: AccountResolver;
  readonly audit: AuditLog;
  readonly issueTokens: IssueLoginTokens;
  /** Sign-in mail (codes and links). */
  readonly mailer: Mailer;
}

/** The scopes a Security API login's access token carries, as far as the client may have them. */
const securityApiScopes = ['openid', 'profile', 'email'] as const;

/**
 * Adapts `tokens.issueTokens` to a finished login: an access token (and ID token) for the client, no refresh token,
 * `amr` and `auth_time` from the flow.
 */
export const loginTokensVia =
  (
    issueTokens: (
      input: {
        tenant: Parameters<IssueLoginTokens>[0]['tenant'];
        client: Parameters<IssueLoginTokens>[0]['client'];
        userId: string;
        user: Parameters<IssueLoginTokens>[0]['user'];
        scope: readonly string[];
        amr: readonly string[];
        authTime: Date;
        refreshToken: boolean;
        grantType: string;
        ip?: string;
      },
      db: Parameters<IssueLoginTokens>[1],
    ) => Promise<{ accessToken: string; expiresIn: number }>,
  ): IssueLoginTokens =>
  async (input, db) => {
    const allowed = input.client.settings.scopes;
    const issued = await issueTokens(
      {
        tenant: input.tenant,
        client: input.client,
        userId: input.user.id,
        user: input.user,
        scope: securityApiScopes.filter((scope) => allowed === undefined || allowed.includes(scope)),
        amr: input.amr,
        authTime: input.authTime,
        refreshToken: false,
        grantType: 'security_api',
        ...(input.ip === undefined ? {} : { ip: input.ip }),
      },
      db,
    );
    return { accessToken: issued.accessToken, expiresIn: issued.expiresIn };
  };

/**
 * The stored login flows (redirect to an IdP, password, second factors) and what they use: `login` (the flow
 * engine), `mfa` (challenges and enrolment) and `mail` (the dev outbox).
 */
export const createLoginFlows = (deps: CoreDeps, parts: LoginFlowParts) => {
  const { mailer } = parts;
  const finish = createFinishLogin(deps, parts);
  const challenges = createChallenges(deps, { users: parts.users, mailer, finish, audit: parts.audit });
  const continueLogin = createContinueLogin(deps, { users: parts.users, challenges, finish });
  return {
    login: {
      beginUpstreamLogin: createBeginUpstreamLogin(deps, parts.connectors),
      completeUpstreamLogin: createCompleteUpstreamLogin(deps, parts),
      continueLogin,
      secondFactorAfterPassword: createSecondFactorAfterPassword(deps, continueLogin),
      startPasswordLogin: createStartPasswordLogin(deps, challenges),
      cancelLogin: createCancelLogin(deps),
      takeCompletedLogin: createTakeCompletedLogin(deps),
      /** Deletes flows that expired more than a day ago, in batches (for a periodic job). */
      purgeExpiredFlows: (): Promise<number> =>
        flowsRepo.deleteExpired(deps.db, new Date(deps.clock.now().getTime() - 86_400_000), 1000),
    },
    mfa: {
      /** Whether a sign-in with this `amr` meets the tenant's second-factor policy now (`secondFactorSatisfied`). */
      policyMet: secondFactorSatisfied,
      advance: challenges.advance,
      approveEmailLink: challenges.approveEmailLink,
      pending: challenges.pending,
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
