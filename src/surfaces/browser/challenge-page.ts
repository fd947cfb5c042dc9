import type { FastifyReply, FastifyRequest } from 'fastify';
import { GatehouseError, isGatehouseError } from '../../core/errors.js';
import type { AdvanceInput, MechanismView } from '../../core/flows/engine.js';
import type { Core } from '../../core/index.js';
import type { Tenant } from '../../core/tenants/tenant.js';
import { constantTimeEqual, sha256 } from '../../lib/crypto.js';
import type { Messages } from '../../lib/i18n.js';
import { bindingCookie, readCookie } from '../shared/cookies.js';
import { cspSourceOf, html, type SafeHtml, sendPage } from '../shared/html.js';
import { mfaPageUrl, upstreamDoneUrl, withLogin } from '../shared/paths.js';
import { pageContext, pageIn } from './page-context.js';
import { locatedFlow } from './pending-request.js';

interface ChallengeForm {
  readonly csrf?: string;
  readonly mechanism?: string;
  readonly action?: string;
  readonly answer?: string;
}

/** CSRF token of the page's forms: derived from the flow's browser binding, which only this browser's cookie holds. */
const csrfToken = (binding: string): string => sha256(`mfa-csrf:${binding}`);

/** The message key naming each way to prove it is you. */
const methodNames: Readonly<Record<MechanismView['name'], string>> = {
  email_code: 'mfa.method.email_code',
  totp: 'mfa.method.totp',
  recovery_code: 'mfa.method.recovery_code',
  password: 'mfa.method.password',
};

/** Where the page is for one method: shown with `?method=` (the first offered when absent). */
const methodUrl = (action: string, mechanism: MechanismView): string => {
  const url = new URL(action);
  url.searchParams.set('method', mechanism.id);
  return url.href;
};

/** The script of the waiting email step: asks the poll endpoint now and then, and goes on once the link is approved. */
const pollScript = `(()=>{const f=document.getElementById('poll-form');if(!f)return;let n=0;
const tick=()=>{n++;fetch(f.dataset.poll,{method:'POST',body:new URLSearchParams(new FormData(f)),credentials:'same-origin'})
.then((r)=>r.ok?r.json():{status:'stopped'}).then((d)=>{if(d.status==='done')location.assign(d.next);
else if(d.status==='pending'&&n<24)setTimeout(tick,n<10?2000:10000);}).catch(()=>{});};setTimeout(tick,2000);})();`;

interface Shown {
  readonly action: string;
  readonly csrf: string;
  readonly messages: Messages;
  /** The email step has sent its message: show the code field and wait for the link. */
  readonly sent: boolean;
  readonly described?: string;
}

const mechanismForm = (shown: Shown, mechanism: MechanismView): SafeHtml => {
  const { t } = shown.messages;
  const hidden = html`<input type="hidden" name="csrf" value="${shown.csrf}">
    <input type="hidden" name="mechanism" value="${mechanism.id}">`;
  const invalid = shown.described === undefined ? '' : html` aria-invalid="true" aria-describedby="${shown.described}"`;
  const codeForm = (label: string, numeric: boolean) => html`<form method="post" action="${shown.action}">${hidden}
      <input type="hidden" name="action" value="answer">
      <label for="answer">${label}</label>
      <input id="answer" name="answer" autocomplete="one-time-code" required autofocus${numeric ? html` inputmode="numeric"` : ''}${invalid}>
      <button type="submit">${t('mfa.verify')}</button>
    </form>`;
  switch (mechanism.name) {
    case 'email_code':
      if (!shown.sent)
        return html`<p>${t('mfa.email.explain', { domain: mechanism.partialAddress ?? '' })}</p>
        <form method="post" action="${shown.action}">${hidden}
          <input type="hidden" name="action" value="start_oob">
          <button type="submit">${t('mfa.email.send')}</button>
        </form>`;
      return html`<p class="notice" role="status"><span>${t('mfa.email.waiting', { domain: mechanism.partialAddress ?? '' })}</span></p>
        ${codeForm(t('mfa.email.code_label'), true)}
        <form method="post" action="${shown.action}" id="poll-form" data-poll="${pollUrl(shown.action)}">${hidden}
          <input type="hidden" name="action" value="poll">
          <button type="submit" class="secondary">${t('mfa.email.approved_continue')}</button>
        </form>
        <form method="post" action="${shown.action}">${hidden}
          <input type="hidden" name="action" value="start_oob">
          <button type="submit" class="link">${t('mfa.email.resend')}</button>
        </form>`;
    case 'totp':
      return codeForm(t('mfa.totp.code_label'), true);
    case 'recovery_code':
      return codeForm(t('mfa.recovery.code_label'), false);
    case 'password':
      return html``;
  }
};

