import { rateLimitPolicies } from './policies.js';
import type { RateLimit } from './rate-limit.js';

/** What a self-service request is limited by: its tenant, its flow kind, the address it names and the caller's. */
export interface SelfServiceCaller {
  readonly tenantId: string;
  readonly kind: string;
  readonly email: string;
  readonly ip?: string | undefined;
}

/**
 * Counts one mail request against the per-address and per-caller limits, before any lookup, whether or not the address
 * has an account.
 * @throws GatehouseError `rate_limited`
 */
export const spendMailLimits = async (rateLimit: RateLimit, caller: SelfServiceCaller): Promise<void> => {
  await rateLimit.consume(
    `${caller.tenantId}:${caller.kind}:${caller.email}`,
    rateLimitPolicies.selfServiceMailsPerAddress,
  );
  if (caller.ip !== undefined)
    await rateLimit.consume(`${caller.tenantId}:${caller.ip}`, rateLimitPolicies.selfServiceMailsPerIp);
};

/**
 * Counts one answer to a mailed code against the per-address and per-caller limits.
 * @throws GatehouseError `rate_limited`
 */
export const spendAnswerLimits = async (rateLimit: RateLimit, caller: SelfServiceCaller): Promise<void> => {
  await rateLimit.consume(
    `${caller.tenantId}:${caller.kind}:${caller.email}`,
    rateLimitPolicies.selfServiceAnswersPerAddress,
  );
  if (caller.ip !== undefined)
    await rateLimit.consume(`${caller.tenantId}:${caller.ip}`, rateLimitPolicies.selfServiceAnswersPerIp);
};
