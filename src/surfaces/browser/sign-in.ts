import { Type } from '@sinclair/typebox';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { GatehouseError, isGatehouseError } from '../../core/errors.js';
import type { Core } from '../../core/index.js';
import type { PendingAuthorization } from '../../core/login/authorization-requests.js';
import { retryAfterOf } from '../../core/rate-limit/rate-limit.js';
import { sessionLifetimeSeconds } from '../../core/sessions/sessions.js';
import type { Tenant } from '../../core/tenants/tenant.js';
import { constantTimeEqual, sha256 } from '../../lib/crypto.js';
import { messagesFor } from '../../lib/i18n.js';
import { setBindingCookie } from '../shared/binding-cookie.js';
import { readCookie, sessionCookie, setCookie } from '../shared/cookies.js';
import { cspSourceOf, html, sendPage } from '../shared/html.js';
import { mfaPageUrl, signInPageUrl, upstreamDoneUrl, withLogin } from '../shared/paths.js';
import { tenantOf } from '../shared/tenant.js';
import { continueToClient } from './consent.js';
import { backToAppButton, pendingRequest, type SignInNotice, signInNotices } from './pending-request.js';
import { providerLinks } from './provider-links.js';

export const SignInParams = Type.Object({ request: Type.String({ minLength: 1, maxLength: 64 }) });
export const SignInForm = Type.Object({
  csrf: Type.String({ minLength: 1, maxLength: 100 }),
  email: Type.Optional(Type.String({ maxLength: 320 })),
  password: Type.Optional(Type.String({ maxLength: 1024 })),
});
interface SignInForm {
  readonly csrf: string;
  readonly email?: string;
  readonly password?: string;
}

/**
 * CSRF token of the sign-in form: derived from the browser-binding secret, which only that browser's cookie holds
 * (a signed double-submit token: nothing more to store, nothing a cross-site page can compute).
 */
const csrfToken = (binding: string): string => sha256(`csrf:${binding}`);

interface FormState {
  readonly status: number;
  readonly email?: string;
  readonly error?: string;
  /** What happened on the way back here (cancelled or timed out at the IdP), with a way back to the app. */
  readonly notice?: SignInNotice;
}

/** The notice of a return from the IdP, and the "Back to {app}" link that answers the app with `access_denied`. */
const noticeOf = (
  notice: SignInNotice,
  appName: string | undefined,
  binding: string,
  signInPage: string,
  request: FastifyRequest,
) => {
  const { t } = messagesFor({ acceptLanguage: request.headers['accept-language'] });
  const app = appName ?? t('common.the_application');
  return html`<p role="status">${t(`journey.notice.${notice}`)}</p>
    ${backToAppButton(signInPage, binding, t('common.back_to_app', { app }))}`;
};

const renderForm = async (
  core: Core,
  reply: FastifyReply,
  tenant: Tenant,
  pending: PendingAuthorization,
  binding: string,
  state: FormState,
) => {
  const client = await core.clients.find(pending.clientId);
  const issuer = core.tokens.issuerOf(tenant.id);
  const action = signInPageUrl(issuer, pending.id);
  const described = state.error === undefined ? undefined : 'form-error';
  return sendPage(reply, {
    status: state.status,
    title: `Sign in – ${tenant.name}`,
    // The form posts here, and its response redirects to the client: CSP form-action covers both (CSP3 §6.4.3).
    formActions: [cspSourceOf(issuer), cspSourceOf(pending.params.redirectUri)],
    body: html`<h1>Sign in</h1>
      <p class="muted">to continue to ${client?.name ?? 'the application'}</p>
      ${state.error === undefined ? '' : html`<p class="error" role="alert" id="form-error">${state.error}</p>`}
      ${state.notice === undefined ? '' : noticeOf(state.notice, client?.name, binding, action, reply.request)}
      <form method="post" action="${action}">
        <input type="hidden" name="csrf" value="${csrfToken(binding)}">
        <label for="email">Email</label>
        <input id="email" name="email" type="email" autocomplete="username" required autofocus
          value="${state.email ?? ''}"${described === undefined ? '' : html` aria-invalid="true" aria-describedby="${described}"`}>
        <label for="password">Password</label>
        <input id="password" name="password" type="password" autocomplete="current-password" required>
        <button type="submit">Sign in</button>
      </form>
      ${await providerLinks(core, tenant, action)}`,
  });
};

