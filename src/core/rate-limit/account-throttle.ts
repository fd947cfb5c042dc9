import type { KeyValueStore } from '../../kv/kv.js';
import type { Clock } from '../../lib/clock.js';
import { sha256 } from '../../lib/crypto.js';
import { accountPasswordPolicy } from './policies.js';
import { refusal } from './rate-limit.js';

const policy = accountPasswordPolicy;
const failuresKey = (account: string) => `rl:acct:failures:${sha256(account)}`;
const gateKey = (account: string) => `rl:acct:gate:${sha256(account)}`;
const knownKey = (addressAccount: string) => `rl:acct:known:${sha256(addressAccount)}`;

/** The wait after the `failures`-th wrong password of an account: 0 up to the free failures, then doubling. */
export const accountDelaySeconds = (failures: number): number => {
  if (failures < policy.freeFailures) return 0;
  const doublings = Math.min(failures - policy.freeFailures, 30);
  return Math.min(policy.firstDelaySeconds * 2 ** doublings, policy.maxDelaySeconds);
};

/**
 * The account-wide password limit of {@link accountPasswordPolicy}: progressive delays across every address, never a
 * hard lock. Counters live in the key-value store (Redis for a fleet), hashed.
 */
export const createAccountThrottle = (kv: KeyValueStore, clock: Clock) => ({
  /**
   * Lets an attempt for `account` through, or refuses it while the account's delay runs. Past the free failures each
   * attempt claims the one slot of its delay atomically (`setIfAbsent`), so parallel attempts cannot share it.
   * An address the account signed in from recently is not delayed.
   * @throws GatehouseError `rate_limited`
   */
  admit: async (account: string, addressAccount: string): Promise<void> => {
    const failures = Number((await kv.get(failuresKey(account))) ?? 0);
    const delay = accountDelaySeconds(failures);
    if (delay === 0 || (await kv.get(knownKey(addressAccount))) !== undefined) return;
    const until = clock.now().getTime() + delay * 1000;
    if (await kv.setIfAbsent(gateKey(account), String(until), delay)) return;
    const held = Number((await kv.get(gateKey(account))) ?? until);
    throw refusal(policy, Math.max(0, held - clock.now().getTime()));
  },

  /** Counts a wrong password for `account`; returns the count in the current window. */
  failed: (account: string): Promise<number> => kv.increment(failuresKey(account), policy.windowSeconds),

  /** A correct password: the account's count and delay end, and the address is remembered as the owner's. */
  succeeded: async (account: string, addressAccount: string): Promise<void> => {
    await Promise.all([
      kv.delete(failuresKey(account)),
      kv.delete(gateKey(account)),
      kv.set(knownKey(addressAccount), '1', policy.knownAddressSeconds),
    ]);
  },
});

export type AccountThrottle = ReturnType<typeof createAccountThrottle>;
