import { createPrivateKey, type KeyObject } from 'node:crypto';
import { Type } from '@sinclair/typebox';
import { SignJWT } from 'jose';
import { epochSeconds } from '../lib/clock.js';
import type { ConnectionConfig, UpstreamCallback } from './connector.js';
import { ConnectorError } from './errors.js';
import { audiencesOf, audiencesSetting, defineConnector, secretOf } from './shared/definition.js';
import { resolveEndpoints } from './shared/endpoints.js';
import { asRecord, asString } from './shared/http.js';
import { createOidcConnector } from './shared/oidc.js';
import { booleanClaim, type ProfileFields, standardClaims } from './shared/profile.js';
import { requireNonceSetting } from './shared/token-binding.js';

// https://developer.apple.com/documentation/sign_in_with_apple/sign_in_with_apple_rest_api
const issuer = 'https://appleid.apple.com';
const authorizationEndpoint = 'https://appleid.apple.com/auth/authorize';
const tokenEndpoint = 'https://appleid.apple.com/auth/token';
const jwksUri = 'https://appleid.apple.com/auth/keys';

/** Lifetime of the client secret JWT we sign per token request (Apple allows up to six months). */
const clientSecretTtlSeconds = 300;

/** Sign in with Apple. The connection's `clientId` is the Services ID; `clientSecret` is the .p8 key in PEM. */
export const apple = defineConnector({
  displayName: 'Apple',
  tokenKinds: ['id_token'],
  endpointNames: ['issuer', 'authorization', 'token', 'jwks'],
  requiresClientSecret: true,
  settingsSchema: Type.Object(
    {
      teamId: Type.String({ pattern: '^[A-Z0-9]{10}$', description: 'Your Apple Developer Team ID (10 characters).' }),
      keyId: Type.String({
        pattern: '^[A-Z0-9]{10}$',
        description: 'The Key ID of the Sign in with Apple private key whose .p8 file is the `clientSecret`.',
      }),
      audiences: audiencesSetting,
      requireNonce: requireNonceSetting(true),
    },
    { additionalProperties: false },
  ),
  create: (config, deps) => {
    const endpoints = resolveEndpoints(
      config,
      deps,
      { issuer, authorization: authorizationEndpoint, token: tokenEndpoint, jwks: jwksUri },
      (base) => ({
        issuer: `${base}/apple`,
        authorization: `${base}/apple/authorize`,
        token: `${base}/apple/token`,
        jwks: `${base}/apple/jwks`,
      }),
    );
    const key = signingKey(config);
    const { teamId, keyId } = config.settings;
    return createOidcConnector(config, deps, 'Apple', {
      endpoints: { ...endpoints, userinfo: '' },
      audiences: audiencesOf(config, config.settings.audiences),
      // Web sign-ins' tokens are for the Services ID (`clientId`) and live up to a day; native apps' are for their
      // bundle id (`audiences`). A web token presented by a native client is refused: the paths stay apart by
      // audience. A connection with no `audiences` serves one app id on both paths.
      ...nativeAudiences(config.clientId, config.settings.audiences),
      // Apple leaves `nonce` out where the platform cannot carry one and says so with `nonce_supported: false`; the
      // nonce is then optional, else mandatory. https://developer.apple.com/documentation/signinwithapple/authenticating-users-with-sign-in-with-apple
      nonceMode: (claims) => (booleanClaim(claims.nonce_supported) === false ? 'if_present' : 'required'),
      // A native app hands Apple the SHA-256 hex of its nonce, and the token carries that hash.
      nonceCarriage: 'sha256',
      requireNonceByDefault: true,
      algorithms: ['RS256'],
      // Apple's scopes are `name` and `email`; asking for either requires `response_mode=form_post`.
      defaultScopes: ['name', 'email'],
      pkce: false,
      responseMode: 'form_post',
      tokenEndpointAuth: 'client_secret_post',
      // https://developer.apple.com/documentation/accountorganizationaldatasharing/creating-a-client-secret
      clientSecret: () => {
        const now = epochSeconds(deps.clock);
        return new SignJWT({})
          .setProtectedHeader({ alg: 'ES256', kid: keyId })
          .setIssuer(teamId)
          .setSubject(config.clientId)
          .setAudience(endpoints.issuer)
          .setIssuedAt(now)
          .setExpirationTime(now + clientSecretTtlSeconds)
          .sign(key);
      },
      userinfo: false,
      tokenKinds: ['id_token'],
      toProfile: (claims, callback) => appleProfile(config, claims, callback),
    });
  },
});

const nativeAudiences = (clientId: string, audiences: readonly string[] | undefined) => {
  const bundles = (audiences ?? []).filter((aud) => aud !== clientId);
  return bundles.length === 0 ? {} : { nativeAudiences: bundles };
};

/** The .p8 file Apple hands out: a PKCS#8 P-256 private key. */
const signingKey = (config: ConnectionConfig): KeyObject => {
  try {
    const key = createPrivateKey(secretOf(config));
    if (key.asymmetricKeyType === 'ec' && key.asymmetricKeyDetails?.namedCurve === 'prime256v1') return key;
  } catch {
    // reported below
  }
  throw new ConnectorError(
    'invalid_config',
    'config',
    `connection "${config.id}": clientSecret must be the Sign in with Apple .p8 key (a P-256 private key in PEM)`,
  );
};

const appleProfile = (
  config: ConnectionConfig,
  claims: Readonly<Record<string, unknown>>,
  callback: UpstreamCallback | undefined,
): ProfileFields => {
  const user = firstLoginUser(callback);
  const standard = standardClaims(config, claims);
  return {
    issuer: String(claims.iss),
    subject: String(claims.sub),
    ...standard,
    // Private-relay addresses (`is_private_email`) are verified too: Apple forwards them to the user's real inbox.
    emailVerified: booleanClaim(claims.email_verified) === true,
    givenName: standard.givenName ?? user.givenName,
    familyName: standard.familyName ?? user.familyName,
    raw: user.raw === undefined ? claims : { ...claims, user: user.raw },
  };
};

/**
 * Apple sends the user's name only on the first authorization, as a `user` JSON form field next to the code, and
 * never in the ID token (https://developer.apple.com/documentation/sign_in_with_apple/incorporating-sign-in-with-apple-into-other-platforms).
 * It is unsigned, so only the name is taken from it, never the email.
 */
const firstLoginUser = (callback: UpstreamCallback | undefined) => {
  const field = callback?.params.get('user');
  if (field === null || field === undefined) return {};
  let parsed: Record<string, unknown> | undefined;
  try {
    parsed = asRecord(JSON.parse(field));
  } catch {
    return {};
  }
  const name = asRecord(parsed?.name);
  return { givenName: asString(name?.firstName), familyName: asString(name?.lastName), raw: parsed };
};
