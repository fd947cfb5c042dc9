import type { ConnectionConfig, ExternalProfile } from '../connector.js';
import { asString } from './http.js';

/** The profile fields a connector reads from the IdP; absent values are simply left out. */
export interface ProfileFields {
  readonly issuer: string;
  readonly subject: string;
  readonly formerSubjects?: readonly string[] | undefined;
  readonly email?: string | undefined;
  /** The IdP's own verdict on the email, when it gives one. */
  readonly emailVerified: boolean;
  readonly givenName?: string | undefined;
  readonly familyName?: string | undefined;
  readonly displayName?: string | undefined;
  readonly picture?: string | undefined;
  readonly amr?: readonly string[] | undefined;
  readonly raw: Readonly<Record<string, unknown>>;
}

/**
 * The `ExternalProfile` of a connection. `emailVerified` is false whenever there is no email; a missing email is not
 * an error here (the account core decides whether the tenant needs one).
 */
export const buildProfile = (config: ConnectionConfig, fields: ProfileFields): ExternalProfile => {
  const profile: Record<string, unknown> = {
    idp: config.id,
    kind: config.kind,
    issuer: fields.issuer,
    subject: fields.subject,
    emailVerified: fields.email !== undefined && fields.emailVerified,
    raw: fields.raw,
  };
  const optional = {
    email: fields.email,
    givenName: fields.givenName,
    familyName: fields.familyName,
    displayName: fields.displayName,
    picture: fields.picture,
    amr: fields.amr,
    formerSubjects: fields.formerSubjects,
  };
  for (const [name, value] of Object.entries(optional)) if (value !== undefined) profile[name] = value;
  return profile as unknown as ExternalProfile;
};

/**
 * Reads an `email_verified`-style claim. Several IdPs send the string "true" instead of a boolean (Apple:
 * https://developer.apple.com/documentation/sign_in_with_apple/authenticating-users-with-sign-in-with-apple).
 * Undefined when the IdP says nothing.
 */
export const booleanClaim = (value: unknown): boolean | undefined => {
  if (value === true || value === 'true') return true;
  if (value === false || value === 'false') return false;
  return undefined;
};

/** Standard OIDC claims (OIDC Core §5.1) to profile fields; `emailVerified` falls back to the connection's trust. */
export const standardClaims = (
  config: ConnectionConfig,
  claims: Readonly<Record<string, unknown>>,
): Omit<ProfileFields, 'issuer' | 'subject' | 'raw'> => ({
  email: asString(claims.email),
  emailVerified: booleanClaim(claims.email_verified) ?? config.trustEmail,
  givenName: asString(claims.given_name),
  familyName: asString(claims.family_name),
  displayName: asString(claims.name),
  picture: asString(claims.picture),
  amr: Array.isArray(claims.amr) ? claims.amr.filter((v): v is string => typeof v === 'string') : undefined,
});
