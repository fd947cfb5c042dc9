import type { FastifyReply, FastifyRequest } from 'fastify';
import { GatehouseError, isGatehouseError } from '../../core/errors.js';
import type { Core } from '../../core/index.js';
import type { PendingAuthorization } from '../../core/login/authorization-requests.js';
import { retryAfterOf } from '../../core/rate-limit/rate-limit.js';
import { sessionLifetimeSeconds } from '../../core/sessions/sessions.js';
import type { Tenant } from '../../core/tenants/tenant.js';
import type { User } from '../../core/users/user.js';
import { constantTimeEqual, sha256 } from '../../lib/crypto.js';
import type { Messages } from '../../lib/i18n.js';
import { setBindingCookie } from '../shared/binding-cookie.js';
import { readCookie, sessionCookie, setCookie } from '../shared/cookies.js';
import { cspSourceOf, html, type SafeHtml, sendPage } from '../shared/html.js';
import { mfaPageUrl, selfServicePageUrl, signInPageUrl, upstreamDoneUrl, withLogin } from '../shared/paths.js';
import { tenantOf } from '../shared/tenant.js';
import { continueToClient } from './consent.js';
import { pageContext } from './page-context.js';
import { pendingRequest } from './pending-request.js';

/** The self-service pages of a pending authorization request, under its sign-in page (its binding cookie's path). */
export type SelfServicePage = Parameters<typeof selfServicePageUrl>[1];

/** The messages of this request (`Accept-Language`, then the tenant's default locale). */
export const messagesOf = (request: FastifyRequest): Messages => pageContext(request, tenantOf(request)).messages;

/** CSRF token of the self-service forms: derived from the request's browser binding, as the sign-in form's is. */
const csrfToken = (binding: string): string => sha256(`csrf:self-service:${binding}`);

/** @throws GatehouseError `forbidden` when the form's CSRF token is not this browser's. */
export const requireCsrf = (binding: string, presented: unknown): void => {
  if (typeof presented !== 'string' || !constantTimeEqual(presented, csrfToken(binding)))
    throw new GatehouseError('forbidden', 'the form is stale; reload the page and try again');
};

/** Everything a self-service page of a pending request needs: the tenant, the request and its binding, the words. */
export const selfServiceContext = async (core: Core, request: FastifyRequest) => {
  const tenant = tenantOf(request);
  const { pending, binding } = await pendingRequest(core, tenant, request);
  const signInPage = signInPageUrl(core.tokens.issuerOf(tenant.id), pending.id);
  const client = await core.clients.find(pending.clientId);
  const page = pageContext(request, tenant, { client, uiLocales: pending.params.uiLocales });
  const { messages } = page;
  return {
    page,
    tenant,
    pending,
    binding,
    signInPage,
    messages,
    t: messages.t,
    pageUrl: (page: SelfServicePage) => selfServicePageUrl(signInPage, page),
    csrf: html`<input type="hidden" name="csrf" value="${csrfToken(binding)}">`,
  };
};

export type SelfServiceContext = Awaited<ReturnType<typeof selfServiceContext>>;

/** The body of a form post, as strings (a field that is absent or not a string is ''). */
export const formField = (request: FastifyRequest, name: string): string => {
  const value = (request.body as Record<string, unknown> | undefined)?.[name];
  return typeof value === 'string' ? value : '';
};

/** A self-service page: its title, an optional error (announced), the body, and a way back to the sign-in page. */
export const sendSelfServicePage = (
  reply: FastifyReply,
  context: Pick<SelfServiceContext, 'page' | 'tenant' | 'messages' | 'signInPage' | 'pending'> | undefined,
  page: {
    readonly status: number;
    readonly title: string;
    readonly lead?: string;
    readonly error?: string;
    readonly body: SafeHtml;
    readonly messages?: Messages;
    readonly tenantName?: string;
  },
) => {
  const messages = context?.messages ?? page.messages;
  // The tenant's brand (and the client's, where a pending request names it) dresses the page, as on the sign-in page.
  const dressed = context?.page ?? pageContext(reply.request, tenantOf(reply.request));
  return sendPage(reply, {
    status: page.status,
    title: `${page.title} – ${dressed.brand.name}`,
    lang: (messages ?? dressed.messages).locale,
    brand: dressed.brand,
    chrome: { support: dressed.messages.t('page.support') },
    ...(context === undefined ? {} : { formActions: [cspSourceOf(context.pending.params.redirectUri)] }),
    body: html`<h1>${page.title}</h1>
      ${page.lead === undefined ? '' : html`<p class="muted">${page.lead}</p>`}
      ${page.error === undefined ? '' : html`<p class="error" role="alert" id="form-error">${page.error}</p>`}
      ${page.body}
      ${
        context === undefined
          ? ''
          : html`<form method="get" action="${context.signInPage}">
        <button type="submit" class="secondary">${context.messages.t('signup.back_to_sign_in')}</button>
      </form>`
      }`,
  });
};

