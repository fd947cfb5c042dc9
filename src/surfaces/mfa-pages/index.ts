import cookie from '@fastify/cookie';
import type { FastifyPluginAsync } from 'fastify';
import type { Core } from '../../core/index.js';
import { sendErrorPage } from '../pages/error-page.js';
import { toGatehouseError } from '../shared/errors.js';
import { logError } from '../shared/log-error.js';
import { showChallengePage, submitChallengePage } from './challenge-page.js';
import { showDevOutbox } from './dev-outbox.js';
import { approveEmailLink, showEmailLink } from './email-link.js';
import { beginTotp, confirmTotp, showFactors } from './totp-enrolment.js';

/**
 * Hosted second-factor pages: the challenge step of a hosted-pages login, the emailed link, the signed-in user's
 * authenticator and recovery codes, and (development and test without SMTP) the dev outbox. Server-rendered,
 * script-free, strict CSP; every error is a page.
 */
export const mfaPagesSurface: FastifyPluginAsync<{ core: Core }> = async (app, { core }) => {
  await app.register(cookie);
  app.setErrorHandler((error, request, reply) => {
    const e = toGatehouseError(error);
    logError(request, e);
    return sendErrorPage(reply, e);
  });
  const schema = { hide: true };
  app.get('/t/:tenant/sign-in/:request/mfa', { schema }, showChallengePage(core));
  app.post('/t/:tenant/sign-in/:request/mfa', { schema }, submitChallengePage(core));
  app.get('/t/:tenant/mfa/email', { schema }, showEmailLink(core));
  app.post('/t/:tenant/mfa/email', { schema }, approveEmailLink(core));
  app.get('/t/:tenant/mfa', { schema }, showFactors(core));
  app.post('/t/:tenant/mfa/totp', { schema }, beginTotp(core));
  app.post('/t/:tenant/mfa/totp/confirm', { schema }, confirmTotp(core));
  if (core.mail.usesOutbox) app.get('/_dev/outbox', { schema }, showDevOutbox(core));
};
