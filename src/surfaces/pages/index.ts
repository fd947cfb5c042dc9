import formbody from '@fastify/formbody';
import type { FastifyPluginAsync } from 'fastify';
import type { Core } from '../../core/index.js';
import { toGatehouseError } from '../shared/errors.js';
import { logError } from '../shared/log-error.js';
import { ConsentForm, showConsent, submitConsent } from './consent.js';
import { sendErrorPage } from './error-page.js';
import { SignInForm, SignInParams, showSignIn, submitSignIn } from './sign-in.js';

/**
 * Hosted pages of a tenant: sign-in, and consent for third-party clients. Server-rendered, script-free, strict CSP; every error is a page. Registered
 * inside the OAuth surface (under `/t/:tenant`, after its tenant hook and cookie parser).
 */
export const pagesSurface: FastifyPluginAsync<{ core: Core }> = async (app, { core }) => {
  // Forms only: a JSON body is a 415 page, not a parsed object.
  app.removeAllContentTypeParsers();
  await app.register(formbody);

  app.setErrorHandler((error, request, reply) => {
    const e = toGatehouseError(error);
    logError(request, e);
    return sendErrorPage(reply, e);
  });

  app.get('/sign-in/:request', { schema: { params: SignInParams, hide: true } }, showSignIn(core));
  app.post('/sign-in/:request', { schema: { params: SignInParams, body: SignInForm, hide: true } }, submitSignIn(core));
  app.get('/sign-in/:request/consent', { schema: { params: SignInParams, hide: true } }, showConsent(core));
  app.post(
    '/sign-in/:request/consent',
    { schema: { params: SignInParams, body: ConsentForm, hide: true } },
    submitConsent(core),
  );
};
