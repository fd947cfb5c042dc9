import { Type } from '@sinclair/typebox';
import type { JWTPayload } from 'jose';
import { audiencesOf, audiencesSetting, defineConnector, secretOf } from './shared/definition.js';
import { resolveEndpoints } from './shared/endpoints.js';
import { asString } from './shared/http.js';
import { createOidcConnector } from './shared/oidc.js';
import { booleanClaim, standardClaims } from './shared/profile.js';
import { requireNonceSetting } from './shared/token-binding.js';

// https://learn.microsoft.com/en-us/entra/identity-platform/v2-protocols-oidc
const login = 'https://login.microsoftonline.com';
/** The v2.0 issuer, templated by tenant: https://learn.microsoft.com/en-us/entra/identity-platform/access-tokens#validate-the-issuer */
const issuerTemplate = `${login}/{tenantid}/v2.0`;
const authorizationPath = 'oauth2/v2.0/authorize';
const tokenPath = 'oauth2/v2.0/token';
const jwksPath = 'discovery/v2.0/keys';

/** The tenant of personal Microsoft accounts (Outlook.com, Xbox, …). */
export const consumerTenantId = '9188040d-6c67-4c5b-b112-36a304b66dad';

const guid = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Microsoft Entra ID and personal Microsoft accounts (OpenID Connect, v2.0 endpoints). */
export const microsoft = defineConnector({
  displayName: 'Microsoft',
  tokenKinds: ['id_token'],
  endpointNames: ['issuer', 'authorization', 'token', 'jwks'],
  requiresClientSecret: true,
  settingsSchema: Type.Object(
    {
      tenant: Type.String({
        default: 'common',
        pattern:
          '^(common|organizations|consumers|[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12})$',
        description:
          'Who may sign in: `common` (work, school and personal accounts), `organizations` (work and school only), `consumers` (personal only), or one directory (tenant) ID.',
      }),
      audiences: audiencesSetting,
      requireNonce: requireNonceSetting(false),
    },
    { additionalProperties: false },
  ),
  create: (config, deps) => {
    const { tenant } = config.settings;
    const endpoints = resolveEndpoints(
      config,
      deps,
      {
        issuer: issuerTemplate,
        authorization: `${login}/${tenant}/${authorizationPath}`,
        token: `${login}/${tenant}/${tokenPath}`,
        jwks: `${login}/${tenant}/${jwksPath}`,
      },
      (base) => ({
        issuer: `${base}/microsoft/{tenantid}/v2.0`,
        authorization: `${base}/microsoft/${tenant}/${authorizationPath}`,
        token: `${base}/microsoft/${tenant}/${tokenPath}`,
        jwks: `${base}/microsoft/${tenant}/${jwksPath}`,
      }),
    );
    const single = guid.test(tenant);
    const template = endpoints.issuer;
    return createOidcConnector(config, deps, 'Microsoft', {
      endpoints: {
        ...endpoints,
        issuer: single ? template.replace('{tenantid}', tenant.toLowerCase()) : template,
        userinfo: '',
      },
      // The multi-tenant endpoints sign tokens for every tenant with one key set, so `iss` alone proves nothing:
      // it must be the template filled with the token's own `tid`, and `tid` must be a tenant this connection admits.
      // A key that names its own `issuer` (multi-tenant key sets do, templated) must have issued this `iss`:
      // https://learn.microsoft.com/en-us/entra/identity-platform/access-tokens#validate-the-issuer
      acceptIssuer: (iss, claims, key) => {
        const tid = tenantOf(claims);
        if (tid === undefined || !admitsTenant(tenant, tid) || iss !== template.replace('{tenantid}', tid))
          return false;
        const keyIssuer = asString(key.issuer);
        return keyIssuer === undefined || keyIssuer.replace('{tenantid}', tid) === iss;
      },
      audiences: audiencesOf(config, config.settings.audiences),
      algorithms: ['RS256'],
      defaultScopes: ['openid', 'email', 'profile'],
      pkce: true,
      tokenEndpointAuth: 'client_secret_post',
      clientSecret: async () => secretOf(config),
      userinfo: false,
      tokenKinds: ['id_token'],
      toProfile: (claims) => ({
        issuer: String(claims.iss),
        ...subjectOf(claims),
        ...standardClaims(config, claims),
        emailVerified: emailVerified(claims, single && config.trustEmail),
        raw: claims,
      }),
    });
  },
});

const tenantOf = (claims: JWTPayload): string | undefined => {
  const tid = asString(claims.tid);
  return tid !== undefined && guid.test(tid) ? tid.toLowerCase() : undefined;
};

const admitsTenant = (setting: string, tid: string): boolean => {
  switch (setting) {
    case 'common':
      return true;
    case 'organizations':
      return tid !== consumerTenantId;
    case 'consumers':
      return tid === consumerTenantId;
    default:
      return tid === setting.toLowerCase();
  }
};

/**
 * The stable key of a Microsoft identity: `sub` is pairwise (one value per application, so it changes with the app
 * registration), while `tid` + `oid` name the same person for every app of every tenant: "use tid and oid together as
 * a key" (https://learn.microsoft.com/en-us/entra/identity-platform/id-token-claims-reference,
 * https://learn.microsoft.com/en-us/entra/identity-platform/claims-validation). Identities stored under `sub` before
 * are re-keyed on their next sign-in (`formerSubjects`). Without `oid` (no `profile` scope), `sub` is all there is.
 */
const subjectOf = (claims: Readonly<Record<string, unknown>>) => {
  const tid = asString(claims.tid)?.toLowerCase();
  const oid = asString(claims.oid)?.toLowerCase();
  const sub = String(claims.sub);
  if (tid === undefined || oid === undefined || !guid.test(tid) || !guid.test(oid)) return { subject: sub };
  return { subject: `${tid}:${oid}`, formerSubjects: [sub] };
};

/**
 * Entra ID's `email` claim is an editable directory attribute, not proof of ownership: trusting it is the "nOAuth"
 * account takeover (https://www.descope.com/blog/post/noauth). It counts as verified only when Microsoft says the
 * domain owner verified it (`xms_edov`, https://learn.microsoft.com/en-us/entra/identity-platform/migrate-off-email-claim-authorization),
 * or when the connection is bound to one tenant whose directory the operator vouches for (`trustEmail`). A personal
 * account's token (consumer tenant) carries nothing that vouches for its `email` either, so it is not verified on
 * its tenant alone.
 */
const emailVerified = (claims: Readonly<Record<string, unknown>>, trustedTenant: boolean): boolean =>
  booleanClaim(claims.xms_edov) === true || trustedTenant;
