import { Type } from '@sinclair/typebox';
import { ConnectorError } from './errors.js';
import { audiencesOf, audiencesSetting, defineConnector, secretOf } from './shared/definition.js';
import { resolveEndpoints } from './shared/endpoints.js';
import { createOidcConnector, type OidcEndpointName } from './shared/oidc.js';
import { requireNonceSetting } from './shared/token-binding.js';

// https://developers.google.com/identity/openid-connect/openid-connect (discovery: accounts.google.com/.well-known/openid-configuration)
const issuer = 'https://accounts.google.com';
const authorizationEndpoint = 'https://accounts.google.com/o/oauth2/v2/auth';
const tokenEndpoint = 'https://oauth2.googleapis.com/token';
const userinfoEndpoint = 'https://openidconnect.googleapis.com/v1/userinfo';
const jwksUri = 'https://www.googleapis.com/oauth2/v3/certs';

const endpointNames = ['issuer', 'authorization', 'token', 'userinfo', 'jwks'] as const satisfies OidcEndpointName[];

/** Google Sign-In (OpenID Connect). Native apps present ID tokens from Google Sign-In / Credential Manager. */
export const google = defineConnector({
  displayName: 'Google',
  tokenKinds: ['id_token'],
  endpointNames,
  requiresClientSecret: true,
  settingsSchema: Type.Object(
    {
      hostedDomain: Type.Optional(
        Type.String({
          minLength: 1,
          description: 'Accept only Google Workspace accounts of this domain (the `hd` claim).',
        }),
      ),
      audiences: audiencesSetting,
      requireNonce: requireNonceSetting(false),
    },
    { additionalProperties: false },
  ),
  create: (config, deps) => {
    const endpoints = resolveEndpoints(
      config,
      deps,
      { issuer, authorization: authorizationEndpoint, token: tokenEndpoint, userinfo: userinfoEndpoint, jwks: jwksUri },
      (base) => ({
        issuer: `${base}/google`,
        authorization: `${base}/google/authorize`,
        token: `${base}/google/token`,
        userinfo: `${base}/google/userinfo`,
        jwks: `${base}/google/jwks`,
      }),
    );
    const { hostedDomain } = config.settings;
    return createOidcConnector(config, deps, 'Google', {
      endpoints,
      // Google issues ID tokens with either spelling of its issuer.
      // https://developers.google.com/identity/openid-connect/openid-connect#validatinganidtoken
      acceptIssuer: endpoints.issuer === issuer ? [issuer, 'accounts.google.com'] : endpoints.issuer,
      // Android and iOS (with a server client id) sign-ins put the web client in `aud` and the mobile client in
      // `azp`: `aud` must be one client id of ours and `azp`, when present, one of ours too; a token naming several
      // audiences is not one Google issues. https://developers.google.com/identity/sign-in/android/backend-auth
      audiences: audiencesOf(config, config.settings.audiences),
      singleAudience: true,
      algorithms: ['RS256'],
      defaultScopes: ['openid', 'email', 'profile'],
      pkce: true,
      ...(hostedDomain === undefined ? {} : { authorizationParams: { hd: hostedDomain } }),
      tokenEndpointAuth: 'client_secret_post',
      clientSecret: async () => secretOf(config),
      userinfo: false,
      tokenKinds: ['id_token'],
      // `hd` is present only for Workspace accounts, so a consumer account never passes a domain restriction.
      checkClaims: (claims) => {
        if (hostedDomain !== undefined && claims.hd !== hostedDomain) {
          throw new ConnectorError(
            'access_denied',
            'id_token',
            'the Google account is not in the required Workspace domain',
          );
        }
      },
    });
  },
});
