import type { PresentedToken } from '../../connectors/connector.js';

/** A token kind a token-in sign-in accepts: what a connector's `verifyToken` is told it was handed. */
export type PresentedTokenKind = PresentedToken['kind'];

// RFC 8693 §3: token type identifiers.
const declaredKinds: Readonly<Record<string, PresentedTokenKind>> = {
  'urn:ietf:params:oauth:token-type:access_token': 'access_token',
  'urn:ietf:params:oauth:token-type:id_token': 'id_token',
};

// RFC 7515 §7.1: a JWS compact serialisation is three non-empty base64url parts joined by dots.
const compactJws = /^[\w-]+\.[\w-]+\.[\w-]+$/;

/**
 * The kind of a token a client obtained from its provider, the one way every token-in surface tells: by the type the
 * request declares (RFC 8693 `subject_token_type`), else by its shape. A JWS compact serialisation is an ID token
 * (OpenID Connect, Facebook Limited Login); anything else is an access token (Facebook, GitHub), whose provider is
 * asked about it.
 * @returns undefined for a declared type that names no kind this service accepts (each surface refuses it in its words).
 */
export function presentedTokenKind(value: string): PresentedTokenKind;
export function presentedTokenKind(value: string, declaredType: string | undefined): PresentedTokenKind | undefined;
export function presentedTokenKind(value: string, declaredType?: string): PresentedTokenKind | undefined {
  if (declaredType !== undefined)
    return Object.hasOwn(declaredKinds, declaredType) ? declaredKinds[declaredType] : undefined;
  return compactJws.test(value) ? 'id_token' : 'access_token';
}
