import type { Client } from '../clients/client.js';
import type { Tenant } from '../tenants/tenant.js';
import type { User } from '../users/user.js';

/** What to issue tokens for. Every surface that issues tokens ends in this. */
export interface IssueTokensInput {
  readonly tenant: Tenant;
  readonly client: Client;
  /** The signed-in user; undefined when the client acts for itself (client_credentials: `sub` is the client id). */
  readonly userId: string | undefined;
  /** The user, when the caller already loaded it (saves a read). Must be `userId`'s. */
  readonly user?: User;
  /** Granted scopes, already checked against the client. `openid` adds an ID token (users only). */
  readonly scope: readonly string[];
  /** How the user authenticated (RFC 8176: `pwd`, `external`, `mfa`, …). */
  readonly amr?: readonly string[];
  /** When the user authenticated; defaults to now. */
  readonly authTime?: Date;
  /** The authorization request's `nonce`, echoed in the ID token. */
  readonly nonce?: string;
  /** The browser session (ID token `sid`). */
  readonly sid?: string;
  /** Claims a surface adds to the access token (its dialect's own). Reserved claims (iss, sub, scope, …) are refused. */
  readonly extraClaims?: Readonly<Record<string, unknown>>;
  /** The family this issuance continues (a redeemed code, a rotated refresh token); a new one starts otherwise. */
  readonly familyId?: string;
  /** The upstream identity the user signed in through: a new family records it, and ends when it is unlinked. */
  readonly identityId?: string;
  /**
   * Issue a refresh token. Default: when there is a user and the client may use the `refresh_token` grant.
   * Never for client_credentials.
   */
  readonly refreshToken?: boolean;
  /** Audit: the grant that led here (`authorization_code`, `password`, `Facebook`, …) and the caller's address. */
  readonly grantType?: string;
  readonly ip?: string;
}

/** Issued tokens, in core terms; each surface renders them in its own wire format. */
export interface IssuedTokens {
  /** RFC 9068 JWT access token (`typ: at+jwt`). */
  readonly accessToken: string;
  readonly tokenType: 'Bearer';
  /** Seconds until the access token expires. */
  readonly expiresIn: number;
  /** Granted scopes, space-separated. */
  readonly scope: string;
  readonly idToken?: string;
  /** Opaque; only its SHA-256 digest is stored. */
  readonly refreshToken?: string;
  /** The access token's `jti`. */
  readonly jti: string;
  /** The family the refresh token belongs to, when one was issued or continued. */
  readonly familyId?: string;
}

/** What a sign-in issues: everything but the user, who is known once the account is resolved. */
export type SignInIssuanceInput = Omit<IssueTokensInput, 'userId' | 'user' | 'familyId'>;
