import type { KeyValueStore } from '../../kv/kv.js';
import { sha256 } from '../../lib/crypto.js';
import type { AuditLog } from '../audit/events.js';
import type { ClientAuthentication, ClientUseCases } from '../clients/clients.js';
import { GatehouseError } from '../errors.js';
import { normaliseEmail } from '../users/email.js';
import type { UserUseCases } from '../users/users.js';
import type { AccountThrottle } from './account-throttle.js';
import type { FailureNotice } from './failure-notice.js';
import { accountPasswordPolicy, type RateLimitPolicy, rateLimitPolicies } from './policies.js';
import { type RateLimit, retryAfterOf } from './rate-limit.js';

/** Where an attempt comes from; surfaces pass the client address they trust (`request.ip`) and the client. */
export interface AttemptContext {
  readonly ip?: string;
  readonly clientId?: string;
}

const sep = '\u0000';

/** The facts of an attempt the audit trail keeps (never the email or a secret). */
export interface AttemptEvent {
  readonly tenantId?: string | undefined;
  readonly clientId?: string | undefined;
  readonly ip?: string | undefined;
}

/** The defined facts of an attempt, as audit fields. */
const definedOf = (event: AttemptEvent): { tenantId?: string; clientId?: string; ip?: string } => ({
  ...(event.tenantId === undefined ? {} : { tenantId: event.tenantId }),
  ...(event.clientId === undefined ? {} : { clientId: event.clientId }),
  ...(event.ip === undefined ? {} : { ip: event.ip }),
});

/** What the guards share: the limits, and where refusals are recorded. */
export interface GuardDeps {
  readonly rateLimit: RateLimit;
  readonly kv: KeyValueStore;
  readonly audit: AuditLog;
}

/**
 * Records a refusal as `rate_limit.refused` (tenant, client, address, policy; never the email or a secret), once per
 * key and window: a guesser hammering a locked key adds one row, not one per request.
 */
export const auditRefusal = async (
  deps: GuardDeps,
  error: unknown,
  key: string,
  event: AttemptEvent,
): Promise<void> => {
  const retryAfterSeconds = retryAfterOf(error);
  if (retryAfterSeconds === undefined || !(error instanceof GatehouseError)) return;
  const policy = String(error.details?.policy ?? '');
  if (!(await deps.kv.setIfAbsent(`rl:audited:${policy}:${sha256(key)}`, '1', retryAfterSeconds))) return;
  deps.audit.record({
    type: 'rate_limit.refused',
    outcome: 'failure',
    ...definedOf(event),
    details: { policy, retryAfterSeconds },
  });
};

/**
 * Consumes a point of `policy` for `key` before the work it guards: at most `policy.points` attempts run in a window,
 * however many arrive at once. A refusal is audited.
 * @throws GatehouseError `rate_limited`
 */
const admit = async (deps: GuardDeps, key: string, policy: RateLimitPolicy, event: AttemptEvent): Promise<void> => {
  try {
    await deps.rateLimit.consume(key, policy);
  } catch (error) {
    await auditRefusal(deps, error, key, event);
    throw error;
  }
};

/**
 * Refuses when `key` has used up `policy` in its window, counting nothing (failures are counted afterwards with
 * `penalize`). For limits that must not bound legitimate concurrency (a backend's many parallel token requests from
 * one address); a burst of parallel failures may overrun such a limit by its concurrency, once.
 * @throws GatehouseError `rate_limited`
 */
export const admitUnlessSpent = async (
  deps: GuardDeps,
  key: string,
  policy: RateLimitPolicy,
  event: AttemptEvent,
): Promise<void> => {
  try {
    await deps.rateLimit.check(key, policy);
  } catch (error) {
    await auditRefusal(deps, error, key, event);
    throw error;
  }
};

/**
 * Runs `work` under a limit that counts failures after the fact: refused once `key` has spent `policy` in its window,
 * and one point counted when `work` fails as `isFailure` says. Successes count nothing, so parallel legitimate requests
 * (a backend's many token requests from one address) are never held back.
 * @throws GatehouseError `rate_limited`, or whatever `work` throws
 */
const countingFailures = async <T>(
  deps: GuardDeps,
  key: string,
  policy: RateLimitPolicy,
  event: AttemptEvent,
  isFailure: (error: unknown) => boolean,
  work: () => Promise<T>,
): Promise<T> => {
  await admitUnlessSpent(deps, key, policy, event);
  try {
    return await work();
  } catch (error) {
    if (isFailure(error)) await deps.rateLimit.penalize(key, policy);
    throw error;
  }
};

const isInvalidClient = (error: unknown): boolean => error instanceof GatehouseError && error.code === 'invalid_client';

/**
 * Client authentication that counts failures: after too many wrong secrets for one client from one address (or for
 * one client, when the caller gives no address), further attempts are refused with `rate_limited` until the window
 * ends, whatever they present.
 */
export const limitClientAuthentication = (clients: ClientUseCases, deps: GuardDeps): LimitedClientUseCases => ({
  ...clients,
  authenticate: async (auth: ClientAuthentication, tenantId?: string, context: AttemptContext = {}) => {
    const policy = rateLimitPolicies.clientAuthFailures;
    const key = `${tenantId ?? ''}${sep}${auth.clientId}${sep}${context.ip ?? ''}`;
    return countingFailures(
      deps,
      key,
      policy,
      { tenantId, clientId: auth.clientId, ip: context.ip },
      isInvalidClient,
      () => clients.authenticate(auth, tenantId),
    );
  },
});

