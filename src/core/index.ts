import { pingDatabase } from '../store/database.js';
import { selfServiceFlowsRepo } from '../store/repositories/self-service-flows.js';
import { createVerifyLinkProof } from './accounts/link-proof.js';
import { createAccountResolver } from './accounts/resolve-account.js';
import { createUnlinkIdentity } from './accounts/unlink-identity.js';
import { createAdminTokenUseCases } from './admin-tokens/admin-tokens.js';
import { auditLoginCancel, auditLoginStart, auditSessionEnd } from './audit/audited.js';
import { createAuditLog } from './audit/events.js';
import { createBackupUseCases } from './backup/index.js';
import { createClientUseCases } from './clients/clients.js';
import { createConfigIoUseCases } from './config-io/index.js';
import { createConnectionUseCases } from './connections/connections.js';
import { createConsentUseCases, createRequireConsent } from './consent/consents.js';
import { createDemoUseCases } from './demo/index.js';
import type { CoreDeps } from './deps.js';
import { GatehouseError } from './errors.js';
import { signupAllows } from './flows/kinds/registration.js';
import { createSigningKeyUseCases } from './keys/signing-keys.js';
import { createAuthorizationRequests } from './login/authorization-requests.js';
import { createLoginFlows } from './login/login-flows.js';
import type { Mailer } from './mail/mailer.js';
import { createMaintenance } from './maintenance.js';
import { createCoreMetrics, observeAudit, observeConnectors } from './metrics/metrics.js';
import { createAccountThrottle } from './rate-limit/account-throttle.js';
import { createFailureNotice } from './rate-limit/failure-notice.js';
import { createGrantGuard, limitClientAuthentication, limitPasswordAttempts } from './rate-limit/guards.js';
import { observeRefusals, type RateLimit } from './rate-limit/rate-limit.js';
import { createSessionUseCases } from './sessions/sessions.js';
import { createNewUserTokens } from './sign-in/new-user-token.js';
import { createSignInWithPassword } from './sign-in/password-login.js';
import { createSignInWithIdpToken } from './sign-in/sign-in-with-idp-token.js';
import { createTokenBinding } from './sign-in/token-binding.js';
import type { EmailApprovalLink } from './strategies/email-code/answer.js';
import { codeSignInEnabled, createCodeSignIn } from './strategies/email-code/first-factor.js';
import { createMailQueue } from './strategies/email-code/mail-queue.js';
import { createMailedCodes } from './strategies/email-code/mailed-code.js';
import { createVerification } from './strategies/email-code/verification.js';
import { createRecovery } from './strategies/password/recovery.js';
import { passwordRules } from './strategies/password/rules.js';
import {
  createRegisterWithPassword,
  createSelfServiceSignUp,
  type SelfServiceLinks,
} from './strategies/password/sign-up.js';
import { createConnectorCache } from './strategies/upstream/connectors.js';
import type { Tenant } from './tenants/tenant.js';
import { createTenantUseCases } from './tenants/tenants.js';
import { createTokenUseCases } from './tokens/tokens.js';
import { createVerifyAccessTokenOfClient } from './tokens/verify-access-token-of-client.js';
import { createAccountSettings } from './users/account-settings.js';
import { createUserCare } from './users/user-care.js';
import { createUserUseCases } from './users/users.js';

/** What the composition root builds for the core besides {@link CoreDeps}: where mail goes and where limits count. */
export interface CoreBackends {
  /** SMTP, or the development outbox (`createMailer`). */
  readonly mailer: Mailer;
  /** Rate-limit counters, in Redis or in memory (`createRateLimit`). */
  readonly rateLimit: RateLimit;
}

/** The part of the settings surfaces read: the public URL (cookies, links) and the mode. */
export interface PublicSettings {
  readonly publicUrl: string;
  readonly mode: CoreDeps['settings']['mode'];
}

/** What the core is handed by the surfaces around it as values: the URLs of theirs it must name. */
export interface CoreEdges {
  /** The page an emailed sign-in approval link opens (`email_code`). */
  readonly emailApprovalLink: EmailApprovalLink;
  /** The pages a verification and a recovery mail link to. */
  readonly selfServiceLinks: SelfServiceLinks;
}

/**
 * The core: every use-case, grouped by area so a call site names the folder it lands in
 * (`core.clients.authenticate`, `core.keys.signJwt`). Surfaces and the CLI reach the store only through this; what
 * the core is built on (the store, the cache, the secret box) is not handed back to them.
 */
