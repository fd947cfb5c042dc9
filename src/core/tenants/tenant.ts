import { type Static, Type } from '@sinclair/typebox';
import type { TenantPolicies } from '../../store/schema.js';
import { TenantBrandingSchema } from './branding.js';

const tenantIdPattern = '^[a-z0-9][a-z0-9-]{0,62}$';

/** Whether a URL path segment has the shape of a tenant id (checked before any lookup). */
export const tenantIdShape = new RegExp(tenantIdPattern);

/** Tenant ids are URL path segments (`/t/{tenant}`): lowercase letters, digits and dashes. */
export const TenantId = Type.String({
  pattern: tenantIdPattern,
  description: 'Tenant id: 1–63 lowercase letters, digits or dashes, starting with a letter or digit.',
});

export const TenantPoliciesSchema = Type.Object(
  {
    linking: Type.Union([Type.Literal('merge_needed'), Type.Literal('auto_link_verified')], {
      description:
        '`merge_needed`: an IdP email that belongs to an existing user is refused until the user links the accounts. `auto_link_verified`: it links automatically when the IdP verified the email and the connection is trusted.',
    }),
    mfa: Type.Union([Type.Literal('off'), Type.Literal('social'), Type.Literal('all')], {
      description: 'When a second factor is asked for: never, after social logins, or after every login.',
    }),
    mfaFactors: Type.Optional(
      Type.Array(Type.Union([Type.Literal('email'), Type.Literal('totp'), Type.Literal('recovery_code')]), {
        uniqueItems: true,
        description: 'Second factors users may use. Default: email, totp, recovery_code.',
      }),
    ),
    requireEmail: Type.Optional(
      Type.Boolean({ description: 'Refuse sign-ups whose IdP gives no email (default true).' }),
    ),
    accessTokenTtlSeconds: Type.Optional(Type.Integer({ minimum: 60, maximum: 86400 })),
    idTokenTtlSeconds: Type.Optional(Type.Integer({ minimum: 60, maximum: 86400 })),
    refreshTokenTtlSeconds: Type.Optional(Type.Integer({ minimum: 300, maximum: 31536000 })),
    branding: Type.Optional(TenantBrandingSchema),
    linkProofMaxAgeSeconds: Type.Optional(
      Type.Integer({
        minimum: 30,
        maximum: 3600,
        description:
          'How recent a sign-in must be for its access token to prove the account when linking an identity to it (RFC 8693 `actor_token` and its equivalents). Default 300.',
      }),
    ),
    signup: Type.Optional(
      Type.Union([Type.Literal('off'), Type.Literal('password'), Type.Literal('upstream'), Type.Literal('both')], {
        description:
          'Who may create an account: nobody (`off`), with an email and a password (`password`: the hosted sign-up page, its JSON API and the password sign-ups of the other surfaces), through an identity provider (`upstream`: a first sign-in creates the account), or either (`both`, the default, which keeps what tenants could do before this policy existed). A mailed sign-in code creates an account whenever this is not `off`.',
      }),
    ),
    emailCodeSignIn: Type.Optional(
      Type.Boolean({
        description: 'Whether a one-time code mailed to the address is a way to sign in (passwordless). Default false.',
      }),
    ),
  },
  { additionalProperties: false },
);

export const defaultPolicies: TenantPolicies = { linking: 'merge_needed', mfa: 'off' };

export const TenantInput = Type.Object(
  {
    id: TenantId,
    name: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
    policies: Type.Optional(Type.Partial(TenantPoliciesSchema)),
    hostnames: Type.Optional(
      Type.Array(Type.String({ pattern: '^[a-z0-9.-]+(:[0-9]+)?$', maxLength: 253 }), {
        uniqueItems: true,
        description: 'Host names that select this tenant on host-routed surfaces.',
      }),
    ),
  },
  { additionalProperties: false },
);
export type TenantInput = Static<typeof TenantInput>;

export const TenantPatch = Type.Omit(TenantInput, ['id']);
export type TenantPatch = Static<typeof TenantPatch>;

/** A tenant: the unit of isolation. Nothing ever crosses tenants. */
export interface Tenant {
  readonly id: string;
  readonly name: string;
  readonly policies: TenantPolicies;
  readonly hostnames: readonly string[];
  readonly createdAt: Date;
}
