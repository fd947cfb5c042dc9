import { Type } from '@sinclair/typebox';
import { audiencesOf, audiencesSetting, defineConnector, secretOf } from './shared/definition.js';
import { resolveEndpoints } from './shared/endpoints.js';
import { createOidcConnector, type OidcEndpointName } from './shared/oidc.js';
import { requireNonceSetting } from './shared/token-binding.js';

// https://learn.microsoft.com/en-us/linkedin/consumer/integrations/self-serve/sign-in-with-linkedin-v2
const issuer = 'https://www.linkedin.com/oauth';
const authorizationEndpoint = 'https://www.linkedin.com/oauth/v2/authorization';
const tokenEndpoint = 'https://www.linkedin.com/oauth/v2/accessToken';
const userinfoEndpoint = 'https://api.linkedin.com/v2/userinfo';
const jwksUri = 'https://www.linkedin.com/oauth/openid/jwks';

const endpointNames = ['issuer', 'authorization', 'token', 'userinfo', 'jwks'] as const satisfies OidcEndpointName[];

/** Sign In with LinkedIn using OpenID Connect (`openid profile email`). */
export const linkedin = defineConnector({
  displayName: 'LinkedIn',
  tokenKinds: ['id_token'],
  endpointNames,
  requiresClientSecret: true,
  settingsSchema: Type.Object(
    { audiences: audiencesSetting, requireNonce: requireNonceSetting(false) },
    { additionalProperties: false },
  ),
  create: (config, deps) =>
    createOidcConnector(config, deps, 'LinkedIn', {
      endpoints: resolveEndpoints(
        config,
        deps,
        {
          issuer,
          authorization: authorizationEndpoint,
          token: tokenEndpoint,
          userinfo: userinfoEndpoint,
          jwks: jwksUri,
        },
        (base) => ({
          issuer: `${base}/linkedin`,
          authorization: `${base}/linkedin/authorize`,
          token: `${base}/linkedin/token`,
          userinfo: `${base}/linkedin/userinfo`,
          jwks: `${base}/linkedin/jwks`,
        }),
      ),
      audiences: audiencesOf(config, config.settings.audiences),
      algorithms: ['RS256'],
      defaultScopes: ['openid', 'profile', 'email'],
      // PKCE is enabled per app by LinkedIn, for native apps only; web apps are bound by the client secret.
      pkce: false,
      tokenEndpointAuth: 'client_secret_post',
      clientSecret: async () => secretOf(config),
      // LinkedIn does not echo `nonce` into its ID tokens (https://github.com/authlib/authlib/issues/763); the
      // token comes straight from the token endpoint over TLS, so it is checked only when present.
      nonceMode: 'if_present',
      userinfo: false,
      tokenKinds: ['id_token'],
    }),
});
