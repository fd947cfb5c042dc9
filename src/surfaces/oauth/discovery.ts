import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Core } from '../../core/index.js';
import { signingAlgorithms } from '../../core/keys/algorithms.js';
import { type DocumentSource, documentRenderer, publicDocumentHeaders } from '../shared/published-documents.js';
import { tenantOf } from '../shared/tenant.js';
import { registeredGrantTypes } from '../shared/token/grants/index.js';
import { publicCorsHeaders } from './cors.js';

/** The public documents' headers: cacheable JSON that any origin may read. */
export const documentHeaders: Readonly<Record<string, string>> = { ...publicDocumentHeaders, ...publicCorsHeaders };

const clientAuthMethods = ['client_secret_basic', 'client_secret_post', 'none'];

/** Claims Gatehouse can put in ID tokens and userinfo answers. */
const claimsSupported = [
  'iss',
  'sub',
  'aud',
  'exp',
  'iat',
  'auth_time',
  'nonce',
  'at_hash',
  'sid',
  'amr',
  'name',
  'given_name',
  'family_name',
  'picture',
  'updated_at',
  'email',
  'email_verified',
];

/**
 * OpenID Connect Discovery 1.0 §3 and RFC 8414 §2 metadata of one tenant: one document, served at both well-known
 * locations, whose `issuer` is the same at both (RFC 8414 §3.3).
 */
export const providerMetadata = (core: Core, tenantId: string) => {
  const issuer = core.tokens.issuerOf(tenantId);
  return {
    issuer,
    authorization_endpoint: `${issuer}/authorize`,
    token_endpoint: `${issuer}/token`,
    userinfo_endpoint: `${issuer}/userinfo`,
    jwks_uri: `${issuer}/jwks`,
    end_session_endpoint: `${issuer}/logout`,
    revocation_endpoint: `${issuer}/revoke`,
    introspection_endpoint: `${issuer}/introspect`,
    scopes_supported: [...core.tokens.scopes.standard],
    response_types_supported: ['code'],
    response_modes_supported: ['query'],
    grant_types_supported: registeredGrantTypes,
    subject_types_supported: ['public'],
    // Per client (`idTokenSignedResponseAlg`), RS256 by default; access tokens are always ES256 (RFC 9068 JWTs).
    id_token_signing_alg_values_supported: [...signingAlgorithms],
    token_endpoint_auth_methods_supported: clientAuthMethods,
    revocation_endpoint_auth_methods_supported: clientAuthMethods,
    introspection_endpoint_auth_methods_supported: ['client_secret_basic', 'client_secret_post'],
    code_challenge_methods_supported: ['S256'],
    claims_supported: claimsSupported,
    prompt_values_supported: ['none', 'login', 'consent', 'select_account'],
    claims_parameter_supported: false,
    request_parameter_supported: false,
    request_uri_parameter_supported: false,
    // RFC 9207.
    authorization_response_iss_parameter_supported: true,
  };
};

/** Each tenant's metadata, serialised once: it depends only on the settings and the tenant id. */
export const serialisedMetadata = (core: Core) => {
  const serialised = new Map<string, string>();
  return (tenantId: string): string => {
    let json = serialised.get(tenantId);
    if (json === undefined) {
      json = JSON.stringify(providerMetadata(core, tenantId));
      if (serialised.size >= 10_000) serialised.clear();
      serialised.set(tenantId, json);
    }
    return json;
  };
};

export type SerialisedMetadata = ReturnType<typeof serialisedMetadata>;

/**
 * `GET /t/{tenant}/.well-known/openid-configuration` (OIDC Discovery §4) and
 * `GET /.well-known/oauth-authorization-server/t/{tenant}` (RFC 8414 §3.1, the well-known suffix inserted before the
 * issuer's path): the serialised document sent as is.
 */
export const discoveryEndpoint =
  (metadata: SerialisedMetadata) =>
  (request: FastifyRequest, reply: FastifyReply): void => {
    reply.headers(documentHeaders).send(metadata(tenantOf(request).id));
  };

/** The metadata of a tenant this instance holds, for the published documents (see `discoveryEndpoint`). */
export const publishedDiscovery = (core: Core, metadata: SerialisedMetadata): DocumentSource => {
  const render = documentRenderer(documentHeaders);
  return (tenantId) => (core.tenants.cached(tenantId) ? render(tenantId, metadata(tenantId)) : undefined);
};
