import cookie from '@fastify/cookie';
import type { FastifyInstance, FastifyPluginAsync } from 'fastify';
import { GatehouseError } from '../../core/errors.js';
import type { Core } from '../../core/index.js';
import { advanceAuthentication } from './advance-authentication.js';
import { cleanupAuthentication } from './cleanup-authentication.js';
import { sendSecurityError } from './errors.js';
import { parseLenientJson } from './json-body.js';
import { logout } from './logout.js';
import { resumeFromExtIdpAuth } from './resume-from-ext-idp-auth.js';
import {
  AdvanceAuthenticationBody,
  CleanupAuthenticationBody,
  ResumeFromExtIdpAuthQuery,
  StartAuthenticationBody,
  StartSocialAuthenticationBody,
} from './schemas.js';
import { startAuthentication } from './start-authentication.js';
import { startSocialAuthentication } from './start-social-authentication.js';

export { securityApiReturn } from './ext-idp-return.js';

export interface SecuritySurfaceOptions {
  readonly core: Core;
}

/** The `/Security/*` routes; mounted at the root and again under `/t/:tenant`. */
const securityRoutes: FastifyPluginAsync<SecuritySurfaceOptions> = async (app, { core }) => {
  app.setNotFoundHandler((request, reply) =>
    sendSecurityError(
      new GatehouseError('not_found', `no Security API ${request.url.split('?')[0] ?? ''}`),
      request,
      reply,
    ),
  );
  const tags = ['security'];
  app.post(
    '/StartSocialAuthentication',
    { schema: { tags, body: StartSocialAuthenticationBody } },
    startSocialAuthentication(core),
  );
  app.post(
    '/ResumeFromExtIdpAuth',
    { schema: { tags, querystring: ResumeFromExtIdpAuthQuery } },
    resumeFromExtIdpAuth(core),
  );
  app.post(
    '/AdvanceAuthentication',
    { schema: { tags, body: AdvanceAuthenticationBody } },
    advanceAuthentication(core),
  );
  app.post('/StartAuthentication', { schema: { tags, body: StartAuthenticationBody } }, startAuthentication(core));
  app.post(
    '/CleanupAuthentication',
    { schema: { tags, body: CleanupAuthenticationBody } },
    cleanupAuthentication(core),
  );
  app.post('/Logout', { schema: { tags } }, logout(core));
};

/**
 * The CyberArk-style Security API: POST + JSON, always HTTP 200 with the `{success, Result, Message, …}` envelope
 * (Fastify's own body, content-type and validation errors included). The tenant comes from the host name, the
 * `/t/{tenant}` prefix or `TenantId` (see `securityContext`). `X-IDAP-NATIVE-CLIENT` and the legacy
 * `X-CENTRIFY-NATIVE-CLIENT` are accepted: every answer is JSON for native clients anyway.
 */
export const securitySurface: FastifyPluginAsync<SecuritySurfaceOptions> = async (app, { core }) => {
  await app.register(cookie);
  // JSON only; an empty body (ResumeFromExtIdpAuth carries its parameters in the query) is an empty object.
  // Prototype pollution: JSON.parse makes `__proto__` an own property, and handlers read named fields only.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (_request, body, done) => {
    const text = String(body).trim();
    if (text === '') return done(null, {});
    try {
      done(null, parseLenientJson(text));
    } catch {
      done(new GatehouseError('invalid_request', 'the body is not valid JSON'), undefined);
    }
  });
  app.setErrorHandler(sendSecurityError);
  const mount = async (scope: FastifyInstance) => {
    await scope.register(securityRoutes, { prefix: '/Security', core });
  };
  await app.register(mount);
  await app.register(mount, { prefix: '/t/:tenant' });
};
