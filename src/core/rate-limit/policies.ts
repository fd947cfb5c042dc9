/**
 * A rate limit: at most `points` attempts (or failures) per key within a fixed window of `durationSeconds` from the
 * first one. Past the limit the key is refused until the window ends. The password guards consume a point before
 * argon2 runs (so parallel guesses cannot overrun the limit) and give it back when the password is right; the others
 * count failures after the fact, so they never hold back legitimate parallel traffic.
 */
export interface RateLimitPolicy {
  /** Stable name: part of the shared store's key and the `policy` label of `gatehouse_rate_limited_total`. */
  readonly name: string;
  readonly points: number;
  readonly durationSeconds: number;
}

/**
 * The policies Gatehouse applies (the table in docs/security.md). Keys are hashed before they reach Redis, so emails
 * and addresses are never written to Redis in clear.
 */
export const rateLimitPolicies = {
  /**
   * Wrong passwords per (tenant, email, client address). Ten lock that account's password sign-in from that address
   * for what is left of 15 minutes: the guesser is locked, not the owner, who signs in from elsewhere. A correct
   * password clears the count. Consumed before argon2 runs, so parallel guesses evaluate at most ten.
   */
  passwordFailuresPerAddressAndAccount: { name: 'password_address_account', points: 10, durationSeconds: 15 * 60 },
  /** Wrong passwords per (tenant, client address), across accounts: one address spraying many accounts. */
  passwordFailuresPerAddress: { name: 'password_address', points: 50, durationSeconds: 15 * 60 },
  /**
   * Client authentication failures at the token endpoints per (tenant, client_id, address), or per (tenant,
   * client_id) when the caller has no address. Client secrets are 256-bit and stored as digests, so this is defence in
   * depth against guessing operator-chosen secrets, not the main protection.
   */
  clientAuthFailures: { name: 'client_auth', points: 20, durationSeconds: 60 },
  /**
   * Refused grants per (tenant, client_id, address) on every token endpoint of every surface (OAuth `/token` with
   * every grant, token exchange included, and every dialect's token endpoints): wrong codes, replayed or
   * forged refresh tokens, IdP tokens that do not verify, malformed requests. Counted after each refusal: successful
   * grants count nothing.
   */
  grantFailures: { name: 'grant_failures', points: 30, durationSeconds: 5 * 60 },
  /**
   * Nonces issued for native sign-ins per (tenant, client_id, address). Each is a row that lives five minutes; an app
   * asks for one per sign-in.
   */
  nonceIssuance: { name: 'nonce_issuance', points: 30, durationSeconds: 60 },
  /** Failed admin API authentications per client address. The operator's own address is not locked by another's. */
  adminAuthFailures: { name: 'admin_auth', points: 10, durationSeconds: 15 * 60 },
  /** Admin API requests per admin token (the configured token, or one stored token), successful or not. */
  adminRequestsPerToken: { name: 'admin_token', points: 600, durationSeconds: 60 },
  /**
   * Self-service mails (sign-up, verification re-sends, recovery, sign-in codes) per (tenant, flow kind, address),
   * counted for every request whether or not the address has an account, so the limit tells nothing either.
   */
  selfServiceMailsPerAddress: { name: 'self_service_mail_address', points: 5, durationSeconds: 15 * 60 },
  /** Self-service mail requests per (tenant, client address), across addresses. */
  selfServiceMailsPerIp: { name: 'self_service_mail_ip', points: 30, durationSeconds: 15 * 60 },
  /**
   * Answers to mailed codes per (tenant, flow kind, address), right or wrong, across codes: a new code does not buy new
   * guesses (each code also dies at its fifth wrong answer).
   */
  selfServiceAnswersPerAddress: { name: 'self_service_answer_address', points: 10, durationSeconds: 15 * 60 },
  /** Answers to mailed codes per (tenant, client address), across addresses. */
  selfServiceAnswersPerIp: { name: 'self_service_answer_ip', points: 50, durationSeconds: 15 * 60 },
} as const satisfies Record<string, RateLimitPolicy>;

export type RateLimitPolicyName = keyof typeof rateLimitPolicies;

/**
 * The account-wide password policy: no hard lock, so a guesser cannot lock the owner out. Past `freeFailures` wrong
 * passwords for one (tenant, email) in `windowSeconds`, from any addresses, each further attempt for the account
 * must wait a delay that doubles with every failure, from `firstDelaySeconds` up to `maxDelaySeconds`; one attempt
 * per delay is let through. Addresses from which the account signed in within `knownAddressSeconds` skip the delay
 * (they keep their own per-address limit). At `notifyAt` failures the owner gets one mail per window.
 */
export const accountPasswordPolicy = {
  name: 'password_account',
  freeFailures: 20,
  windowSeconds: 15 * 60,
  firstDelaySeconds: 1,
  maxDelaySeconds: 5 * 60,
  knownAddressSeconds: 30 * 24 * 60 * 60,
  notifyAt: 10,
} as const;