export const createCore = (deps: CoreDeps, backends: CoreBackends & CoreEdges) => {
  const metrics = createCoreMetrics(deps.kv.redis);
  const audit = observeAudit(createAuditLog(deps), metrics);
  const rateLimit = observeRefusals(backends.rateLimit, (policy) => metrics.rateLimited(policy));
  const guard = { rateLimit, kv: deps.kv, audit };
  const { mailer } = backends;
  const tenants = createTenantUseCases(deps);
  const clients = limitClientAuthentication(createClientUseCases(deps), guard);
  const connections = createConnectionUseCases(deps);
  const plainUsers = createUserUseCases(deps);
  const failureNotice = createFailureNotice({
    findUser: plainUsers.findByEmail,
    mailer,
    audit,
    log: deps.log,
    tenantLocale: async (id) => (await tenants.get(id))?.policies.branding?.defaultLocale,
  });
  const users = limitPasswordAttempts(plainUsers, {
    ...guard,
    account: createAccountThrottle(deps.kv, deps.clock),
    notice: failureNotice,
  });
  const keys = createSigningKeyUseCases(deps);
  const configIo = createConfigIoUseCases(deps, audit);
  const backup = createBackupUseCases(deps, audit);
  const demo = createDemoUseCases(deps, configIo);
  const tokens = createTokenUseCases(deps, audit, keys);
  const plainSessions = createSessionUseCases(deps);
  const sessions = { ...plainSessions, end: auditSessionEnd(plainSessions.end, audit) };
  const accounts = {
    ...createAccountResolver(deps, audit, keys.warm),
    unlink: createUnlinkIdentity(deps, audit),
    /** Checks the proof of an account a link asks for; see `LinkProof`. */
    verifyLinkProof: createVerifyLinkProof(deps, audit, tokens.verifyAccessToken),
  };
  const connectors = observeConnectors(createConnectorCache(deps, connections), metrics);
  const tokenBinding = createTokenBinding(deps, rateLimit);
  const flows = createLoginFlows(deps, {
    tenants,
    clients,
    users,
    connectors,
    accounts,
    audit,
    issueTokens: tokens.issueTokens,
    mailer,
    emailApprovalLink: backends.emailApprovalLink,
  });
  const login = {
    ...flows.login,
    beginUpstreamLogin: auditLoginStart(flows.login.beginUpstreamLogin, audit),
    cancelLogin: auditLoginCancel(flows.login.cancelLogin, audit),
    connectors,
    signInWithIdpToken: createSignInWithIdpToken({
      connectors,
      accounts,
      audit,
      verifyLinkProof: accounts.verifyLinkProof,
      issueTokens: tokens.issueTokens,
      issueOnSignIn: tokens.issueOnSignIn,
      newUserTokens: createNewUserTokens(deps.clock),
      binding: tokenBinding,
    }),
    /** A nonce for a native app's provider ID token to carry, spent by the sign-in with that token (decision 0022). */
    issueNonce: tokenBinding.issueNonce,
    signInWithPassword: createSignInWithPassword(deps, users, audit),
    authorizationRequests: createAuthorizationRequests(deps, tokens.authorizationCodes, createRequireConsent(deps)),
  };
  const selfService = createSelfService(deps, { users: plainUsers, audit, rateLimit, mailer }, backends);
  const maintenance = createMaintenance(deps.log, [
    ['tokens', tokens.purgeExpired],
    ['sessions', sessions.purgeExpired],
    ['authorization_requests', login.authorizationRequests.purgeExpired],
    ['login_flows', login.purgeExpiredFlows],
    ['native_token_binding', tokenBinding.purgeExpired],
    ['self_service_flows', selfService.purgeExpired],
  ]);
  const settings: PublicSettings = Object.freeze({ publicUrl: deps.settings.publicUrl, mode: deps.settings.mode });
  return {
    /** Read-only: the public URL surfaces build cookies and links with, and the mode. */
    settings,
    /** The clock every use-case reads: surfaces take a session's age and a sign-in's time from it too. */
    clock: deps.clock,
    /** The periodic cleanup of expired rows (`start()` in a serving process). */
    maintenance,
    audit,
    tenants,
    clients,
    connections,
    users,
    /** An operator's care of users: search, merge-patch, password set or reset, second-factor reset, deletion. */
    userCare: createUserCare(deps),
    /** What a signed-in user changes about their own account: names, email (by a mailed code), password, factors. */
    account: createAccountSettings(deps, audit, mailer),
    keys,
    configIo,
    /** Backup and restore of the whole store (`take`, `restore`). */
    backup,
    demo,
    tokens: {
      ...tokens,
      verifyAccessTokenOfClient: createVerifyAccessTokenOfClient({
        findClient: clients.find,
        findTenant: tenants.get,
        verifyAccessToken: (tenantId, token) => tokens.verifyAccessToken(tenantId, token),
      }),
    },
    sessions,
    /** What third-party clients' users allowed them (consent pages). */
    consent: createConsentUseCases(deps, audit),
    accounts,
    login,
    /** Second factors: challenge packages, the email link, TOTP and recovery-code enrolment. */
    mfa: flows.mfa,
    /** Sign-in mail; `outbox` in development and test without SMTP. */
    mail: flows.mail,
    /**
     * The self-service flows: password sign-up (every surface's), address verification, password recovery and sign-in
     * with a mailed code; each answers the same whether or not an address has an account.
     */
    selfService,
    /** Rate limits shared by the fleet through Redis when it is configured (`consume`, `check`, `penalize`). */
    rateLimit,
    /** The limits surfaces apply around their own work: `grant` runs a token grant under `grant_failures`. */
    limits: { grant: createGrantGuard(guard) },
    /** Stored admin API tokens (tenant-bound, scoped) and the admin API's authentication. */
    adminTokens: createAdminTokenUseCases(deps, guard),
    /** Prometheus metrics of this process (`GET /metrics`). */
    metrics,
    /**
     * Readiness: whether the database answers (without it nothing works), and whether Redis does when it is
     * configured (without it this instance works alone: rate limits and caches in its memory). The Redis check takes at
     * most one call timeout, and none while its circuit breaker is open.
     */
    readiness: async (): Promise<Readiness> => {
      const [database, redis] = await Promise.all([
        pingDatabase(deps.db),
        deps.kv.redis === undefined ? Promise.resolve(undefined) : deps.kv.redis.ping(),
      ]);
      return { database, ...(redis === undefined ? {} : { redis }) };
    },
    /**
     * Writes what is buffered and stops the core's timers. The store, the cache and the mailer are closed by whoever
     * built them (`compose.ts`), after this.
     */
    close: async (): Promise<void> => {
      await failureNotice.idle();
      await selfService.idle();
      await audit.flush();
      await accounts.flushSignInTimes();
      metrics.close();
    },
  };
};

