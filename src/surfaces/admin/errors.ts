import type { FastifyReply, FastifyRequest } from 'fastify';
import { errorCatalog, GatehouseError } from '../../core/errors.js';
import { retryAfterOf } from '../../core/rate-limit/rate-limit.js';
import { toGatehouseError } from '../shared/errors.js';
import { logError } from '../shared/log-error.js';

/** RFC 9457 problem details of a GatehouseError: `type` links the code's entry in docs/errors.md. */
export const problemOf = (error: GatehouseError) => ({
  type: `/docs/errors#${error.code}`,
  title: error.code,
  status: error.status,
  // 5xx details stay in the log; the client gets the catalog's summary.
  detail: error.expose ? error.message : errorCatalog[error.code].summary,
});

/** Renders anything thrown in the admin surface as `application/problem+json`, never in Fastify's default shape. */
export const sendProblem = (request: FastifyRequest, reply: FastifyReply, thrown: unknown) => {
  const error = toGatehouseError(thrown);
  logError(request, error);
  // RFC 6750 §3: a 401 names the scheme the client must use.
  if (error.code === 'unauthorized') reply.header('www-authenticate', 'Bearer realm="gatehouse-admin"');
  const wait = retryAfterOf(error);
  if (wait !== undefined) reply.header('retry-after', String(wait));
  return reply.code(error.status).type('application/problem+json').send(problemOf(error));
};

export const notFoundProblem = (request: FastifyRequest, reply: FastifyReply) =>
  sendProblem(
    request,
    reply,
    new GatehouseError('not_found', `no admin route ${request.method} ${request.url.split('?')[0]}`),
  );
