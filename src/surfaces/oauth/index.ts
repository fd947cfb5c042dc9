import cookie from '@fastify/cookie';
import formbody from '@fastify/formbody';
import type { FastifyError, FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import { GatehouseError } from '../../core/errors.js';
import type { Core } from '../../core/index.js';
import { sendErrorPage } from '../shared/error-page.js';
import { toGatehouseError } from '../shared/errors.js';
import { logError } from '../shared/log-error.js';
import { sendOAuthError } from '../shared/oauth-errors.js';
import type { DocumentPublisher } from '../shared/published-documents.js';
import { registerTenantHook } from '../shared/tenant.js';
import { tokenEndpoint } from '../shared/token/endpoint.js';
import { standardGrantSet } from '../shared/token/grants/index.js';
import { tokenRequestSchema } from '../shared/token/grants/parameters.js';
import type { UpstreamLoginStarter } from '../shared/upstream-login.js';
import { authorizeEndpoint } from './authorize.js';
import { createCors, publicPreflight } from './cors.js';
import { discoveryEndpoint, publishedDiscovery, serialisedMetadata } from './discovery.js';
import { endSessionEndpoint } from './end-session.js';
import { introspectionEndpoint } from './introspection.js';
import { jwksEndpoint, publishedJwks } from './jwks.js';
import { NonceRequest, nonceEndpoint } from './nonce.js';
import { revocationEndpoint } from './revocation.js';
import { EndSessionRequest, TokenOperationRequest } from './schemas.js';
import { userinfoEndpoint } from './userinfo.js';

export type { UpstreamLoginStarter } from '../shared/upstream-login.js';

export interface OAuthSurfaceOptions {
  readonly core: Core;
  /** Where `idp_hint` sends the browser; see `UpstreamLoginStarter`. */
  readonly upstreamLogin?: UpstreamLoginStarter;
  /** Where discovery and JWKS are also published, to be answered before the framework (see `PublishedDocuments`). */
  readonly documents?: DocumentPublisher;
}

const realmOf = (core: Core, request: FastifyRequest): string | undefined => {
  const { tenant } = (request.params ?? {}) as { tenant?: string };
  return tenant === undefined ? undefined : core.tokens.issuerOf(tenant);
};

/**
 * Standard OAuth 2.0 / OpenID Connect, one issuer per tenant, mounted at `/t/:tenant`. Every error, Fastify's own
 * included (validation, body, content type), is RFC 6749 §5.2 JSON — or a page where a browser is looking and the
 * redirect URI is not yet trusted.
 */
export const oauthSurface: FastifyPluginAsync<OAuthSurfaceOptions> = async (
  app,
  { core, upstreamLogin, documents },
) => {
  // RFC 6749 §3.2 and friends: form-encoded bodies only; anything else is refused before a handler runs.
  app.removeAllContentTypeParsers();
  await app.register(formbody);
  registerTenantHook(app, core);

  const jsonErrors = (error: FastifyError | Error, request: FastifyRequest, reply: FastifyReply) => {
    const e = toGatehouseError(error);
    logError(request, e);
    const realm = realmOf(core, request);
    return sendOAuthError(reply, e, realm === undefined ? {} : { realm });
  };
  const bearerErrors = (error: FastifyError | Error, request: FastifyRequest, reply: FastifyReply) => {
    const e = toGatehouseError(error);
    logError(request, e);
    const realm = realmOf(core, request);
    return sendOAuthError(reply, e, { bearer: true, ...(realm === undefined ? {} : { realm }) });
  };
  const pageErrors = (error: FastifyError | Error, request: FastifyRequest, reply: FastifyReply) => {
    const e = toGatehouseError(error);
    logError(request, e);
    return sendErrorPage(reply, e);
  };
  app.setErrorHandler(jsonErrors);
  app.setNotFoundHandler((request, reply) => {
    const path = request.url.split('?')[0] ?? '';
    return jsonErrors(new GatehouseError('not_found', `no route ${request.method} ${path}`), request, reply);
  });

  const tags = ['oauth'];
  const metadata = serialisedMetadata(core);
  app.get('/.well-known/openid-configuration', { schema: { tags } }, discoveryEndpoint(metadata));
  app.get('/jwks', { schema: { tags } }, jwksEndpoint(core));
  app.options('/.well-known/openid-configuration', { schema: { tags } }, publicPreflight);
  app.options('/jwks', { schema: { tags } }, publicPreflight);
  if (documents !== undefined) {
    // Mounted at /t/:tenant, where the published documents are looked for.
    const discovery = '.well-known/openid-configuration';
    documents.publish(discovery, publishedDiscovery(core, metadata), `${app.prefix}/${discovery}`);
    documents.publish('jwks', publishedJwks(core), `${app.prefix}/jwks`);
  }
  // What a single-page application on another origin may call: see cors.ts.
  const cors = createCors(core);
  const forClient = { onSend: cors.forClientOfRequest };
  const forTenant = { onSend: cors.forAnyClient };
  const tokenRequest = tokenRequestSchema(standardGrantSet.parameters);
  app.post(
    '/token',
    { schema: { tags, body: tokenRequest }, ...forClient },
    tokenEndpoint(core, { grants: standardGrantSet, tenantFrom: 'path' }),
  );
  app.post('/nonce', { schema: { tags, body: NonceRequest }, ...forClient }, nonceEndpoint(core));
  app.get('/userinfo', { schema: { tags }, errorHandler: bearerErrors, ...forTenant }, userinfoEndpoint(core));
  app.post('/userinfo', { schema: { tags }, errorHandler: bearerErrors, ...forTenant }, userinfoEndpoint(core));
  app.post('/revoke', { schema: { tags, body: TokenOperationRequest }, ...forTenant }, revocationEndpoint(core));
  app.post('/introspect', { schema: { tags, body: TokenOperationRequest }, ...forTenant }, introspectionEndpoint(core));
  app.options('/token', { schema: { tags } }, cors.preflight(['POST']));
  app.options('/userinfo', { schema: { tags } }, cors.preflight(['GET', 'POST']));
  app.options('/revoke', { schema: { tags } }, cors.preflight(['POST']));
  app.options('/introspect', { schema: { tags } }, cors.preflight(['POST']));

  // What a browser visits, the only routes that read or set cookies: the cookie parser's hooks run for these alone.
  await app.register(async (browser) => {
    await browser.register(cookie);
    const authorize = authorizeEndpoint(core, upstreamLogin);
    browser.get('/authorize', { schema: { tags }, errorHandler: pageErrors }, authorize);
    browser.post('/authorize', { schema: { tags }, errorHandler: pageErrors }, authorize);
    const logout = endSessionEndpoint(core);
    browser.get('/logout', { schema: { tags, querystring: EndSessionRequest }, errorHandler: pageErrors }, logout);
    browser.post('/logout', { schema: { tags, body: EndSessionRequest }, errorHandler: pageErrors }, logout);
  });
};

/**
 * RFC 8414 §3.1: each tenant's authorization server metadata at `/.well-known/oauth-authorization-server/t/{tenant}`,
 * the well-known suffix inserted between the host and the issuer's path. Mounted at the root; the same document as
 * the tenant's OpenID discovery, errors as RFC 6749 JSON.
 */
export const authorizationServerMetadataSurface: FastifyPluginAsync<{ readonly core: Core }> = async (
  app,
  { core },
) => {
  registerTenantHook(app, core);
  app.setErrorHandler((error: FastifyError | Error, request: FastifyRequest, reply: FastifyReply) => {
    const e = toGatehouseError(error);
    logError(request, e);
    return sendOAuthError(reply, e);
  });
  const path = '/.well-known/oauth-authorization-server/t/:tenant';
  const tags = ['oauth'];
  app.get(path, { schema: { tags } }, discoveryEndpoint(serialisedMetadata(core)));
  app.options(path, { schema: { tags } }, publicPreflight);
};