/** The self-service use-cases (`core.selfService`), built over the users without the password-attempt limits. */
const createSelfService = (
  deps: CoreDeps,
  parts: {
    users: ReturnType<typeof createUserUseCases>;
    audit: ReturnType<typeof createAuditLog>;
    rateLimit: RateLimit;
    mailer: Mailer;
  },
  edges: CoreEdges,
) => {
  const { users, audit, rateLimit } = parts;
  const codes = createMailedCodes(deps);
  const mail = createMailQueue(parts.mailer, deps.log);
  const links = edges.selfServiceLinks;
  const registerWithPassword = createRegisterWithPassword(users, audit);
  const shared = { users, codes, mail, rateLimit, audit };
  return {
    /** What the tenant offers: sign-up by password or IdP, sign-in by mailed code, and the password rules. */
    offers: (tenant: Tenant) => ({
      passwordSignup: signupAllows(tenant, 'password'),
      upstreamSignup: signupAllows(tenant, 'upstream'),
      codeSignIn: codeSignInEnabled(tenant) && parts.mailer.available,
      recovery: parts.mailer.available,
      passwordRules,
    }),
    /**
     * @throws GatehouseError `access_denied` when the tenant does not offer `what` (a page of it is not shown).
     */
    requireOffered: (tenant: Tenant, what: 'passwordSignup' | 'codeSignIn' | 'recovery'): void => {
      const offered = {
        passwordSignup: signupAllows(tenant, 'password'),
        codeSignIn: codeSignInEnabled(tenant) && parts.mailer.available,
        recovery: parts.mailer.available,
      }[what];
      if (!offered) throw new GatehouseError('access_denied', 'this tenant does not offer this');
    },
    registerWithPassword,
    signUp: createSelfServiceSignUp({ register: registerWithPassword, codes, mail, links, rateLimit }),
    verification: createVerification(deps, { ...shared, link: links.verification }),
    recovery: createRecovery(deps, { ...shared, link: links.recovery }),
    codeSignIn: createCodeSignIn(deps, shared),
    purgeExpired: async (): Promise<void> => {
      await selfServiceFlowsRepo.deleteExpired(deps.db, deps.clock.now());
    },
    /** Resolves once every queued self-service mail was handed to SMTP (or failed). */
    idle: mail.idle,
  };
};

/** What `core.readiness()` found: each dependency answers (true) or not; `redis` is absent when not configured. */
export interface Readiness {
  readonly database: boolean;
  readonly redis?: boolean;
}

export type Core = ReturnType<typeof createCore>;
export type { CoreDeps } from './deps.js';
