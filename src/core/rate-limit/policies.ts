/**
 * A rate limit: at most `points` attempts (or failures, for the guards that count only failures) per key within a
 * fixed window of `durationSeconds` from the first one. Past the limit the key is refused until the window ends.
 */
export interface RateLimitPolicy {
  /** Stable name: part of the shared store's key and the `policy` label of `gatehouse_rate_limited_total`. */
  readonly name: string;
  readonly points: number;
  readonly durationSeconds: number;
}

/**
 * The policies Gatehouse applies. Keys are hashed before they reach Redis, so emails and addresses are never
 * written to Redis in clear.
 */
export const rateLimitPolicies = {
  /**
   * Password sign-in failures per (tenant, email). Ten wrong passwords lock that account's password sign-in for what
   * is left of 15 minutes; argon2id makes each guess cost ~13 ms of CPU, so this also bounds the CPU a guesser burns.
   */
  passwordFailuresPerAccount: { name: 'password_account', points: 10, durationSeconds: 15 * 60 },
  /** Password sign-in failures per (tenant, client address): one address guessing across many accounts. */
  passwordFailuresPerAddress: { name: 'password_address', points: 50, durationSeconds: 15 * 60 },
  /**
   * Client authentication failures at the token endpoints per (tenant, client_id, address), or per (tenant,
   * client_id) when the caller has no address. Client secrets are 256-bit and stored as digests, so this is defence in
   * depth against guessing operator-chosen secrets, not the main protection.
   */
  clientAuthFailures: { name: 'client_auth', points: 20, durationSeconds: 60 },
} as const satisfies Record<string, RateLimitPolicy>;

export type RateLimitPolicyName = keyof typeof rateLimitPolicies;
