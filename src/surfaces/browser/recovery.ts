import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Core } from '../../core/index.js';
import type { Messages } from '../../lib/i18n.js';
import { html, sendPage } from '../shared/html.js';
import { tenantOf } from '../shared/tenant.js';
import { pageContext } from './page-context.js';
import {
  formField,
  messagesOf,
  refusalText,
  requireCsrf,
  type SelfServiceContext,
  selfServiceContext,
  sendSelfServicePage,
} from './self-service-page.js';

const newPasswordFields = (t: Messages['t'], invalid: ReturnType<typeof html> | '') =>
  html`<label for="password">${t('recovery.password_label')}</label>
        <input id="password" name="password" type="password" autocomplete="new-password" required minlength="8"
          maxlength="128" aria-describedby="password-hint"${invalid}>
        <p class="muted" id="password-hint">${t('signup.password_hint', { min: 8 })}</p>`;

const invalidMark = (error: string | undefined) =>
  error === undefined ? '' : html` aria-invalid="true" aria-describedby="form-error"`;

const renderForgot = (
  reply: FastifyReply,
  context: SelfServiceContext,
  state: { status: number; email?: string; error?: string },
) =>
  sendSelfServicePage(reply, context, {
    status: state.status,
    title: context.t('recovery.title'),
    lead: context.t('recovery.lead'),
    ...(state.error === undefined ? {} : { error: state.error }),
    body: html`<form method="post" action="${context.pageUrl('forgot')}">
        ${context.csrf}
        <label for="email">${context.t('recovery.email_label')}</label>
        <input id="email" name="email" type="email" autocomplete="email" required maxlength="320"
          value="${state.email ?? ''}"${invalidMark(state.error)}>
        <button type="submit">${context.t('recovery.submit')}</button>
      </form>`,
  });

/** `GET /t/{tenant}/sign-in/{request}/forgot`: "Forgot password?": the address to mail a code to. */
export const showForgot = (core: Core) => async (request: FastifyRequest, reply: FastifyReply) => {
  const context = await selfServiceContext(core, request);
  core.selfService.requireOffered(context.tenant, 'recovery');
  const hint = context.pending.params.loginHint;
  return renderForgot(reply, context, { status: 200, ...(hint === undefined ? {} : { email: hint }) });
};

/** `POST` of the same page: mails a code when the address has an account, and says "check your mail" either way. */
export const submitForgot = (core: Core) => async (request: FastifyRequest, reply: FastifyReply) => {
  const context = await selfServiceContext(core, request);
  requireCsrf(context.binding, formField(request, 'csrf'));
  const email = formField(request, 'email').trim();
  try {
    const { email: address } = await core.selfService.recovery.start({
      tenant: context.tenant,
      email,
      locale: context.messages.locale,
      ip: request.ip,
    });
    const next = new URL(context.pageUrl('reset'));
    next.searchParams.set('email', address);
    return reply.redirect(next.href, 303);
  } catch (error) {
    const refusal = refusalText(context.t, error, reply);
    if (refusal === undefined) throw error;
    return renderForgot(reply, context, { status: refusal.status, email, error: refusal.message });
  }
};

const addressOf = (request: FastifyRequest): string => {
  const fromForm = formField(request, 'email');
  if (fromForm !== '') return fromForm;
  const { email } = request.query as { email?: unknown };
  return typeof email === 'string' ? email.slice(0, 320) : '';
};

const renderReset = (
  reply: FastifyReply,
  context: SelfServiceContext,
  state: { status: number; email: string; error?: string },
) => {
  const { t } = context;
  return sendSelfServicePage(reply, context, {
    status: state.status,
    title: t('recovery.reset_title'),
    lead: t('recovery.reset_lead', { email: state.email }),
    ...(state.error === undefined ? {} : { error: state.error }),
    body: html`<form method="post" action="${context.pageUrl('reset')}">
        ${context.csrf}
        <input type="hidden" name="email" value="${state.email}">
        <label for="code">${t('recovery.code_label')}</label>
        <input id="code" name="code" type="text" inputmode="numeric" autocomplete="one-time-code" required
          pattern="[0-9 ]{6,7}" maxlength="7"${invalidMark(state.error)}>
        ${newPasswordFields(t, invalidMark(state.error))}
        <button type="submit">${t('recovery.reset_submit')}</button>
      </form>`,
  });
};

