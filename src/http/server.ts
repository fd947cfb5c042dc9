import formbody from '@fastify/formbody';
import swagger from '@fastify/swagger';
import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import { errorCatalog } from '../core/errors.js';
import { healthSurface } from '../surfaces/health/index.js';
import { toGatehouseError } from '../surfaces/shared/errors.js';
import { logError } from '../surfaces/shared/log-error.js';
import { securityHeaders } from '../surfaces/shared/security-headers.js';
import type { ServerOptions } from './options.js';
import { documentRecorder, registerMetrics } from './plugins/metrics.js';
import { createPublishedDocuments } from './published-documents.js';
import { newRequestId } from './request-id.js';
import { requestLoggerFactory } from './request-logger.js';
import { registerSurfaces } from './surfaces.js';

export type { ServerOptions } from './options.js';

const securityHeaderList = Object.entries(securityHeaders);

/** Largest request body accepted anywhere (forms and JSON are small in identity protocols). */
export const bodyLimit = 128 * 1024;

/**
 * Builds the HTTP server: cross-cutting plugins, then each surface. Every surface renders its own errors; what
 * falls through to here (unknown routes, health) is RFC 9457 problem+json.
 */
export const buildServer = async (options: ServerOptions): Promise<FastifyInstance> => {
  // Answered without Fastify only while Fastify would not log the request either.
  const documents = createPublishedDocuments({
    enabled: !options.log.isLevelEnabled('info'),
    recorderOf: (route) => documentRecorder(options.core, route),
  });
  const app = Fastify({
    serverFactory: documents.serverFactory,
    loggerInstance: options.log as FastifyBaseLogger,
    bodyLimit,
    // Surfaces register quickly, but a loaded machine (CI) can take longer than Fastify's 10 s default.
    pluginTimeout: 60_000,
    trustProxy: options.trustProxy ?? false,
    genReqId: newRequestId,
    childLoggerFactory: requestLoggerFactory,
    ajv: { customOptions: { removeAdditional: false, coerceTypes: false, allErrors: false } },
  });

  await app.register(formbody);
  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: { title: 'Gatehouse', version: '0.1.0', description: 'Self-hosted identity service.' },
      servers: [{ url: options.publicUrl }],
      components: {
        securitySchemes: { adminToken: { type: 'http', scheme: 'bearer' }, bearer: { type: 'http', scheme: 'bearer' } },
      },
    },
  });

  app.setErrorHandler((error, request, reply) => {
    const e = toGatehouseError(error);
    logError(request, e);
    return reply
      .code(e.status)
      .type('application/problem+json')
      .send({
        type: `/docs/errors#${e.code}`,
        title: e.code,
        status: e.status,
        detail: e.expose ? e.message : errorCatalog.server_error.summary,
      });
  });
  app.setNotFoundHandler((request, reply) =>
    reply
      .code(404)
      .type('application/problem+json')
      .send({
        type: '/docs/errors#not_found',
        title: 'not_found',
        status: 404,
        detail: `no route ${request.method} ${request.url.split('?')[0]}`,
      }),
  );

  // Security headers for every response; pages set their own CSP. A callback hook, not an async one: a promise per
  // response costs more than the three headers.
  app.addHook('onSend', (_request, reply, payload, done) => {
    for (const [name, value] of securityHeaderList) reply.header(name, value);
    if (!reply.hasHeader('cache-control')) reply.header('cache-control', 'no-store');
    done(null, payload);
  });

  registerMetrics(app, options.core, {
    served: options.metricsToken !== undefined || options.mode !== 'production',
    ...(options.metricsToken === undefined ? {} : { token: options.metricsToken }),
  });
  app.addHook('preClose', (done) => {
    documents.close();
    done();
  });
  await app.register(healthSurface, { core: options.core });
  await registerSurfaces(app, options, documents);

  app.get('/openapi.json', { schema: { hide: true } }, async (_request, reply) => {
    reply.header('cache-control', 'public, max-age=60');
    return app.swagger();
  });
  return app;
};
