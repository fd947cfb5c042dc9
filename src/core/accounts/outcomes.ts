import type { ExternalProfile } from '../../connectors/connector.js';
import type { UserRow } from '../../store/schema.js';
import { GatehouseError } from '../errors.js';
import type { Tenant } from '../tenants/tenant.js';
import type { Identity, User } from '../users/user.js';
import type { LinkProof } from './link-proof.js';

/**
 * What the caller wants from an upstream identity.
 * - `login`: sign in an existing account; never creates one (a token-in sign-in).
 * - `signup`: sign in, or create the account when the identity and its email are new (a sign-up by
 *   token, RFC 8693 exchange, redirect logins). `profile` may supply what the IdP did not (an email, names).
 * - `link`: attach the identity to the account a {@link LinkProof} proves (a recent sign-in's access token of the
 *   presenting client); the proof is spent, once, in the transaction of the sign-in it gives.
 */
export type AccountIntent =
  | { readonly kind: 'login' }
  | { readonly kind: 'signup'; readonly profile?: SignupProfile }
  | { readonly kind: 'link'; readonly proof: LinkProof };

/** What a sign-up surface may add to the IdP's claims. An email the IdP did not verify is stored unverified. */
export interface SignupProfile {
  readonly email?: string;
  readonly firstName?: string;
  readonly lastName?: string;
  readonly displayName?: string;
  readonly bio?: string;
  readonly publicData?: Record<string, unknown>;
  readonly protectedData?: Record<string, unknown>;
  readonly privateData?: Record<string, unknown>;
}

/**
 * The decision, as a value (never an exception). Written in one transaction; the outcomes that write nothing say so.
 *
 * | outcome | when | writes |
 * |---|---|---|
 * | `logged_in` | the identity is already linked (to this user, for `link`) | `last_login_at` |
 * | `created` | `signup`, identity and email new | user + identity |
 * | `linked` | `link` with proof of the user, or auto-link by a verified email under `auto_link_verified` | identity |
 * | `created` | `signup`, identity new, email another account's but not proven (kept as `pendingEmail`) | user + identity |
 * | `new_user_required` | `login`, identity new, email new or another account's but not proven | nothing |
 * | `merge_needed` | a proven email (IdP-verified, trusted connection) belongs to another account, no auto-link | nothing |
 * | `email_missing` | the IdP gave no email and none was supplied (and the tenant requires one) | nothing |
 * | `already_linked_elsewhere` | `link`, but the identity belongs to another user | nothing |
 */
export type AccountResolution =
  | { readonly kind: 'logged_in'; readonly user: User; readonly identity: Identity }
  | { readonly kind: 'created'; readonly user: User; readonly identity: Identity }
  | { readonly kind: 'linked'; readonly user: User; readonly identity: Identity; readonly automatic: boolean }
  | { readonly kind: 'new_user_required'; readonly profile: ExternalProfile }
  | { readonly kind: 'merge_needed'; readonly email: string }
  | { readonly kind: 'email_missing'; readonly idp: string }
  | { readonly kind: 'already_linked_elsewhere' };

/** The outcomes after which the user is signed in. */
export type SignedInResolution = Extract<AccountResolution, { user: User }>;

export const isSignedIn = (resolution: AccountResolution): resolution is SignedInResolution =>
  resolution.kind === 'logged_in' || resolution.kind === 'created' || resolution.kind === 'linked';

/** What `accounts.resolve` decides on: an upstream identity, in a tenant, for an intent. */
export interface ResolveAccountInput {
  readonly tenant: Tenant;
  readonly profile: ExternalProfile;
  readonly intent: AccountIntent;
  /** The connection is trusted for linking by email (its `trustEmail` setting). */
  readonly connectionTrusted: boolean;
}

/** A disabled user signs in nowhere. @throws GatehouseError `user_disabled` */
export const requireActive = (row: UserRow): void => {
  if (row.status !== 'active') throw new GatehouseError('user_disabled', 'the user account is disabled');
};
