import type { FastifyReply, FastifyRequest } from 'fastify';
import { GatehouseError, isGatehouseError } from '../../core/errors.js';
import type { AdvanceInput, MechanismView } from '../../core/flows/engine.js';
import type { Core } from '../../core/index.js';
import type { Tenant } from '../../core/tenants/tenant.js';
import { constantTimeEqual, sha256 } from '../../lib/crypto.js';
import { type Messages, messagesFor } from '../../lib/i18n.js';
import { cspSourceOf, html, type SafeHtml, sendPage } from '../shared/html.js';
import { upstreamDoneUrl, withLogin } from '../shared/paths.js';
import { backToAppButton, failedLoginUrl, linkPageUrl, locatedFlow, pendingRequest } from './pending-request.js';

interface LinkForm {
  readonly csrf?: string;
  readonly mechanism?: string;
  readonly action?: string;
  readonly answer?: string;
}

/** CSRF token of the page's forms: derived from the flow's browser binding, which only this browser's cookie holds. */
const csrfToken = (binding: string): string => sha256(`link-csrf:${binding}`);

/** `alice@example.com` → `a…@example.com`: enough for its owner to recognise, not the whole address. */
export const maskEmail = (email: string): string => {
  const at = email.lastIndexOf('@');
  if (at <= 0) return '…';
  return `${email.slice(0, 1)}…${email.slice(at)}`;
};

/** The messages of this request (`Accept-Language`). */
export const messagesOf = (request: FastifyRequest): Messages =>
  messagesFor({ acceptLanguage: request.headers['accept-language'] });

interface Notice {
  readonly status: number;
  readonly error?: string;
  readonly info?: string;
}

const choiceForm = (
  t: Messages['t'],
  action: string,
  csrf: string,
  choice: MechanismView,
  vars: { provider: string; email: string },
): SafeHtml => {
  const hidden = html`<input type="hidden" name="csrf" value="${csrf}">
    <input type="hidden" name="mechanism" value="${choice.id}">`;
  switch (choice.name) {
    case 'password':
      return html`<form method="post" action="${action}">${hidden}
          <input type="hidden" name="action" value="answer">
          <input type="hidden" name="username" autocomplete="username" value="${vars.email}">
          <label for="link-password">${t('link.password_label')}</label>
          <input id="link-password" name="answer" type="password" autocomplete="current-password" required>
          <button type="submit">${t('link.password_submit', vars)}</button>
        </form>`;
    case 'email_code':
      return html`<h2>${t('link.email_heading')}</h2>
        <form method="post" action="${action}">${hidden}
          <input type="hidden" name="action" value="start_oob">
          <button type="submit" class="secondary">${t('link.email_send', vars)}</button>
        </form>
        <form method="post" action="${action}">${hidden}
          <input type="hidden" name="action" value="answer">
          <label for="link-code">${t('link.email_code_label')}</label>
          <input id="link-code" name="answer" inputmode="numeric" autocomplete="one-time-code" required>
          <button type="submit">${t('link.email_code_submit', vars)}</button>
        </form>`;
    default:
      return html``;
  }
};

const render = async (
  core: Core,
  request: FastifyRequest,
  reply: FastifyReply,
  where: { tenant: Tenant; state: string; binding: string },
  notice: Notice = { status: 200 },
) => {
  const { tenant } = where;
  const { flow, challenges } = await core.mfa.pending(tenant, { state: where.state, browserBinding: where.binding });
  if (flow.kind !== 'link' || flow.target.kind !== 'oauth_authorize')
    throw new GatehouseError('flow_invalid', 'this sign-in is not waiting for an account to be linked');
  const { pending, binding: requestBinding } = await pendingRequest(core, tenant, request);
  if (pending.id !== flow.target.requestId)
    throw new GatehouseError('flow_invalid', 'this sign-in is for another request');
  const messages = messagesOf(request);
  const { t } = messages;
  const client = await core.clients.find(pending.clientId);
  const app = client?.name ?? t('common.the_application');
  const connector =
    flow.connectionId === null ? undefined : await core.login.connectors.get(tenant.id, flow.connectionId);
  const vars = { provider: connector?.displayName ?? flow.connectionId ?? '', email: maskEmail(flow.username ?? '') };
  const action = withLogin(linkPageUrl(flow.target.signInPage), where.state);
  const csrf = csrfToken(where.binding);
  const choices = challenges[flow.mfaStep]?.mechanisms ?? [];
  const title = t('link.title', vars);
  return sendPage(reply, {
    status: notice.status,
    title: `${title} – ${tenant.name}`,
    lang: messages.locale,
    // The last answer redirects (through the hand-over) to the client: CSP form-action must allow its origin.
    formActions: [cspSourceOf(pending.params.redirectUri)],
    body: html`<h1>${title}</h1>
      <p>${t('link.explanation', vars)}</p>
      ${notice.error === undefined ? '' : html`<p class="error" role="alert">${notice.error}</p>`}
      ${notice.info === undefined ? '' : html`<p role="status">${notice.info}</p>`}
      ${choices.map((choice) => choiceForm(t, action, csrf, choice, vars))}
      <p class="muted">${t('link.no_link_without_proof', vars)}</p>
      ${backToAppButton(flow.target.signInPage, requestBinding, t('common.back_to_app', { app }))}`,
  });
};

