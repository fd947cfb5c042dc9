import { Type } from '@sinclair/typebox';
import { audiencesOf, audiencesSetting, defineConnector, secretOf } from './shared/definition.js';
import { requireHttps, resolveEndpoints } from './shared/endpoints.js';
import { createOidcConnector } from './shared/oidc.js';
import { requireNonceSetting } from './shared/token-binding.js';

/** Any OpenID Connect provider, configured by discovery (OpenID Connect Discovery 1.0). */
export const genericOidc = defineConnector({
  displayName: 'OpenID Connect',
  tokenKinds: ['id_token'],
  endpointNames: ['issuer', 'discovery', 'authorization', 'token', 'userinfo', 'jwks'],
  requiresClientSecret: true,
  settingsSchema: Type.Object(
    {
      issuer: Type.String({
        pattern: '^https?://',
        description:
          "The provider's issuer identifier, exactly as its ID tokens' `iss` (its discovery document is read from `{issuer}/.well-known/openid-configuration`). Must be https.",
      }),
      displayName: Type.Optional(Type.String({ minLength: 1, description: 'Name shown on the sign-in button.' })),
      tokenEndpointAuthMethod: Type.Union([Type.Literal('client_secret_basic'), Type.Literal('client_secret_post')], {
        default: 'client_secret_basic',
        description: 'How Gatehouse authenticates at the token endpoint.',
      }),
      pkce: Type.Boolean({
        default: true,
        description: 'Send a PKCE (S256) challenge with each authorization request.',
      }),
      userinfo: Type.Boolean({
        default: true,
        description:
          'After the code exchange, also read the UserInfo endpoint (for providers that put few claims in the ID token).',
      }),
      audiences: audiencesSetting,
      requireNonce: requireNonceSetting(false),
    },
    { additionalProperties: false },
  ),
  create: (config, deps) => {
    const { settings } = config;
    const configured = requireHttps(config, deps, 'settings.issuer', settings.issuer);
    const endpoints = resolveEndpoints(
      config,
      deps,
      {
        issuer: configured,
        discovery: `${configured.replace(/\/+$/, '')}/.well-known/openid-configuration`,
        authorization: '',
        token: '',
        userinfo: '',
        jwks: '',
      },
      (base) => ({
        issuer: `${base}/oidc`,
        discovery: `${base}/oidc/.well-known/openid-configuration`,
        authorization: '',
        token: '',
        userinfo: '',
        jwks: '',
      }),
    );
    const { discovery, ...named } = endpoints;
    const displayName = settings.displayName ?? 'OpenID Connect';
    return createOidcConnector(config, deps, displayName, {
      endpoints: named,
      discovery,
      audiences: audiencesOf(config, settings.audiences),
      defaultScopes: ['openid', 'email', 'profile'],
      pkce: settings.pkce,
      tokenEndpointAuth: settings.tokenEndpointAuthMethod,
      clientSecret: async () => secretOf(config),
      userinfo: settings.userinfo,
      tokenKinds: ['id_token'],
    });
  },
});
