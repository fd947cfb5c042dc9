import type { ExternalProfile } from '../../connectors/connector.js';
import type { Clock } from '../../lib/clock.js';
import type { DbExecutor } from '../../store/database.js';
import { revokedAccessTokensRepo } from '../../store/repositories/revoked-access-tokens.js';
import { GatehouseError } from '../errors.js';
import type { Tenant } from '../tenants/tenant.js';
import type { AccessTokenClaims } from '../tokens/verify-access-token.js';

/**
 * The only scope a new-user token carries, and what marks it as one: it can create the account it describes, and
 * nothing else.
 */
export const newUserScope = 'account:create';

/**
 * The claims of a new-user token: the IdP-verified profile of someone with no account yet, signed by us so the
 * create call need not present the provider's token again.
 */
export const newUserClaims = (profile: ExternalProfile): Record<string, unknown> => ({
  idp: profile.idp,
  idp_kind: profile.kind,
  idp_iss: profile.issuer,
  idp_sub: profile.subject,
  email_verified: profile.emailVerified,
  ...(profile.email === undefined ? {} : { email: profile.email }),
  ...(profile.givenName === undefined ? {} : { given_name: profile.givenName }),
  ...(profile.familyName === undefined ? {} : { family_name: profile.familyName }),
  ...(profile.displayName === undefined ? {} : { name: profile.displayName }),
  ...(profile.picture === undefined ? {} : { picture: profile.picture }),
});

/** Whether an access token is a new-user token (by its scope, which no other grant gives). */
export const isNewUserToken = (token: AccessTokenClaims): boolean => token.scope.includes(newUserScope);

const str = (value: unknown): string | undefined => (typeof value === 'string' && value !== '' ? value : undefined);

/** The profile a verified new-user token describes. @throws GatehouseError `invalid_token` when it is not one. */
export const profileFromNewUserToken = (token: AccessTokenClaims): ExternalProfile => {
  const c = token.claims;
  const idp = str(c.idp);
  const kind = str(c.idp_kind);
  const issuer = str(c.idp_iss);
  const subject = str(c.idp_sub);
  if (
    !isNewUserToken(token) ||
    idp === undefined ||
    kind === undefined ||
    issuer === undefined ||
    subject === undefined
  )
    throw new GatehouseError('invalid_token', 'not a new-user token');
  const email = str(c.email);
  const givenName = str(c.given_name);
  const familyName = str(c.family_name);
  const displayName = str(c.name);
  const picture = str(c.picture);
  return {
    idp,
    kind,
    issuer,
    subject,
    emailVerified: c.email_verified === true,
    ...(email === undefined ? {} : { email }),
    ...(givenName === undefined ? {} : { givenName }),
    ...(familyName === undefined ? {} : { familyName }),
    ...(displayName === undefined ? {} : { displayName }),
    ...(picture === undefined ? {} : { picture }),
    raw: {},
  };
};

/** A new-user token redeemed: the profile it describes, and the spending of its `jti` to run with the creation. */
export interface RedeemedNewUserToken {
  readonly profile: ExternalProfile;
  readonly spend: (db: DbExecutor) => Promise<void>;
}

/**
 * Creates the redemption of new-user tokens, which can each create the account they describe once: the token's `jti`
 * is spent by revoking it in the database (kept until the token expires), in the transaction that creates the account
 * (see `signInWithIdpToken`), so a replay is refused by every instance whether or not Redis is up, and a creation that
 * fails (a second factor the tenant requires, say) spends nothing.
 */
export const createNewUserTokens = (clock: Clock) => ({
  /** @throws GatehouseError `invalid_token` when the claims are not a new-user token's (spending: already used). */
  redeem: (tenant: Tenant, token: AccessTokenClaims): RedeemedNewUserToken => ({
    profile: profileFromNewUserToken(token),
    spend: async (db) => {
      const spent = await revokedAccessTokensRepo.spend(db, {
        jti: token.jti,
        tenant_id: tenant.id,
        expires_at: token.expiresAt,
        created_at: clock.now(),
      });
      if (!spent) throw new GatehouseError('invalid_token', 'this new-user token was already used');
    },
  }),
});

export type NewUserTokens = ReturnType<typeof createNewUserTokens>;

/**
 * The user an access token acts for, or undefined for a token that acts for no user: a client's own token
 * (client_credentials) or a new-user token. Proof of an account (a link proof, the account API) accepts only the
 * former kind.
 */
export const userIdOfToken = (token: AccessTokenClaims): string | undefined =>
  isNewUserToken(token) ? undefined : token.userId;
