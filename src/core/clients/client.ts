import { type Static, Type } from '@sinclair/typebox';
import { type ProductName, products } from '../../connectors/registry.js';
import type { ClientSettings } from '../../store/schema.js';
import { defaultIdTokenAlgorithm, type SigningAlgorithm, signingAlgorithms } from '../keys/algorithms.js';
import { ClientBrandingSchema } from '../tenants/branding.js';

/** The standard grants (RFC 6749, RFC 8693) a client can be allowed. */
const standardGrantTypes = [
  'authorization_code',
  'refresh_token',
  'client_credentials',
  'password',
  'urn:ietf:params:oauth:grant-type:token-exchange',
] as const;

/**
 * Grant types a client can be allowed: the standard ones, then one extension grant per product of the
 * connector registry and named after it, case-sensitive (`Facebook`, `LinkedIn`, `GitHub`).
 */
export type GrantType = (typeof standardGrantTypes)[number] | ProductName;

export const grantTypes: readonly GrantType[] = Object.freeze([
  ...standardGrantTypes,
  ...products.map((product) => product.name),
]);

/**
 * A URL Gatehouse may send a browser to with a code or a session: http(s), or a native app's private-use scheme, which
 * RFC 8252 §7.1 wants in reverse domain order and so always has a dot (`com.example.app:/callback`). That leaves out
 * `javascript:`, `data:`, `file:`, `vbscript:` and the like. Never a fragment (RFC 6749 §3.1.2).
 */
const Url = Type.String({
  format: 'uri',
  pattern: '^(?:https?://[^#\\s]+|[a-zA-Z][a-zA-Z0-9+-]*(?:\\.[a-zA-Z0-9+-]+)+:/[^#\\s]*)$',
  maxLength: 2000,
  description: 'http(s), or a native app scheme in reverse domain order (`com.example.app:/callback`); no fragment.',
});

/**
 * A web origin as a browser sends it in `Origin` (RFC 6454 §6.2): scheme, host and a port that is not the scheme's
 * default, lower case; no path, no trailing slash, no wildcard.
 */
const Origin = Type.String({
  pattern:
    '^(?!https://[^/]*:443$)(?!http://[^/]*:80$)[a-z][a-z0-9+.-]*://(?:[a-z0-9](?:[a-z0-9-]*[a-z0-9])?(?:\\.[a-z0-9](?:[a-z0-9-]*[a-z0-9])?)*|\\[[0-9a-f:.]+\\])(?::[1-9][0-9]{0,4})?$',
  maxLength: 300,
  description:
    'An origin as browsers send it: `scheme://host[:port]` in lower case, without a path, a trailing slash, a wildcard or the default port (`https://app.example.com`, `http://localhost:5173`).',
});

export const ClientInput = Type.Object(
  {
    clientId: Type.Optional(
      Type.String({ pattern: '^[A-Za-z0-9._~-]{3,128}$', description: 'Client id; generated when omitted.' }),
    ),
    name: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
    public: Type.Optional(
      Type.Boolean({ description: 'A public client (SPA, native app) has no secret and must use PKCE.' }),
    ),
    redirectUris: Type.Optional(Type.Array(Url, { uniqueItems: true, description: 'Exact OAuth redirect URIs.' })),
    callbackUrls: Type.Optional(
      Type.Array(Url, {
        uniqueItems: true,
        description: 'Allowed post-login callback URLs of API-started sign-ins, exact match.',
      }),
    ),
    grantTypes: Type.Optional(Type.Array(Type.Union(grantTypes.map((g) => Type.Literal(g))), { uniqueItems: true })),
    settings: Type.Optional(
      Type.Object(
        {
          accessTokenTtlSeconds: Type.Optional(Type.Integer({ minimum: 60, maximum: 86400 })),
          refreshTokenTtlSeconds: Type.Optional(Type.Integer({ minimum: 300, maximum: 31536000 })),
          refreshTokenAbsoluteTtlSeconds: Type.Optional(
            Type.Integer({
              minimum: 300,
              maximum: 31536000,
              description:
                'How long a refresh-token family lasts from its sign-in, however often it rotates; then the user signs in again. Default 30 days.',
            }),
          ),
          scopes: Type.Optional(Type.Array(Type.String({ pattern: '^[\\x21\\x23-\\x5B\\x5D-\\x7E]+$' }))),
          postLogoutRedirectUris: Type.Optional(Type.Array(Url, { uniqueItems: true })),
          idTokenSignedResponseAlg: Type.Optional(
            Type.String({
              pattern: `^(?:${signingAlgorithms.join('|')})$`,
              description: `How this client's ID tokens are signed (OIDC Dynamic Client Registration \`id_token_signed_response_alg\`): ${signingAlgorithms.map((a) => `\`${a}\``).join(' or ')}. Default \`${defaultIdTokenAlgorithm}\`, which every relying party accepts. Access tokens are always ES256.`,
            }),
          ),
          allowedOrigins: Type.Optional(
            Type.Array(Origin, {
              uniqueItems: true,
              maxItems: 50,
              description:
                'Web origins whose scripts may call the token, userinfo, revocation and introspection endpoints (CORS), matched exactly: a single-page application served from another origin. None by default.',
            }),
          ),
          branding: Type.Optional(ClientBrandingSchema),
          consent: Type.Optional(
            Type.Union([Type.Literal('required'), Type.Literal('skip')], {
              description:
                '`required`: a third-party application; the user allows its scopes on a consent page (remembered, asked again for new scopes). `skip` (default): a first-party application, never asked.',
            }),
          ),
        },
        { additionalProperties: false },
      ),
    ),
  },
  { additionalProperties: false },
);
export type ClientInput = Static<typeof ClientInput>;
export const ClientPatch = Type.Omit(ClientInput, ['clientId', 'public']);

/** An application of a tenant. The secret is never held: only its SHA-256 digest is stored. */
export interface Client {
  readonly clientId: string;
  readonly tenantId: string;
  readonly name: string;
  readonly public: boolean;
  readonly redirectUris: readonly string[];
  readonly callbackUrls: readonly string[];
  readonly grantTypes: readonly GrantType[];
  readonly settings: ClientSettings;
  readonly createdAt: Date;
}

/** The algorithm this client's ID tokens are signed with: its `idTokenSignedResponseAlg`, else RS256. */
export const idTokenAlgorithmOf = (client: Pick<Client, 'settings'>): SigningAlgorithm => {
  const alg = client.settings.idTokenSignedResponseAlg;
  return signingAlgorithms.find((a) => a === alg) ?? defaultIdTokenAlgorithm;
};

/** A client together with the secret generated for it; the only time the secret exists outside the caller. */
export interface ClientWithSecret {
  readonly client: Client;
  readonly clientSecret?: string;
}
