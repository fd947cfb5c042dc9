import type { FastifyReply, FastifyRequest } from 'fastify';
import { GatehouseError, isGatehouseError } from '../../core/errors.js';
import type { Core } from '../../core/index.js';
import type { Tenant } from '../../core/tenants/tenant.js';
import { constantTimeEqual, sha256 } from '../../lib/crypto.js';
import { cspSourceOf, html, sendPage } from '../shared/html.js';
import { mfaPageUrl, upstreamDoneUrl, withLogin } from '../shared/paths.js';
import { maskEmail, messagesOf } from './link-account.js';
import {
  addressPageUrl,
  backToAppButton,
  failedLoginUrl,
  linkPageUrl,
  locatedFlow,
  pendingRequest,
} from './pending-request.js';

interface AddressForm {
  readonly csrf?: string;
  readonly action?: string;
  readonly email?: string;
  readonly code?: string;
}

/** CSRF token of the page's forms: derived from the flow's browser binding, which only this browser's cookie holds. */
const csrfToken = (binding: string): string => sha256(`address-csrf:${binding}`);

interface Notice {
  readonly status: number;
  readonly error?: string;
  readonly info?: string;
}

const render = async (
  core: Core,
  request: FastifyRequest,
  reply: FastifyReply,
  where: { tenant: Tenant; state: string; binding: string },
  notice: Notice = { status: 200 },
) => {
  const { tenant } = where;
  const { flow, sentTo } = await core.login.address.pending({
    tenant,
    state: where.state,
    browserBinding: where.binding,
  });
  if (flow.target.kind !== 'oauth_authorize')
    throw new GatehouseError('flow_invalid', 'this sign-in is not waiting for an address');
  const { pending, binding: requestBinding } = await pendingRequest(core, tenant, request);
  if (pending.id !== flow.target.requestId)
    throw new GatehouseError('flow_invalid', 'this sign-in is for another request');
  const messages = messagesOf(request);
  const { t } = messages;
  const client = await core.clients.find(pending.clientId);
  const app = client?.name ?? t('common.the_application');
  const connector =
    flow.connectionId === null ? undefined : await core.login.connectors.get(tenant.id, flow.connectionId);
  const vars = { provider: connector?.displayName ?? flow.connectionId ?? '', app };
  const action = withLogin(addressPageUrl(flow.target.signInPage), where.state);
  const csrf = csrfToken(where.binding);
  const title = t('journey.email_title');
  const hidden = html`<input type="hidden" name="csrf" value="${csrf}">`;
  return sendPage(reply, {
    status: notice.status,
    title: `${title} – ${tenant.name}`,
    lang: messages.locale,
    // The code's answer redirects (through the hand-over) to the client: CSP form-action must allow its origin.
    formActions: [cspSourceOf(pending.params.redirectUri)],
    body: html`<h1>${title}</h1>
      <p>${t('journey.email_explanation', vars)}</p>
      ${notice.error === undefined ? '' : html`<p class="error" role="alert">${notice.error}</p>`}
      ${notice.info === undefined ? '' : html`<p role="status">${notice.info}</p>`}
      ${
        sentTo === undefined
          ? ''
          : html`<form method="post" action="${action}">${hidden}
          <input type="hidden" name="action" value="verify">
          <label for="address-code">${t('journey.email_code_label', { email: maskEmail(sentTo) })}</label>
          <input id="address-code" name="code" inputmode="numeric" autocomplete="one-time-code" required>
          <button type="submit">${t('journey.email_code_submit')}</button>
        </form>`
      }
      <form method="post" action="${action}">${hidden}
        <input type="hidden" name="action" value="send">
        <label for="address-email">${t('journey.email_label')}</label>
        <input id="address-email" name="email" type="email" autocomplete="email" value="${sentTo ?? ''}" required>
        <button type="submit" class="${sentTo === undefined ? '' : 'secondary'}">${t(
          sentTo === undefined ? 'journey.email_send' : 'journey.email_resend',
        )}</button>
      </form>
      ${backToAppButton(flow.target.signInPage, requestBinding, t('common.back_to_app', { app }))}`,
  });
};

/**
 * `GET /t/{tenant}/sign-in/{request}/email?login={state}`: the IdP gave no address the tenant can use; the person
 * types one and proves it with a code mailed to it.
 */
export const showAddressPage = (core: Core) => async (request: FastifyRequest, reply: FastifyReply) =>
  render(core, request, reply, await locatedFlow(core, request));

/**
 * `POST` of the same page: `send` mails a code to the typed address (rate-limited; a new code supersedes the last),
 * `verify` checks it. A proven address of nobody's goes on to the hand-over (a new account with that address); one of
 * an existing account goes to the link page (proof of that account first); too many wrong codes answer the app.
 */
export const submitAddressPage = (core: Core) => async (request: FastifyRequest, reply: FastifyReply) => {
  const where = await locatedFlow(core, request);
  const { tenant, state, binding } = where;
  const form = (request.body ?? {}) as AddressForm;
  if (form.csrf === undefined || !constantTimeEqual(form.csrf, csrfToken(binding)))
    throw new GatehouseError('forbidden', 'the form is stale; reload the page and try again');
  const messages = messagesOf(request);
  const { t } = messages;
  const step = { tenant, state, browserBinding: binding };
  try {
    if (form.action === 'send') {
      if (form.email === undefined || form.email.trim() === '')
        return render(core, request, reply, where, { status: 400, error: t('journey.email_invalid') });
      await core.login.address.sendCode({ ...step, email: form.email, locale: messages.locale });
      return render(core, request, reply, where, {
        status: 200,
        info: t('journey.email_sent', { email: maskEmail(form.email.trim()) }),
      });
    }
    if (form.action !== 'verify' || form.code === undefined)
      return render(core, request, reply, where, { status: 400, error: t('journey.email_invalid') });
    const result = await core.login.address.verifyCode({ ...step, code: form.code, ip: request.ip });
    const { target } = result.flow;
    if (target.kind !== 'oauth_authorize') throw new GatehouseError('flow_invalid', 'this sign-in is not a page flow');
    if (result.kind === 'link_needed') return reply.redirect(withLogin(linkPageUrl(target.signInPage), state), 303);
    if (result.kind === 'failed') return reply.redirect(withLogin(failedLoginUrl(target.signInPage), state), 303);
    const next = await core.login.continueLogin({
      tenant,
      state,
      target: 'oauth_authorize',
      browserBinding: binding,
      ip: request.ip,
    });
    const page = next.kind === 'challenge' ? mfaPageUrl(target.signInPage) : upstreamDoneUrl(target.signInPage);
    return reply.redirect(withLogin(page, state), 303);
  } catch (error) {
    const code = isGatehouseError(error) ? error.code : undefined;
    if (code === 'invalid_request')
      return render(core, request, reply, where, { status: 400, error: t('journey.email_invalid') });
    if (code === 'mfa_answer_invalid')
      return render(core, request, reply, where, { status: 400, error: t('journey.email_wrong') });
    if (code === 'rate_limited')
      return render(core, request, reply, where, { status: 429, error: t('journey.email_rate_limited') });
    throw error;
  }
};
