import { pingDatabase } from '../store/database.js';
import { createAccountResolver } from './accounts/resolve-account.js';
import { createUnlinkIdentity } from './accounts/unlink-identity.js';
import { auditLoginCancel, auditLoginStart, auditSessionEnd } from './audit/audited.js';
import { createAuditLog } from './audit/events.js';
import { createClientUseCases } from './clients/clients.js';
import { createConfigIoUseCases } from './config-io/index.js';
import { createConnectionUseCases } from './connections/connections.js';
import { createConsentUseCases, createRequireConsent } from './consent/consents.js';
import { createDemoUseCases } from './demo/index.js';
import type { CoreDeps } from './deps.js';
import { createSigningKeyUseCases } from './keys/signing-keys.js';
import { createAuthorizationRequests } from './login/authorization-requests.js';
import { createConnectorCache } from './login/connectors.js';
import { createLoginFlows, loginTokensVia } from './login/login-flows.js';
import { createCompleteNewUser } from './login/new-user-token.js';
import { createSignInWithPassword } from './login/password-login.js';
import { createSignInWithIdpToken } from './login/sign-in-with-idp-token.js';
import { createMaintenance } from './maintenance.js';
import { createCoreMetrics, observeAudit, observeConnectors } from './metrics/metrics.js';
import { limitClientAuthentication, limitPasswordAttempts } from './rate-limit/guards.js';
import { createRateLimit } from './rate-limit/rate-limit.js';
import { createSessionUseCases } from './sessions/sessions.js';
import { createTenantUseCases } from './tenants/tenants.js';
import { createTokenUseCases } from './tokens/tokens.js';
import { createVerifyAccessTokenOfClient } from './tokens/verify-access-token-of-client.js';
import { createUserUseCases } from './users/users.js';

/**
 * The core: every use-case, grouped by area so a call site names the folder it lands in
 * (`core.clients.authenticate`, `core.keys.signJwt`). Surfaces and the CLI reach the store only through this.
 */
export const createCore = (deps: CoreDeps) => {
  const metrics = createCoreMetrics();
  const audit = observeAudit(createAuditLog(deps), metrics);
  const rateLimit = createRateLimit({ ...deps, onLimited: (policy) => metrics.rateLimited(policy.name) });
  const tenants = createTenantUseCases(deps);
  const clients = limitClientAuthentication(createClientUseCases(deps), rateLimit);
  const connections = createConnectionUseCases(deps);
  const users = limitPasswordAttempts(createUserUseCases(deps), rateLimit);
  const keys = createSigningKeyUseCases(deps);
  const configIo = createConfigIoUseCases(deps, audit);
  const demo = createDemoUseCases(deps, configIo);
  const tokens = createTokenUseCases(deps, audit, keys);
  const plainSessions = createSessionUseCases(deps);
  const sessions = { ...plainSessions, end: auditSessionEnd(plainSessions.end, audit) };
  const accounts = { ...createAccountResolver(deps, audit, keys.warm), unlink: createUnlinkIdentity(deps, audit) };
  const connectors = observeConnectors(createConnectorCache(deps, connections), metrics);
  const flows = createLoginFlows(deps, {
    tenants,
    clients,
    users,
    connectors,
    accounts,
    audit,
    issueTokens: loginTokensVia(tokens.issueTokens),
  });
  const login = {
    ...flows.login,
    beginUpstreamLogin: auditLoginStart(flows.login.beginUpstreamLogin, audit),
    cancelLogin: auditLoginCancel(flows.login.cancelLogin, audit),
    connectors,
    signInWithIdpToken: createSignInWithIdpToken(connectors, accounts, audit),
    completeNewUser: createCompleteNewUser(accounts, deps.kv, connectors.trusted),
    signInWithPassword: createSignInWithPassword(deps, users, audit),
    authorizationRequests: createAuthorizationRequests(deps, tokens.authorizationCodes, createRequireConsent(deps)),
  };
  const maintenance = createMaintenance(deps.log, [
    ['tokens', tokens.purgeExpired],
    ['sessions', sessions.purgeExpired],
    ['authorization_requests', login.authorizationRequests.purgeExpired],
    ['login_flows', login.purgeExpiredFlows],
  ]);
  return {
    deps,
    /** The periodic cleanup of expired rows (`start()` in a serving process). */
    maintenance,
    audit,
    tenants,
    clients,
    connections,
    users,
    keys,
    configIo,
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
    /** Rate limits shared by the fleet through Redis when it is configured (`consume`, `check`, `penalize`). */
    rateLimit,
    /** Prometheus metrics of this process (`GET /metrics`). */
    metrics,
    /** True when the store answers (readiness). */
    ping: async (): Promise<boolean> => {
      return pingDatabase(deps.db);
    },
    /** Writes what is buffered and releases the store and the cache. */
    close: async (): Promise<void> => {
      await audit.flush();
      await accounts.flushSignInTimes();
      metrics.close();
      flows.mail.close();
      await deps.kv.close();
      await deps.db.destroy();
    },
  };
};

export type Core = ReturnType<typeof createCore>;
export type { CoreDeps } from './deps.js';