/**
 * `GET /t/{tenant}/sign-in/{request}/link?login={state}`: an IdP returned an identity whose email belongs to an
 * existing account; its owner proves the account (its password, or a code mailed to its address) to link it.
 */
export const showLinkPage = (core: Core) => async (request: FastifyRequest, reply: FastifyReply) => {
  const where = await locatedFlow(core, request);
  return render(core, request, reply, where);
};

const actions: Readonly<Record<string, AdvanceInput['action']>> = { answer: 'answer', start_oob: 'start_oob' };

/**
 * `POST` of the same page: checks the proof (through the flow engine, single use, rate-limited); the last answer links
 * the identity and goes on to the hand-over, which returns to the app with a code.
 */
export const submitLinkPage = (core: Core) => async (request: FastifyRequest, reply: FastifyReply) => {
  const where = await locatedFlow(core, request);
  const { tenant, state, binding } = where;
  const form = (request.body ?? {}) as LinkForm;
  if (form.csrf === undefined || !constantTimeEqual(form.csrf, csrfToken(binding)))
    throw new GatehouseError('forbidden', 'the form is stale; reload the page and try again');
  const { t } = messagesOf(request);
  const action = actions[form.action ?? ''];
  if (action === undefined || form.mechanism === undefined)
    return render(core, request, reply, where, { status: 400, error: t('link.choose') });
  let result: Awaited<ReturnType<Core['mfa']['advance']>>;
  try {
    result = await core.mfa.advance({
      tenant,
      flow: { state, browserBinding: binding },
      target: 'oauth_authorize',
      mechanismId: form.mechanism,
      action,
      ...(form.answer === undefined ? {} : { answer: form.answer }),
      ip: request.ip,
    });
  } catch (error) {
    const code = isGatehouseError(error) ? error.code : undefined;
    if (code === 'mfa_answer_invalid')
      return render(core, request, reply, where, { status: 400, error: t('link.wrong') });
    if (code === 'rate_limited')
      return render(core, request, reply, where, { status: 429, error: t('link.rate_limited') });
    if (code === 'invalid_request')
      return render(core, request, reply, where, { status: 400, error: t('link.choose') });
    throw error;
  }
  switch (result.kind) {
    case 'oob_pending':
      return render(core, request, reply, where, {
        status: 200,
        info: t('link.email_sent', { email: maskEmail(result.flow.username ?? '') }),
      });
    case 'next_challenge':
    case 'complete': {
      const { target } = result.kind === 'complete' ? result.finished.flow : result.flow;
      if (target.kind !== 'oauth_authorize')
        throw new GatehouseError('flow_invalid', 'this sign-in is not a page flow');
      const next = result.kind === 'complete' ? upstreamDoneUrl(target.signInPage) : linkPageUrl(target.signInPage);
      return reply.redirect(withLogin(next, state), 303);
    }
    case 'login_failure': {
      // Too many wrong answers: the flow failed, and the app hears it.
      const { target } = result.flow;
      if (target.kind !== 'oauth_authorize')
        throw new GatehouseError('flow_invalid', 'this sign-in is not a page flow');
      return reply.redirect(withLogin(failedLoginUrl(target.signInPage), state), 303);
    }
  }
};
