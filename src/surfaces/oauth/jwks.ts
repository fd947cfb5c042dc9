import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Core } from '../../core/index.js';
import { type DocumentSource, documentRenderer } from '../shared/published-documents.js';
import { tenantOf } from '../shared/tenant.js';
import { documentHeaders } from './discovery.js';

const send = (reply: FastifyReply, json: string): void => {
  reply.headers(documentHeaders).send(json);
};

/**
 * `GET /jwks`: the tenant's published keys (an RS256 and an ES256 key each active, next and recently retired), serialised once by the core and sent as is. Cacheable: a rotation only
 * starts signing with a key that was already published as `next`, and retired keys stay published. A callback-style
 * handler: when this instance holds the tenant's keys no promise is made at all; else the keys' load is the only one.
 */
export const jwksEndpoint =
  (core: Core) =>
  (request: FastifyRequest, reply: FastifyReply): void => {
    const tenantId = tenantOf(request).id;
    const cached = core.keys.cachedJwksJson(tenantId);
    if (cached !== undefined) {
      send(reply, cached);
      return;
    }
    core.keys.jwksJson(tenantId).then(
      (json) => send(reply, json),
      // As a thrown error would be: to the surface's error handler.
      (error: unknown) => {
        reply.send(error instanceof Error ? error : new Error(String(error)));
      },
    );
  };

/** The JWKS of a tenant this instance holds, with its keys, for the published documents (see `jwksEndpoint`). */
export const publishedJwks = (core: Core): DocumentSource => {
  const render = documentRenderer(documentHeaders);
  return (tenantId) => {
    if (!core.tenants.cached(tenantId)) return undefined;
    const json = core.keys.cachedJwksJson(tenantId);
    return json === undefined ? undefined : render(tenantId, json);
  };
};
