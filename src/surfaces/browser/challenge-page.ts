import type { FastifyReply, FastifyRequest } from 'fastify';
import { GatehouseError, isGatehouseError } from '../../core/errors.js';
import type { AdvanceInput, MechanismView } from '../../core/flows/engine.js';
import type { Core } from '../../core/index.js';
import type { Tenant } from '../../core/tenants/tenant.js';
import { constantTimeEqual, sha256 } from '../../lib/crypto.js';
import { readBindingCookie } from '../shared/binding-cookie.js';
import { bindingCookie, readCookie } from '../shared/cookies.js';
import { cspSourceOf, html, type SafeHtml, sendPage } from '../shared/html.js';
import { mfaPageUrl, upstreamDoneUrl, withLogin } from '../shared/paths.js';

interface ChallengeForm {
  readonly csrf?: string;
  readonly mechanism?: string;
  readonly action?: string;
  readonly answer?: string;
}

/** CSRF token of the page's forms: derived from the flow's browser binding, which only this browser's cookie holds. */
const csrfToken = (binding: string): string => sha256(`mfa-csrf:${binding}`);

const located = async (core: Core, request: FastifyRequest) => {
  const { tenant: tenantId } = request.params as { tenant: string };
  const tenant = await core.tenants.require(tenantId);
  const state = (request.query as { login?: string }).login ?? '';
  const binding = readBindingCookie(request, core.settings.publicUrl, state);
  if (binding === undefined) throw new GatehouseError('flow_invalid', 'this sign-in was started in another browser');
  return { tenant, state, binding };
};

const mechanismForm = (action: string, csrf: string, mechanism: MechanismView): SafeHtml => {
  const hidden = html`<input type="hidden" name="csrf" value="${csrf}">
    <input type="hidden" name="mechanism" value="${mechanism.id}">`;
  const codeForm = (label: string) => html`<form method="post" action="${action}">${hidden}
      <input type="hidden" name="action" value="answer">
      <label for="answer-${mechanism.name}">${label}</label>
      <input id="answer-${mechanism.name}" name="answer" autocomplete="one-time-code" required>
      <button type="submit">Verify</button>
    </form>`;
  switch (mechanism.name) {
    case 'email_code':
      return html`<h2>Email</h2>
        <form method="post" action="${action}">${hidden}
          <input type="hidden" name="action" value="start_oob">
          <button type="submit">Email a code to xxxx@${mechanism.partialAddress ?? ''}</button>
        </form>
        ${codeForm('Code from the email')}
        <form method="post" action="${action}">${hidden}
          <input type="hidden" name="action" value="poll">
          <button type="submit">I opened the link in the email</button>
        </form>`;
    case 'totp':
      return html`<h2>Authenticator app</h2>${codeForm('Code from your authenticator app')}`;
    case 'recovery_code':
      return html`<h2>Recovery code</h2>${codeForm('One of your recovery codes')}`;
    case 'password':
      return html``;
  }
};

const render = async (
  core: Core,
  request: FastifyRequest,
  reply: FastifyReply,
  tenant: Tenant,
  where: { state: string; binding: string },
  notice: { status: number; error?: string; info?: string } = { status: 200 },
) => {
  const { flow, challenges } = await core.mfa.pending(tenant, { state: where.state, browserBinding: where.binding });
  if (flow.target.kind !== 'oauth_authorize')
    throw new GatehouseError('flow_invalid', 'this sign-in is not a page flow');
  const action = withLogin(mfaPageUrl(flow.target.signInPage), where.state);
  const mechanisms = challenges[flow.mfaStep]?.mechanisms ?? [];
  // The last answer redirects (through the hand-over) to the client: CSP form-action must allow its origin.
  const authz = readCookie(request, bindingCookie(core.settings.publicUrl, tenant.id, flow.target.requestId));
  const pending =
    authz === undefined
      ? undefined
      : await core.login.authorizationRequests.find(tenant.id, flow.target.requestId, authz);
  return sendPage(reply, {
    status: notice.status,
    ...(pending === undefined ? {} : { formActions: [cspSourceOf(pending.params.redirectUri)] }),
    title: `Verify it is you – ${tenant.name}`,
    body: html`<h1>Verify it is you</h1>
      <p class="muted">Use one of these to finish signing in.</p>
      ${notice.error === undefined ? '' : html`<p class="error" role="alert">${notice.error}</p>`}
      ${notice.info === undefined ? '' : html`<p role="status">${notice.info}</p>`}
      ${mechanisms.map((mechanism) => mechanismForm(action, csrfToken(where.binding), mechanism))}`,
  });
};

/** `GET /t/{tenant}/sign-in/{request}/mfa?login={state}`: the second-factor step of a hosted-pages login. */
export const showChallengePage = (core: Core) => async (request: FastifyRequest, reply: FastifyReply) => {
  const { tenant, state, binding } = await located(core, request);
  return render(core, request, reply, tenant, { state, binding });
};

const actions: Readonly<Record<string, AdvanceInput['action']>> = {
  answer: 'answer',
  start_oob: 'start_oob',
  poll: 'poll',
};

/** What a person is told for each refusal. */
const refusals: Partial<Record<string, { status: number; message: string }>> = {
  mfa_answer_invalid: { status: 400, message: 'That code is wrong or has expired.' },
  rate_limited: { status: 429, message: 'Too many attempts. Wait a few minutes, then try again.' },
  invalid_request: { status: 400, message: 'Choose one of the options below.' },
};

/** `POST` of the same page: answers, starts or polls a mechanism; the last answer returns to the authorization. */
export const submitChallengePage = (core: Core) => async (request: FastifyRequest, reply: FastifyReply) => {
  const { tenant, state, binding } = await located(core, request);
  const form = (request.body ?? {}) as ChallengeForm;
  if (form.csrf === undefined || !constantTimeEqual(form.csrf, csrfToken(binding)))
    throw new GatehouseError('forbidden', 'the form is stale; reload the page and try again');
  const action = actions[form.action ?? ''];
  if (action === undefined || form.mechanism === undefined)
    return render(
      core,
      request,
      reply,
      tenant,
      { state, binding },
      { status: 400, error: 'Choose one of the options below.' },
    );
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
    const refusal = isGatehouseError(error) ? refusals[error.code] : undefined;
    if (refusal === undefined) throw error;
    return render(core, request, reply, tenant, { state, binding }, { status: refusal.status, error: refusal.message });
  }
  switch (result.kind) {
    case 'oob_pending':
      return render(
        core,
        request,
        reply,
        tenant,
        { state, binding },
        {
          status: 200,
          info:
            action === 'poll' ? 'The link has not been opened yet.' : 'We sent you an email with a code and a link.',
        },
      );
    case 'next_challenge':
    case 'complete': {
      const { target } = result.kind === 'complete' ? result.finished.flow : result.flow;
      if (target.kind !== 'oauth_authorize')
        throw new GatehouseError('flow_invalid', 'this sign-in is not a page flow');
      const next = result.kind === 'complete' ? upstreamDoneUrl(target.signInPage) : mfaPageUrl(target.signInPage);
      return reply.redirect(withLogin(next, state), 303);
    }
    case 'login_failure':
      throw new GatehouseError('access_denied', 'too many wrong answers: start the sign-in again');
  }
};
