import { Type } from '@sinclair/typebox';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { GatehouseError, isGatehouseError } from '../../core/errors.js';
import type { Core } from '../../core/index.js';
import type { PendingAuthorization } from '../../core/login/authorization-requests.js';
import { retryAfterOf } from '../../core/rate-limit/rate-limit.js';
import { sessionLifetimeSeconds } from '../../core/sessions/sessions.js';
import type { Tenant } from '../../core/tenants/tenant.js';
import { constantTimeEqual, sha256 } from '../../lib/crypto.js';
import type { Messages } from '../../lib/i18n.js';
import { setBindingCookie } from '../shared/binding-cookie.js';
import { browserOf, readCookie, sessionCookie, setCookie } from '../shared/cookies.js';
import { cspSourceOf, html, type SafeHtml, sendPage } from '../shared/html.js';
import { mfaPageUrl, signInPageUrl, upstreamDoneUrl, withLogin } from '../shared/paths.js';
import { tenantOf } from '../shared/tenant.js';
import { continueToClient } from './consent.js';
import { pageContext, pageIn } from './page-context.js';
import { backToAppButton, pendingRequest, type SignInNotice, signInNotices } from './pending-request.js';
import { providerButtons } from './provider-links.js';
import { selfServiceLinks } from './self-service-page.js';

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

/**
 * What the sign-in page shows besides its form. `notice` is a neutral line above the form (a cancelled or expired
 * sign-in); `links` are extra links under it (create an account, forgot password, email me a code).
 */
export interface FormState {
  readonly status: number;
  readonly email?: string;
  readonly error?: string;
  /** What happened on the way back here (cancelled or timed out at the IdP), with a way back to the app. */
  readonly notice?: SignInNotice;
  readonly links?: readonly SafeHtml[];
}

/** The notice of a return from the IdP, and the "Back to {app}" button that answers the app with `access_denied`. */
const noticeOf = (notice: SignInNotice, app: string, binding: string, signInPage: string, t: Messages['t']) =>
  html`<p class="notice" role="status">${t(`journey.notice.${notice}`)}</p>
    ${backToAppButton(signInPage, binding, t('common.back_to_app', { app }))}`;

/**
 * Whether the page shows the email and password form: when the tenant lets people sign up with a password, else when
 * any of its users has one (one cached probe), and always when there is no provider to continue with.
 */
const showsPasswordForm = async (core: Core, tenant: Tenant, providers: number): Promise<boolean> => {
  if (providers === 0) return true;
  const signup = tenant.policies.signup ?? 'both';
  if (signup === 'password' || signup === 'both') return true;
  return core.users.anyWithPassword(tenant.id);
};

const renderForm = async (
  core: Core,
  request: FastifyRequest,
  reply: FastifyReply,
  tenant: Tenant,
  pending: PendingAuthorization,
  binding: string,
  state: FormState,
) => {
  const client = await core.clients.find(pending.clientId);
  const context = pageContext(request, tenant, { client, uiLocales: pending.params.uiLocales });
  const { t } = context.messages;
  const issuer = core.tokens.issuerOf(tenant.id);
  const action = signInPageUrl(issuer, pending.id);
  const providers = await providerButtons(core, tenant, action, context.messages);
  const withPassword = state.error !== undefined || (await showsPasswordForm(core, tenant, providers.length));
  const described = state.error === undefined ? undefined : 'form-error';
  const app = client?.settings.branding?.displayName ?? client?.name ?? t('common.the_application');
  const passwordForm = html`<form method="post" action="${action}">
        <input type="hidden" name="csrf" value="${csrfToken(binding)}">
        <label for="email">${t('sign_in.email')}</label>
        <input id="email" name="email" type="email" autocomplete="username" required${providers.length === 0 ? html` autofocus` : ''}
          value="${state.email ?? ''}"${described === undefined ? '' : html` aria-invalid="true" aria-describedby="${described}"`}>
        <label for="password">${t('sign_in.password')}</label>
        <input id="password" name="password" type="password" autocomplete="current-password" required>
        <button type="submit">${t('sign_in.submit')}</button>
      </form>`;
  const links = [...(state.links ?? []), selfServiceLinks(core, request, tenant, action)];
  return sendPage(
    reply,
    pageIn(context, {
      status: state.status,
      title: t('sign_in.title'),
      // The form posts here, and its response redirects to the client: CSP form-action covers both (CSP3 §6.4.3).
      formActions: [cspSourceOf(issuer), cspSourceOf(pending.params.redirectUri)],
      body: html`<h1>${t('sign_in.heading')}</h1>
      <p class="muted">${t('sign_in.to_continue', { app })}</p>
      ${state.notice === undefined ? '' : noticeOf(state.notice, app, binding, action, t)}
      ${state.error === undefined ? '' : html`<p class="error" role="alert" id="form-error">${state.error}</p>`}
      ${providers.length === 0 ? '' : html`<ul class="providers" aria-label="${t('sign_in.providers')}">${providers}</ul>`}
      ${withPassword ? html`${providers.length === 0 ? '' : html`<p class="divider">${t('sign_in.or')}</p>`}${passwordForm}` : ''}
      <div class="links">${links}</div>`,
    }),
  );
};

/** `GET /sign-in/:request`: the hosted sign-in page of a pending authorization request (email prefilled by `login_hint`). */
export const showSignIn = (core: Core) => async (request: FastifyRequest, reply: FastifyReply) => {
  const tenant = tenantOf(request);
  const { pending, binding } = await pendingRequest(core, tenant, request);
  const email = pending.params.loginHint;
  const notice = signInNotices.find((n) => n === (request.query as { notice?: unknown }).notice);
  return renderForm(core, request, reply, tenant, pending, binding, {
    status: 200,
    ...(email === undefined ? {} : { email }),
    ...(notice === undefined ? {} : { notice }),
  });
};

/** What a person is told for each refusal (message keys); nothing more precise (no account enumeration). */
const refusals: Partial<Record<string, { status: number; message: string }>> = {
  invalid_grant: { status: 401, message: 'sign_in.error.wrong_credentials' },
  user_disabled: { status: 403, message: 'sign_in.error.disabled' },
  rate_limited: { status: 429, message: 'page.error.rate_limited' },
  mfa_required: { status: 403, message: 'sign_in.error.mfa_not_set_up' },
  password_reset_required: { status: 403, message: 'sign_in.error.reset_required' },
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
  const { t } = pageContext(request, tenant, { uiLocales: pending.params.uiLocales }).messages;
  const retry = (status: number, error: string) =>
    renderForm(core, request, reply, tenant, pending, binding, {
      status,
      error: t(error),
      ...(email === '' ? {} : { email }),
    });
  if (email === '' || (form.password ?? '') === '') return retry(400, 'sign_in.error.missing');

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
    ...browserOf(request),
  });
  setCookie(reply, sessionCookieOf, cookie, sessionLifetimeSeconds);
  return continueToClient(core, reply, tenant, pending, binding, {
    userId: signIn.user.id,
    amr: signIn.amr,
    authTime: signIn.authTime,
    sid: session.sid,
  });
};