/** What a page tells a person for a refusal it expects; anything else is the error page. */
export const refusalText = (
  t: Messages['t'],
  error: unknown,
  reply: FastifyReply,
): { status: number; message: string } | undefined => {
  if (!isGatehouseError(error)) return undefined;
  const wait = retryAfterOf(error);
  if (wait !== undefined) reply.header('retry-after', String(wait));
  switch (error.code) {
    case 'invalid_grant':
      return { status: 400, message: t('verify.code_invalid') };
    case 'rate_limited':
      return { status: 429, message: t('signup.rate_limited') };
    case 'user_disabled':
      return { status: 403, message: t('code_sign_in.disabled') };
    case 'mfa_required':
      return { status: 403, message: t('code_sign_in.mfa_missing') };
    case 'invalid_request': {
      const problem = error.details?.problem;
      if (problem === 'too_short') return { status: 400, message: t('signup.password_too_short', { min: 8 }) };
      if (problem === 'too_long') return { status: 400, message: t('signup.password_too_long', { max: 128 }) };
      if (problem === 'common') return { status: 400, message: t('signup.password_common') };
      return { status: 400, message: t('signup.email_invalid') };
    }
    default:
      return undefined;
  }
};

/**
 * Signs `user` in at the end of a self-service flow and continues the pending authorization request: a session and
 * the code, or first the second-factor page when the tenant asks for one after this sign-in (as after a password).
 */
export const signInAndContinue = async (
  core: Core,
  request: FastifyRequest,
  reply: FastifyReply,
  context: { tenant: Tenant; pending: PendingAuthorization; binding: string; signInPage: string },
  signedIn: { user: User; amr: readonly string[]; authTime: Date },
) => {
  const { tenant, pending, binding, signInPage } = context;
  if (!core.mfa.policyMet(tenant, signedIn.amr)) {
    const started = await core.login.secondFactorAfterPassword({
      tenant,
      user: signedIn.user,
      amr: signedIn.amr,
      authTime: signedIn.authTime,
      target: { kind: 'oauth_authorize', requestId: pending.id, clientId: pending.clientId, signInPage },
      ip: request.ip,
    });
    setBindingCookie(reply, core.settings.publicUrl, started.state, started.browserBinding);
    const next = started.next.kind === 'challenge' ? mfaPageUrl(signInPage) : upstreamDoneUrl(signInPage);
    return reply.redirect(withLogin(next, started.state), 303);
  }
  const sessionCookieOf = sessionCookie(core.settings.publicUrl, tenant.id);
  const previous = readCookie(request, sessionCookieOf);
  if (previous !== undefined) await core.sessions.end(tenant.id, previous);
  const { cookie, session } = await core.sessions.start({
    tenant,
    userId: signedIn.user.id,
    amr: signedIn.amr,
    authTime: signedIn.authTime,
  });
  setCookie(reply, sessionCookieOf, cookie, sessionLifetimeSeconds);
  return continueToClient(core, reply, tenant, pending, binding, {
    userId: signedIn.user.id,
    amr: signedIn.amr,
    authTime: signedIn.authTime,
    sid: session.sid,
  });
};

/**
 * The links of the sign-in page to the self-service flows the tenant offers (create an account, forgot password,
 * sign in with a mailed code), as buttons of GET forms: large touch targets, no script.
 */
export const selfServiceLinks = (core: Core, request: FastifyRequest, tenant: Tenant, signInPage: string): SafeHtml => {
  const { t } = messagesOf(request);
  const offers = core.selfService.offers(tenant);
  const link = (page: SelfServicePage, text: string) =>
    html`<form method="get" action="${selfServicePageUrl(signInPage, page)}"><button type="submit" class="secondary">${text}</button></form>`;
  return html`${offers.codeSignIn ? link('code', t('code_sign_in.link')) : ''}
      ${offers.recovery ? link('forgot', t('recovery.link_forgot')) : ''}
      ${offers.passwordSignup ? link('sign-up', t('signup.link_create_account')) : ''}`;
};
