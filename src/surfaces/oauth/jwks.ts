import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Core } from '../../core/index.js';
import { tenantOf } from './tenant.js';

/**
 * `GET /jwks`: the tenant's published keys, serialised once by the core and sent as is. Cacheable: a rotation only
 * starts signing with a key that was already published as `next`, and retired keys stay published.
 */
export const jwksEndpoint = (core: Core) => async (request: FastifyRequest, reply: FastifyReply) =>
  reply
    .header('cache-control', 'public, max-age=300')
    .type('application/json')
    .send(await core.keys.jwksJson(tenantOf(request).id));
