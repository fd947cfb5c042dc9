import type { FastifyPluginAsync } from 'fastify';
import { adminTokenRoutes } from './admin-tokens.js';
import { auditRoutes } from './audit.js';
import { adminAuthenticator } from './auth.js';
import { backupRoutes } from './backup.js';
import { clientRoutes } from './clients.js';
import { configIoRoutes } from './config-io.js';
import type { AdminOptions } from './context.js';
import { notFoundProblem, sendProblem } from './errors.js';
import { idpRoutes } from './idps.js';
import { keyRoutes } from './keys.js';
import { tenantRoutes } from './tenants.js';
import { userRoutes } from './users.js';

export type { AdminOptions } from './context.js';

/**
 * The admin REST API (register with prefix `/admin`): the operator's admin token or a stored, tenant-bound and scoped
 * admin token as a bearer token, JSON bodies only, RFC 9457
 * `application/problem+json` errors for everything, including Fastify's own (validation, body, content type).
 */
export const adminSurface: FastifyPluginAsync<AdminOptions> = async (app, { core, adminToken }) => {
  // JSON only: the form parser registered for the OAuth surfaces does not apply here (anything else is 415).
  app.removeAllContentTypeParsers();
  // An empty body is no body (a bodyless POST with a JSON content type); routes with a body schema then reject it.
  const json = app.getDefaultJsonParser('error', 'error');
  // RFC 7396's own media type is accepted wherever JSON is (the PATCH routes are merge patches either way).
  app.addContentTypeParser(
    ['application/json', 'application/merge-patch+json'],
    { parseAs: 'string' },
    (request, body, done) => (body === '' ? done(null, undefined) : json(request, String(body), done)),
  );

  app.setErrorHandler((error, request, reply) => sendProblem(request, reply, error));
  app.setNotFoundHandler(notFoundProblem);
  const access = adminAuthenticator(core, adminToken);
  app.addHook('onRequest', access.onRequest);
  app.addHook('onRoute', (route) => {
    route.schema = { ...route.schema, security: [{ adminToken: [] }] };
    access.onRoute(route);
  });

  tenantRoutes(app, core);
  clientRoutes(app, core);
  idpRoutes(app, core);
  userRoutes(app, core);
  keyRoutes(app, core);
  auditRoutes(app, core);
  configIoRoutes(app, core);
  backupRoutes(app, core);
  adminTokenRoutes(app, core);
};
