import cookie from '@fastify/cookie';
import type { FastifyPluginAsync } from 'fastify';
import type { Core } from '../../core/index.js';
import { sendErrorPage } from '../pages/error-page.js';
import { toGatehouseError } from '../shared/errors.js';
import { logError } from '../shared/log-error.js';
import { finishHostedUpstreamLogin, startHostedUpstreamLogin } from './hosted-login.js';
import { idpCallback } from './idp-callback.js';

export { upstreamLoginStarter } from './hosted-login.js';

/**
 * Redirect login through an upstream IdP, for every surface that starts one: the IdP callback
 * (`/SocialAuth/{Name}AuthCallback`, at the root and under `/t/{tenant}`), and the hosted pages' start and hand-over
 * routes under a pending request's sign-in page. A browser is looking: every error is a page.
 */
export const upstreamLoginSurface: FastifyPluginAsync<{ core: Core }> = async (app, { core }) => {
  await app.register(cookie);
  app.setErrorHandler((error, request, reply) => {
    const e = toGatehouseError(error);
    logError(request, e);
    return sendErrorPage(reply, e);
  });
  const schema = { hide: true };
  for (const prefix of ['', '/t/:tenant']) {
    app.get(`${prefix}/SocialAuth/:callback`, { schema }, idpCallback(core));
    app.post(`${prefix}/SocialAuth/:callback`, { schema }, idpCallback(core));
  }
  app.get('/t/:tenant/sign-in/:request/upstream/:connection', { schema }, startHostedUpstreamLogin(core));
  app.get('/t/:tenant/sign-in/:request/upstream-done', { schema }, finishHostedUpstreamLogin(core));
};