export type LimitedClientUseCases = Omit<ClientUseCases, 'authenticate'> & {
  /**
   * Authenticates a client (RFC 6749 §2.3); see `ClientUseCases.authenticate`.
   * @param context the caller's address, so one address's failures do not lock the client out for everyone.
   * @throws GatehouseError `invalid_client`, `rate_limited`
   */
  authenticate(
    auth: ClientAuthentication,
    tenantId?: string,
    context?: AttemptContext,
  ): ReturnType<ClientUseCases['authenticate']>;
};

export interface PasswordGuardDeps extends GuardDeps {
  readonly account: AccountThrottle;
  readonly notice: FailureNotice;
}

/**
 * Password checks under three limits (docs/security.md): per (account, address) a hard limit that locks the guesser's
 * address only; per address across accounts; per account across addresses, progressive delays, never a hard lock.
 * The per-address points are consumed before argon2 runs, so N parallel guesses evaluate at most the limit; a
 * correct password clears the account's counts. At a burst of failures the owner is mailed (known accounts only, out
 * of band: the answer is the same either way).
 */
export const limitPasswordAttempts = (users: UserUseCases, deps: PasswordGuardDeps): LimitedUserUseCases => ({
  ...users,
  verifyCredentials: async (tenantId: string, email: string, password: string, context: AttemptContext = {}) => {
    const account = [tenantId, normaliseEmail(email)].join(sep);
    const addressAccount = [account, context.ip ?? ''].join(sep);
    const address = context.ip === undefined ? undefined : [tenantId, context.ip].join(sep);
    const event = { tenantId, clientId: context.clientId, ip: context.ip };
    const { passwordFailuresPerAddressAndAccount: perAddressAccount, passwordFailuresPerAddress: perAddress } =
      rateLimitPolicies;

    try {
      await deps.account.admit(account, addressAccount);
    } catch (error) {
      await auditRefusal(deps, error, account, event);
      throw error;
    }
    await admit(deps, addressAccount, perAddressAccount, event);
    if (address !== undefined)
      await admit(deps, address, perAddress, event).catch(async (error: unknown) => {
        await deps.rateLimit.refund(addressAccount, perAddressAccount);
        throw error;
      });
    const giveBack = async () => {
      await deps.rateLimit.refund(addressAccount, perAddressAccount);
      if (address !== undefined) await deps.rateLimit.refund(address, perAddress);
    };

    let user: Awaited<ReturnType<UserUseCases['verifyCredentials']>>;
    try {
      user = await users.verifyCredentials(tenantId, email, password);
    } catch (error) {
      if (!(error instanceof GatehouseError && error.code === 'invalid_grant')) {
        await giveBack();
        throw error;
      }
      const failures = await deps.account.failed(account);
      if (failures === accountPasswordPolicy.notifyAt)
        deps.notice.notify(tenantId, normaliseEmail(email), failures, context.ip);
      if (failures === accountPasswordPolicy.freeFailures)
        deps.audit.record({
          type: 'account.throttled',
          outcome: 'failure',
          ...definedOf(event),
          details: { failures },
        });
      throw error;
    }
    await deps.rateLimit.reset(addressAccount, perAddressAccount);
    if (address !== undefined) await deps.rateLimit.refund(address, perAddress);
    await deps.account.succeeded(account, addressAccount);
    return user;
  },
});

export type LimitedUserUseCases = Omit<UserUseCases, 'verifyCredentials'> & {
  /**
   * Checks an email + password; see `UserUseCases.verifyCredentials`.
   * @param context the caller's address and client (limits, audit).
   * @throws GatehouseError `invalid_grant`, `user_disabled`, `rate_limited`
   */
  verifyCredentials(
    tenantId: string,
    email: string,
    password: string,
    context?: AttemptContext,
  ): ReturnType<UserUseCases['verifyCredentials']>;
};

/**
 * Refusals that are the caller's doing (a wrong code, token, credential or request), so they count against the grant
 * limit. Outcomes a legitimate flow meets (`merge_needed`, `idp_email_missing`, a disabled user), outages and the
 * other limits' refusals count nothing.
 */
const failureCodes: ReadonlySet<string> = new Set([
  'invalid_request',
  'invalid_grant',
  'invalid_scope',
  'invalid_token',
  'unauthorized_client',
  'unsupported_token_type',
  'idp_token_invalid',
  'idp_wrong_audience',
  'mfa_answer_invalid',
  'flow_invalid',
]);

const countsAsFailure = (error: unknown): boolean => error instanceof GatehouseError && failureCodes.has(error.code);

/**
 * Runs one grant under {@link rateLimitPolicies.grantFailures} for (tenant, client, address): refused once the
 * address has spent its failures; a grant refused for the caller's own doing counts one. Successful grants count
 * nothing and are never held back, however many run in parallel (a backend exchanging tokens for many users).
 * @throws GatehouseError `rate_limited`, or whatever `run` throws
 */
export const createGrantGuard =
  (deps: GuardDeps) =>
  async <T>(context: { tenantId: string; clientId: string; ip?: string }, run: () => Promise<T>): Promise<T> => {
    const policy = rateLimitPolicies.grantFailures;
    const key = [context.tenantId, context.clientId, context.ip ?? ''].join(sep);
    return countingFailures(deps, key, policy, context, countsAsFailure, run);
  };

export type GrantGuard = ReturnType<typeof createGrantGuard>;
