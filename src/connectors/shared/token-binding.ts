import { createHash } from 'node:crypto';
import { Type } from '@sinclair/typebox';
import type { TokenBinding } from '../connector.js';
import type { VerifiedClaims } from './verify-id-token.js';
import { clockSkewSeconds } from './verify-id-token.js';

const sha256Hex = (value: string): string => createHash('sha256').update(value, 'utf8').digest('hex');

/**
 * How the provider carries the nonce the app was given: `plain` (the claim is the nonce: OpenID Connect, Facebook
 * Limited Login) or `sha256` (the app hands the provider the SHA-256 hex of the nonce and the token carries that hash:
 * Sign in with Apple, https://developer.apple.com/documentation/authenticationservices/asauthorizationopenidrequest/nonce).
 */
export type NonceCarriage = 'plain' | 'sha256';

/** The `requireNonce` setting every kind with native ID tokens has; its default is the kind's. */
export const requireNonceSetting = (byDefault: boolean) =>
  Type.Optional(
    Type.Boolean({
      description: `Whether a native app's ID token must carry a nonce this service issued (\`POST /t/{tenant}/nonce\`), spent with the sign-in. Default ${byDefault}.`,
    }),
  );

/**
 * The single-use facts of a verified ID token. The nonce digest is the SHA-256 hex of the issued nonce however the
 * provider carried it; the replay key is issuer and `jti`, or the signed part of the token (never the signature: an
 * ECDSA signature can be re-encoded into another valid one).
 */
export const tokenBinding = (
  token: string,
  claims: VerifiedClaims,
  options: { readonly carriage: NonceCarriage; readonly nonceRequired: boolean },
): TokenBinding => {
  const nonce = typeof claims.nonce === 'string' && claims.nonce.length > 0 ? claims.nonce : undefined;
  const signed = token.slice(0, token.lastIndexOf('.'));
  const replayKey = sha256Hex(
    typeof claims.jti === 'string' && claims.jti.length > 0 ? `jti\n${claims.iss}\n${claims.jti}` : `jws\n${signed}`,
  );
  return {
    ...(nonce === undefined
      ? {}
      : { nonceDigest: options.carriage === 'sha256' ? nonce.toLowerCase() : sha256Hex(nonce) }),
    nonceRequired: options.nonceRequired,
    replayKey,
    expiresAt: (typeof claims.exp === 'number' ? claims.exp : 0) + clockSkewSeconds,
  };
};
