import cookie from '@fastify/cookie';
import formbody from '@fastify/formbody';
import type { FastifyError, FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import type { Core } from '../../core/index.js';
import { sendErrorPage } from '../shared/error-page.js';
import { toGatehouseError } from '../shared/errors.js';
import { logError } from '../shared/log-error.js';
import { registerTenantHook } from '../shared/tenant.js';
import { showAddressPage, submitAddressPage } from './address-page.js';
import { pollChallengePage, showChallengePage, submitChallengePage } from './challenge-page.js';
import { answerCodeSignIn, showCodeSignIn, submitCodeSignIn } from './code-sign-in.js';
import { ConsentForm, showConsent, submitConsent } from './consent.js';
import { showDevOutbox } from './dev-outbox.js';
import { approveEmailLink, showEmailLink } from './email-link.js';
import {
  cancelHostedRequest,
  finishHostedUpstreamLogin,
  returnFailedLogin,
  startHostedUpstreamLogin,
} from './hosted-login.js';
import { type IdpReturns, idpCallback } from './idp-callback.js';
import { showLanding, showTenantLanding } from './landing.js';
import { showLinkPage, submitLinkPage } from './link-account.js';
import { knownApp } from './pending-request.js';
import { showForgot, showRecoveryLink, showReset, submitForgot, submitRecoveryLink, submitReset } from './recovery.js';
import { SignInForm, SignInParams, showSignIn, submitSignIn } from './sign-in.js';
import { redirectToSignUp, showSignUp, submitSignUp } from './sign-up.js';
import { beginTotp, confirmTotp, showFactors } from './totp-enrolment.js';
import { resendVerify, showVerify, showVerifyLink, submitVerify, submitVerifyLink } from './verify-email.js';

export { upstreamLoginStarter } from './hosted-login.js';
export type { IdpCallbackOutcome, IdpReturns } from './idp-callback.js';

export interface BrowserSurfaceOptions {
  readonly core: Core;
  /** Where a flow another surface started returns after its IdP callback, per flow target kind. */
  readonly idpReturns: IdpReturns;
}

/** Every error is a page; on a pending request's pages, with a way back to its app. */
const pageErrors =
  (core: Core) => async (error: FastifyError | Error, request: FastifyRequest, reply: FastifyReply) => {
    const e = toGatehouseError(error);
    logError(request, e);
    return sendErrorPage(reply, e, await knownApp(core, request));
  };

/**
 * The hosted sign-in and consent pages of a pending authorization request, under `/t/{tenant}` behind the tenant
 * hook. Forms only: a JSON body is a 415 page, not a parsed object.
 */
const signInPages: FastifyPluginAsync<{ core: Core }> = async (app, { core }) => {
  registerTenantHook(app, core);
  app.removeAllContentTypeParsers();
  await app.register(formbody);
  app.get('/sign-in/:request', { schema: { params: SignInParams, hide: true } }, showSignIn(core));
  app.post('/sign-in/:request', { schema: { params: SignInParams, body: SignInForm, hide: true } }, submitSignIn(core));
  app.get('/sign-in/:request/consent', { schema: { params: SignInParams, hide: true } }, showConsent(core));
  app.post(
    '/sign-in/:request/consent',
    { schema: { params: SignInParams, body: ConsentForm, hide: true } },
    submitConsent(core),
  );
  // The self-service pages: under the request's sign-in page (its binding cookie's path), and the mailed links' pages.
  const page = { schema: { params: SignInParams, hide: true } };
  app.get('/sign-up/:request', page, redirectToSignUp(core));
  app.get('/sign-in/:request/sign-up', page, showSignUp(core));
  app.post('/sign-in/:request/sign-up', page, submitSignUp(core));
  app.get('/sign-in/:request/verify', page, showVerify(core));
  app.post('/sign-in/:request/verify', page, submitVerify(core));
  app.post('/sign-in/:request/verify/resend', page, resendVerify(core));
  app.get('/sign-in/:request/forgot', page, showForgot(core));
  app.post('/sign-in/:request/forgot', page, submitForgot(core));
  app.get('/sign-in/:request/reset', page, showReset(core));
  app.post('/sign-in/:request/reset', page, submitReset(core));
  app.get('/sign-in/:request/code', page, showCodeSignIn(core));
  app.post('/sign-in/:request/code', page, submitCodeSignIn(core));
  app.post('/sign-in/:request/code/answer', page, answerCodeSignIn(core));
  const link = { schema: { hide: true } };
  app.get('/verify-email', link, showVerifyLink(core));
  app.post('/verify-email', link, submitVerifyLink(core));
  app.get('/recovery', link, showRecoveryLink(core));
  app.post('/recovery', link, submitRecoveryLink(core));
};

/**
 * What a person's browser sees of a flow, one surface: the hosted sign-in and consent pages, the IdP callback of every
 * login that went to an IdP (`/SocialAuth/{Name}AuthCallback`, at the root and under `/t/{tenant}`; a flow the
 * Security API started returns to its caller from there), the start and hand-over of a hosted upstream login, the
 * second-factor step of a hosted login, the emailed approval link, the signed-in user's authenticator and recovery
 * codes, and (development and test without SMTP) the dev outbox. Server-rendered, script-free, strict CSP; every
 * error is a page.
 */
export const browserSurface: FastifyPluginAsync<BrowserSurfaceOptions> = async (app, { core, idpReturns }) => {
  await app.register(cookie);
  app.setErrorHandler(pageErrors(core));
  const schema = { hide: true };
  for (const prefix of ['', '/t/:tenant']) {
    app.get(`${prefix}/SocialAuth/:callback`, { schema }, idpCallback(core, idpReturns));
    app.post(`${prefix}/SocialAuth/:callback`, { schema }, idpCallback(core, idpReturns));
  }
  app.get('/t/:tenant/sign-in/:request/upstream/:connection', { schema }, startHostedUpstreamLogin(core));
  app.get('/t/:tenant/sign-in/:request/upstream-done', { schema }, finishHostedUpstreamLogin(core));
  app.get('/t/:tenant/sign-in/:request/cancel', { schema }, cancelHostedRequest(core));
  app.get('/t/:tenant/sign-in/:request/failed', { schema }, returnFailedLogin(core));
  app.get('/t/:tenant/sign-in/:request/email', { schema }, showAddressPage(core));
  app.post('/t/:tenant/sign-in/:request/email', { schema }, submitAddressPage(core));
  app.get('/t/:tenant/sign-in/:request/link', { schema }, showLinkPage(core));
  app.post('/t/:tenant/sign-in/:request/link', { schema }, submitLinkPage(core));
  app.get('/t/:tenant/sign-in/:request/mfa', { schema }, showChallengePage(core));
  app.post('/t/:tenant/sign-in/:request/mfa', { schema }, submitChallengePage(core));
  app.post('/t/:tenant/sign-in/:request/mfa/poll', { schema }, pollChallengePage(core));
  app.get('/t/:tenant/mfa/email', { schema }, showEmailLink(core));
  app.post('/t/:tenant/mfa/email', { schema }, approveEmailLink(core));
  app.get('/t/:tenant/mfa', { schema }, showFactors(core));
  app.post('/t/:tenant/mfa/totp', { schema }, beginTotp(core));
  app.post('/t/:tenant/mfa/totp/confirm', { schema }, confirmTotp(core));
  app.get('/', { schema }, showLanding());
  app.get('/t/:tenant', { schema }, showTenantLanding(core));
  if (core.mail.usesOutbox) app.get('/_dev/outbox', { schema }, showDevOutbox(core));
  await app.register(signInPages, { prefix: '/t/:tenant', core });
};
