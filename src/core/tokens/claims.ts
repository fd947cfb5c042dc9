import { createHash } from 'node:crypto';
import { shownEmail, type User } from '../users/user.js';

/**
 * The user's claims a set of scopes releases (OIDC Core §5.4): `profile` → names, picture, updated_at;
 * `email` → email, email_verified. Absent values are left out, never sent as null.
 */
export const userClaims = (user: User, scopes: readonly string[]): Record<string, unknown> => {
  const claims: Record<string, unknown> = {};
  if (scopes.includes('profile')) {
    const name = user.displayName ?? ([user.firstName, user.lastName].filter(Boolean).join(' ') || null);
    if (name !== null) claims.name = name;
    if (user.firstName !== null) claims.given_name = user.firstName;
    if (user.lastName !== null) claims.family_name = user.lastName;
    if (user.profile.picture !== undefined) claims.picture = user.profile.picture;
    claims.updated_at = Math.floor(user.updatedAt.getTime() / 1000);
  }
  const email = shownEmail(user);
  if (scopes.includes('email') && email !== null) {
    claims.email = email;
    claims.email_verified = user.email !== null && user.emailVerified;
  }
  return claims;
};

/** Every claim `userClaims` can release (discovery `claims_supported`, with the protocol claims). */
export const userClaimNames = [
  'name',
  'given_name',
  'family_name',
  'picture',
  'updated_at',
  'email',
  'email_verified',
] as const;

/** OIDC Core §3.1.3.6: `at_hash` is the left half of the SHA-256 of the access token (ES256 ⇒ SHA-256), base64url. */
export const atHash = (accessToken: string): string =>
  createHash('sha256').update(accessToken, 'ascii').digest().subarray(0, 16).toString('base64url');

/** Claims a surface may not set through `extraClaims`: they are the token's own. */
export const reservedClaims = new Set([
  'iss',
  'sub',
  'aud',
  'exp',
  'nbf',
  'iat',
  'jti',
  'client_id',
  'scope',
  'auth_time',
  'amr',
  'acr',
  'sid',
  'nonce',
  'at_hash',
  'azp',
  'cnf',
]);
