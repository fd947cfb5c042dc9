import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Core } from '../../core/index.js';
import { tenantOf } from './tenant.js';

/**
 * `GET /jwks`: the tenant's published keys, serialised once by the core and sent as is. Cacheable: a rotation only
 * starts signing with a key that was already published as `next`, and retired keys stay published. A callback-style
 * handler: the keys' promise is the only one on this path.
 */
export const jwksEndpoint =
  (core: Core) =>
  (request: FastifyRequest, reply: FastifyReply): void => {
    core.keys.jwksJson(tenantOf(request).id).then(
      (json) => {
        reply.header('cache-control', 'public, max-age=300').type('application/json').send(json);
      },
      // As a thrown error would be: to the surface's error handler.
      (error: unknown) => {
        reply.send(error instanceof Error ? error : new Error(String(error)));
      },
    );
  };