/** The poll endpoint beside the page (same `login` query). */
const pollUrl = (action: string): string => {
  const url = new URL(action);
  url.pathname = `${url.pathname}/poll`;
  url.searchParams.delete('method');
  return url.href;
};

interface Notice {
  readonly status: number;
  readonly error?: string;
  readonly info?: string;
  /** The method to show (a mechanism id), else `?method=`, else the first. */
  readonly method?: string;
  readonly sent?: boolean;
}

/** The flow of this page, its methods, and the language and brand of its authorization request's client. */
const flowPage = async (
  core: Core,
  request: FastifyRequest,
  tenant: Tenant,
  where: { state: string; binding: string },
) => {
  const { flow, challenges } = await core.mfa.pending(tenant, { state: where.state, browserBinding: where.binding });
  if (flow.target.kind !== 'oauth_authorize')
    throw new GatehouseError('flow_invalid', 'this sign-in is not a page flow');
  const mechanisms = (challenges[flow.mfaStep]?.mechanisms ?? []).filter((m) => m.name !== 'password');
  const authz = readCookie(request, bindingCookie(core.settings.publicUrl, tenant.id, flow.target.requestId));
  const pending =
    authz === undefined
      ? undefined
      : await core.login.authorizationRequests.find(tenant.id, flow.target.requestId, authz);
  const client = pending === undefined ? undefined : await core.clients.find(pending.clientId);
  const context = pageContext(request, tenant, { client, uiLocales: pending?.params.uiLocales });
  return { signInPage: flow.target.signInPage, mechanisms, pending, context };
};

const render = async (
  core: Core,
  request: FastifyRequest,
  reply: FastifyReply,
  tenant: Tenant,
  where: { state: string; binding: string },
  notice: Notice = { status: 200 },
) => {
  const { signInPage, mechanisms, pending, context } = await flowPage(core, request, tenant, where);
  const action = withLogin(mfaPageUrl(signInPage), where.state);
  const { t } = context.messages;
  const wanted = notice.method ?? (request.query as { method?: string }).method;
  const shown = mechanisms.find((m) => m.id === wanted) ?? mechanisms[0];
  const others = mechanisms.filter((m) => m !== shown);
  const sent = notice.sent === true && shown?.name === 'email_code';
  return sendPage(
    reply,
    pageIn(context, {
      status: notice.status,
      // The last answer redirects (through the hand-over) to the client: CSP form-action must allow its origin.
      ...(pending === undefined ? {} : { formActions: [cspSourceOf(pending.params.redirectUri)] }),
      title: t('mfa.title'),
      ...(sent ? { script: pollScript } : {}),
      body: html`<h1>${t('mfa.heading')}</h1>
      ${shown === undefined ? '' : html`<h2>${t(methodNames[shown.name])}</h2>`}
      ${notice.error === undefined ? '' : html`<p class="error" role="alert" id="mfa-error">${notice.error}</p>`}
      ${notice.info === undefined ? '' : html`<p class="notice" role="status">${notice.info}</p>`}
      ${
        shown === undefined
          ? ''
          : mechanismForm(
              {
                action,
                csrf: csrfToken(where.binding),
                messages: context.messages,
                sent,
                ...(notice.error === undefined ? {} : { described: 'mfa-error' }),
              },
              shown,
            )
      }
      ${
        others.length === 0
          ? ''
          : html`<h2 class="divider">${t('mfa.another_method')}</h2>
      <ul class="providers">${others.map(
        (m) => html`<li><a class="button secondary" href="${methodUrl(action, m)}">${t(methodNames[m.name])}</a></li>`,
      )}</ul>`
      }`,
    }),
  );
};

/** `GET /t/{tenant}/sign-in/{request}/mfa?login={state}[&method={id}]`: one way to prove it is you, and the others. */
export const showChallengePage = (core: Core) => async (request: FastifyRequest, reply: FastifyReply) => {
  const { tenant, state, binding } = await locatedFlow(core, request);
  return render(core, request, reply, tenant, { state, binding });
};

