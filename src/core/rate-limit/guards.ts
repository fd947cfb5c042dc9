import type { ClientAuthentication, ClientUseCases } from '../clients/clients.js';
import { GatehouseError } from '../errors.js';
import { normaliseEmail } from '../users/email.js';
import type { UserUseCases } from '../users/users.js';
import { rateLimitPolicies } from './policies.js';
import type { RateLimit } from './rate-limit.js';

/** Where an attempt comes from; surfaces pass the client address they trust (`request.ip`). */
export interface AttemptContext {
  readonly ip?: string;
}

const sep = '\u0000';

/**
 * Client authentication that counts failures: after too many wrong secrets for one client from one address (or for
 * one client, when the caller gives no address), further attempts are refused with `rate_limited` until the window
 * ends, whatever they present. A successful authentication costs one counter read.
 */
export const limitClientAuthentication = (clients: ClientUseCases, rateLimit: RateLimit): LimitedClientUseCases => ({
  ...clients,
  authenticate: async (auth: ClientAuthentication, tenantId?: string, context: AttemptContext = {}) => {
    const policy = rateLimitPolicies.clientAuthFailures;
    const key = `${tenantId ?? ''}${sep}${auth.clientId}${sep}${context.ip ?? ''}`;
    await rateLimit.check(key, policy);
    try {
      return await clients.authenticate(auth, tenantId);
    } catch (error) {
      if (error instanceof GatehouseError && error.code === 'invalid_client') await rateLimit.penalize(key, policy);
      throw error;
    }
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

/**
 * Password checks that count failures per account and per address: past either limit the check is refused with
 * `rate_limited` before any argon2 work. A correct password resets the account's count.
 */
export const limitPasswordAttempts = (users: UserUseCases, rateLimit: RateLimit): LimitedUserUseCases => ({
  ...users,
  verifyCredentials: async (tenantId: string, email: string, password: string, context: AttemptContext = {}) => {
    const accountKey = [tenantId, normaliseEmail(email)].join(sep);
    const addressKey = context.ip === undefined ? undefined : [tenantId, context.ip].join(sep);
    await rateLimit.check(accountKey, rateLimitPolicies.passwordFailuresPerAccount);
    if (addressKey !== undefined) await rateLimit.check(addressKey, rateLimitPolicies.passwordFailuresPerAddress);
    try {
      const user = await users.verifyCredentials(tenantId, email, password);
      await rateLimit.reset(accountKey, rateLimitPolicies.passwordFailuresPerAccount);
      return user;
    } catch (error) {
      if (error instanceof GatehouseError && error.code === 'invalid_grant') {
        await rateLimit.penalize(accountKey, rateLimitPolicies.passwordFailuresPerAccount);
        if (addressKey !== undefined)
          await rateLimit.penalize(addressKey, rateLimitPolicies.passwordFailuresPerAddress);
      }
      throw error;
    }
  },
});

export type LimitedUserUseCases = Omit<UserUseCases, 'verifyCredentials'> & {
  /**
   * Checks an email + password; see `UserUseCases.verifyCredentials`.
   * @param context the caller's address (per-address limit).
   * @throws GatehouseError `invalid_grant`, `user_disabled`, `rate_limited`
   */
  verifyCredentials(
    tenantId: string,
    email: string,
    password: string,
    context?: AttemptContext,
  ): ReturnType<UserUseCases['verifyCredentials']>;
};
