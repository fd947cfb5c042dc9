import type { ExternalProfile } from '../../connectors/connector.js';
import type { SignedInResolution, SignupProfile } from '../accounts/outcomes.js';
import type { ErrorCode } from '../errors.js';
import type { IssuedTokens } from '../tokens/issue-tokens.js';
import type { Identity, User } from '../users/user.js';

/**
 * What the caller wants from the identity (the columns of the account decision's table, `AccountResolution`).
 * - `login`: sign in an account that has the identity (or, by the tenant's policy, its verified email); never creates.
 * - `signup`: sign in, or create the account when the identity and its email are new; `profile` adds what the IdP did
 *   not give. `createOnly`: anything but a new account is refused, and nothing is written.
 * - `link`: attach the identity to the account `proof` proves (an access token of the calling client's recent sign-in,
 *   see `LinkProof`), spent once with the sign-in it gives.
 */
export type SignInIntent =
  | { readonly kind: 'login' }
  | { readonly kind: 'signup'; readonly profile?: SignupProfile; readonly createOnly?: boolean }
  | { readonly kind: 'link'; readonly proof: string };

/** The tokens a sign-in ends in: everything `issueTokens` needs but the user, who is known once the account is. */
export interface SignInIssuance {
  readonly scope: readonly string[];
  /** RFC 8176 methods; default `["external", <connection id>]`. */
  readonly amr?: readonly string[];
  /** Audit: the grant that led here (`Facebook`, the RFC 8693 URN, …). */
  readonly grantType: string;
  /** Someone with no account yet gets a new-user token instead of a `new_user` outcome without one. */
  readonly newUserToken?: boolean;
  /** Claims a surface's dialect adds to that new-user token (reserved and profile claims are the core's). */
  readonly newUserTokenClaims?: Readonly<Record<string, unknown>>;
}

/** Why a verified token signs nobody in, other than a merge to resolve; the {@link refusalCodes} say how bad. */
export type SignInRefusal =
  /** The tenant has no connection of that id. */
  | 'unknown_connection'
  /** The IdP gave no email and none was supplied, where one is needed. */
  | 'email_missing'
  /** `link`: the identity belongs to another account. */
  | 'already_linked_elsewhere'
  /** `createOnly`: the identity already has an account. */
  | 'identity_taken'
  /** `createOnly`: the email belongs to another account. */
  | 'email_taken';

/** The error code each refusal stands for, where a surface has no word of its own. */
export const refusalCodes = {
  unknown_connection: 'not_found',
  email_missing: 'idp_email_missing',
  already_linked_elsewhere: 'identity_already_linked',
  identity_taken: 'identity_already_linked',
  email_taken: 'email_taken',
} as const satisfies Record<SignInRefusal, ErrorCode>;

/**
 * The outcome of a token-in sign-in: a value for everything a person can meet, each carrying what a surface renders.
 *
 * | outcome | when | carries |
 * |---|---|---|
 * | `issued` | the account signed in, was created or got the identity linked | user, identity, tokens when asked |
 * | `new_user` | `login`, and no account has the identity | the verified profile, a new-user token when asked |
 * | `merge_needed` | the identity's proven email is another account's | the email |
 * | `refused` | see {@link SignInRefusal} | the reason, its code, the profile once verified |
 *
 * A bad token, an unreachable IdP, a disabled user or a spent proof are errors (`GatehouseError`), not outcomes.
 */
export type IdpTokenSignIn<Tokens extends IssuedTokens | undefined = IssuedTokens | undefined> =
  | {
      readonly kind: 'issued';
      readonly account: SignedInResolution['kind'];
      readonly user: User;
      readonly identity: Identity;
      readonly profile: ExternalProfile;
      readonly tokens: Tokens;
    }
  | { readonly kind: 'new_user'; readonly profile: ExternalProfile; readonly newUserToken: IssuedTokens | undefined }
  | { readonly kind: 'merge_needed'; readonly email: string; readonly profile: ExternalProfile }
  | {
      readonly kind: 'refused';
      readonly reason: SignInRefusal;
      readonly code: ErrorCode;
      readonly profile: ExternalProfile | undefined;
    };

/** The `refused` outcome of `reason`. */
export const refused = (reason: SignInRefusal, profile: ExternalProfile | undefined) =>
  ({ kind: 'refused', reason, code: refusalCodes[reason], profile }) as const;