/** `GET /t/{tenant}/sign-in/{request}/reset?email=…`: the mailed code and a new password. */
export const showReset = (core: Core) => async (request: FastifyRequest, reply: FastifyReply) => {
  const context = await selfServiceContext(core, request);
  return renderReset(reply, context, { status: 200, email: addressOf(request) });
};

/** `POST` of the same page: sets the new password; every session and refresh token of the account ends. */
export const submitReset = (core: Core) => async (request: FastifyRequest, reply: FastifyReply) => {
  const context = await selfServiceContext(core, request);
  requireCsrf(context.binding, formField(request, 'csrf'));
  const email = addressOf(request);
  try {
    await core.selfService.recovery.complete({
      tenant: context.tenant,
      proof: { email, code: formField(request, 'code') },
      password: formField(request, 'password'),
      ip: request.ip,
    });
  } catch (error) {
    const refusal = refusalText(context.t, error, reply);
    if (refusal === undefined) throw error;
    return renderReset(reply, context, { status: refusal.status, email, error: refusal.message });
  }
  return sendSelfServicePage(reply, context, {
    status: 200,
    title: context.t('recovery.done_title'),
    lead: context.t('recovery.done_lead'),
    body: html``,
  });
};

const linkToken = (request: FastifyRequest): string => {
  const source = (request.method === 'POST' ? request.body : request.query) as { token?: unknown } | undefined;
  return typeof source?.token === 'string' ? source.token.slice(0, 200) : '';
};

const renderLinkReset = (
  reply: FastifyReply,
  core: Core,
  request: FastifyRequest,
  state: { status: number; error?: string },
) => {
  const tenant = tenantOf(request);
  const page = pageContext(request, tenant);
  const { t } = page.messages;
  return sendPage(reply, {
    status: state.status,
    lang: page.messages.locale,
    brand: page.brand,
    chrome: { support: t('page.support') },
    title: `${t('recovery.reset_title')} – ${page.brand.name}`,
    body: html`<h1>${t('recovery.reset_title')}</h1>
      ${state.error === undefined ? '' : html`<p class="error" role="alert" id="form-error">${state.error}</p>`}
      <form method="post" action="${`${core.tokens.issuerOf(tenant.id)}/recovery`}">
        <input type="hidden" name="token" value="${linkToken(request)}">
        ${newPasswordFields(t, invalidMark(state.error))}
        <button type="submit">${t('recovery.reset_submit')}</button>
      </form>`,
  });
};

/** `GET /t/{tenant}/recovery?token=…`: the link of a recovery mail: a new password for the account (nothing changes yet). */
export const showRecoveryLink = (core: Core) => async (request: FastifyRequest, reply: FastifyReply) =>
  renderLinkReset(reply, core, request, { status: 200 });

/** `POST` of the same URL: sets the new password, once. */
export const submitRecoveryLink = (core: Core) => async (request: FastifyRequest, reply: FastifyReply) => {
  const tenant = tenantOf(request);
  const messages = messagesOf(request);
  try {
    await core.selfService.recovery.complete({
      tenant,
      proof: { token: linkToken(request) },
      password: formField(request, 'password'),
      ip: request.ip,
    });
  } catch (error) {
    const refusal = refusalText(messages.t, error, reply);
    if (refusal === undefined) throw error;
    return renderLinkReset(reply, core, request, { status: refusal.status, error: refusal.message });
  }
  return sendSelfServicePage(reply, undefined, {
    status: 200,
    title: messages.t('recovery.done_title'),
    lead: messages.t('recovery.done_lead'),
    body: html``,
    messages,
    tenantName: tenant.name,
  });
};