/** `GET /sign-in/:request`: the hosted sign-in page of a pending authorization request (email prefilled by `login_hint`). */
export const showSignIn = (core: Core) => async (request: FastifyRequest, reply: FastifyReply) => {
  const tenant = tenantOf(request);
  const { pending, binding } = await pendingRequest(core, tenant, request);
  const email = pending.params.loginHint;
  const notice = signInNotices.find((n) => n === (request.query as { notice?: unknown }).notice);
  return renderForm(core, reply, tenant, pending, binding, {
    status: 200,
    ...(email === undefined ? {} : { email }),
    ...(notice === undefined ? {} : { notice }),
  });
};

/** What a person is told for each refusal; the page says nothing more precise (no account enumeration). */
const refusals: Partial<Record<string, { status: number; message: string }>> = {
  invalid_grant: { status: 401, message: 'The email or password is wrong.' },
  user_disabled: { status: 403, message: 'This account is disabled.' },
  rate_limited: { status: 429, message: 'Too many attempts. Wait a few minutes, then try again.' },
  mfa_required: {
    status: 403,
    message: 'This sign-in needs a second factor, and this account has none set up. Ask the administrator for help.',
  },
};

/**
 * `POST /sign-in/:request`: checks the CSRF token and the credentials, starts the SSO session, completes the pending
 * request and sends the browser back to the client with a code (303, RFC 9700 §4.12). When the tenant asks for a second
 * factor after passwords, the browser goes to the second-factor page first, and the code comes after it.
 */
export const submitSignIn = (core: Core) => async (request: FastifyRequest, reply: FastifyReply) => {
  const tenant = tenantOf(request);
  const { pending, binding } = await pendingRequest(core, tenant, request);
  const form = request.body as SignInForm;
  if (!constantTimeEqual(form.csrf, csrfToken(binding)))
    throw new GatehouseError('forbidden', 'the form is stale; reload the page and try again');
  const email = form.email?.trim() ?? '';
  const retry = (status: number, error: string) =>
    renderForm(core, reply, tenant, pending, binding, { status, error, ...(email === '' ? {} : { email }) });
  if (email === '' || (form.password ?? '') === '') return retry(400, 'Enter your email and password.');

  let signIn: Awaited<ReturnType<Core['login']['signInWithPassword']>>;
  try {
    signIn = await core.login.signInWithPassword({
      tenant,
      email,
      password: form.password as string,
      clientId: pending.clientId,
      ip: request.ip,
    });
  } catch (error) {
    const refusal = isGatehouseError(error) ? refusals[error.code] : undefined;
    if (refusal === undefined) throw error;
    const wait = retryAfterOf(error);
    if (wait !== undefined) reply.header('retry-after', String(wait));
    return retry(refusal.status, refusal.message);
  }

  const issuer = core.tokens.issuerOf(tenant.id);
  if (!core.mfa.policyMet(tenant, signIn.amr)) {
    // The tenant asks for a second factor after passwords: the sign-in goes on as a login flow, to the factor page.
    const signInPage = signInPageUrl(issuer, pending.id);
    let started: Awaited<ReturnType<Core['login']['secondFactorAfterPassword']>>;
    try {
      started = await core.login.secondFactorAfterPassword({
        tenant,
        user: signIn.user,
        amr: signIn.amr,
        authTime: signIn.authTime,
        target: { kind: 'oauth_authorize', requestId: pending.id, clientId: pending.clientId, signInPage },
        ip: request.ip,
      });
    } catch (error) {
      const refusal = isGatehouseError(error) ? refusals[error.code] : undefined;
      if (refusal === undefined) throw error;
      return retry(refusal.status, refusal.message);
    }
    setBindingCookie(reply, core.settings.publicUrl, started.state, started.browserBinding);
    const next = started.next.kind === 'challenge' ? mfaPageUrl(signInPage) : upstreamDoneUrl(signInPage);
    return reply.redirect(withLogin(next, started.state), 303);
  }
  const sessionCookieOf = sessionCookie(core.settings.publicUrl, tenant.id);
  const previous = readCookie(request, sessionCookieOf);
  if (previous !== undefined) await core.sessions.end(tenant.id, previous);
  const { cookie, session } = await core.sessions.start({
    tenant,
    userId: signIn.user.id,
    amr: signIn.amr,
    authTime: signIn.authTime,
  });
  setCookie(reply, sessionCookieOf, cookie, sessionLifetimeSeconds);
  return continueToClient(core, reply, tenant, pending, binding, {
    userId: signIn.user.id,
    amr: signIn.amr,
    authTime: signIn.authTime,
    sid: session.sid,
  });
};