const actions: Readonly<Record<string, AdvanceInput['action']>> = {
  answer: 'answer',
  start_oob: 'start_oob',
  poll: 'poll',
};

/** What a person is told for each refusal (message keys). */
const refusals: Partial<Record<string, { status: number; message: string }>> = {
  mfa_answer_invalid: { status: 400, message: 'mfa.error.wrong_code' },
  rate_limited: { status: 429, message: 'page.error.rate_limited' },
  invalid_request: { status: 400, message: 'mfa.error.choose' },
};

const checkedForm = (request: FastifyRequest, binding: string): ChallengeForm => {
  const form = (request.body ?? {}) as ChallengeForm;
  if (form.csrf === undefined || !constantTimeEqual(form.csrf, csrfToken(binding)))
    throw new GatehouseError('forbidden', 'the form is stale; reload the page and try again');
  return form;
};

/** Where the browser goes after a step is passed: the next step, or the hand-over back to the authorization. */
const nextUrl = (result: { kind: 'next_challenge' | 'complete' } & Awaited<ReturnType<Core['mfa']['advance']>>) => {
  const { target } = result.kind === 'complete' ? result.finished.flow : result.flow;
  if (target.kind !== 'oauth_authorize') throw new GatehouseError('flow_invalid', 'this sign-in is not a page flow');
  return result.kind === 'complete' ? upstreamDoneUrl(target.signInPage) : mfaPageUrl(target.signInPage);
};

/** `POST` of the same page: answers, starts or polls a mechanism; the last answer returns to the authorization. */
export const submitChallengePage = (core: Core) => async (request: FastifyRequest, reply: FastifyReply) => {
  const { tenant, state, binding } = await locatedFlow(core, request);
  const form = checkedForm(request, binding);
  const where = { state, binding };
  // The language of the page, which the email a start sends is written in.
  const { t, locale } = (await flowPage(core, request, tenant, where)).context.messages;
  const action = actions[form.action ?? ''];
  if (action === undefined || form.mechanism === undefined)
    return render(core, request, reply, tenant, where, { status: 400, error: t('mfa.error.choose') });
  const shown = { method: form.mechanism };
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
      locale,
    });
  } catch (error) {
    const refusal = isGatehouseError(error) ? refusals[error.code] : undefined;
    if (refusal === undefined) throw error;
    return render(core, request, reply, tenant, where, {
      status: refusal.status,
      error: t(refusal.message),
      ...shown,
      sent: action !== 'start_oob',
    });
  }
  switch (result.kind) {
    case 'oob_pending':
      return render(core, request, reply, tenant, where, {
        status: 200,
        ...shown,
        sent: true,
        ...(action === 'poll' ? { info: t('mfa.email.not_yet') } : {}),
      });
    case 'next_challenge':
    case 'complete':
      return reply.redirect(withLogin(nextUrl(result), state), 303);
    case 'login_failure':
      throw new GatehouseError('access_denied', 'too many wrong answers: start the sign-in again');
  }
};

/**
 * `POST /t/{tenant}/sign-in/{request}/mfa/poll?login={state}` (the waiting page's script): polls the email step once.
 * JSON: `{"status":"pending"}`, `{"status":"done","next":url}` once the link is approved, or `{"status":"stopped"}`
 * when polling cannot go on (the person then uses the page's button, which shows why).
 */
export const pollChallengePage = (core: Core) => async (request: FastifyRequest, reply: FastifyReply) => {
  reply.header('cache-control', 'no-store');
  try {
    const { tenant, state, binding } = await locatedFlow(core, request);
    const form = checkedForm(request, binding);
    const result = await core.mfa.advance({
      tenant,
      flow: { state, browserBinding: binding },
      target: 'oauth_authorize',
      mechanismId: form.mechanism ?? '',
      action: 'poll',
      ip: request.ip,
    });
    if (result.kind === 'oob_pending') return reply.send({ status: 'pending' });
    if (result.kind === 'login_failure') return reply.send({ status: 'stopped' });
    return reply.send({ status: 'done', next: withLogin(nextUrl(result), state) });
  } catch (error) {
    if (!isGatehouseError(error)) throw error;
    return reply.code(error.status >= 500 ? 500 : 200).send({ status: 'stopped' });
  }
};
