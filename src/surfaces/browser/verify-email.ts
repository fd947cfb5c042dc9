import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Core } from '../../core/index.js';
import { html, sendPage } from '../shared/html.js';
import { tenantOf } from '../shared/tenant.js';
import {
  formField,
  messagesOf,
  refusalText,
  requireCsrf,
  type SelfServiceContext,
  selfServiceContext,
  sendSelfServicePage,
  signInAndContinue,
} from './self-service-page.js';

const addressOf = (request: FastifyRequest): string => {
  const fromForm = formField(request, 'email');
  if (fromForm !== '') return fromForm;
  const { email } = request.query as { email?: unknown };
  return typeof email === 'string' ? email.slice(0, 320) : '';
};

const renderVerify = (
  reply: FastifyReply,
  context: SelfServiceContext,
  state: { status: number; email: string; error?: string; resent?: boolean },
) => {
  const { t } = context;
  const invalid = state.error === undefined ? '' : html` aria-invalid="true" aria-describedby="form-error"`;
  return sendSelfServicePage(reply, context, {
    status: state.status,
    title: t('verify.title'),
    lead: state.resent === true ? t('verify.resent', { email: state.email }) : t('verify.lead', { email: state.email }),
    ...(state.error === undefined ? {} : { error: state.error }),
    body: html`<form method="post" action="${context.pageUrl('verify')}">
        ${context.csrf}
        <input type="hidden" name="email" value="${state.email}">
        <label for="code">${t('verify.code_label')}</label>
        <input id="code" name="code" type="text" inputmode="numeric" autocomplete="one-time-code" required
          pattern="[0-9 ]{6,7}" maxlength="7"${invalid}>
        <button type="submit">${t('verify.submit')}</button>
      </form>
      <form method="post" action="${`${context.pageUrl('verify')}/resend`}">
        ${context.csrf}
        <input type="hidden" name="email" value="${state.email}">
        <button type="submit" class="secondary">${t('verify.resend')}</button>
      </form>`,
  });
};

/** `GET /t/{tenant}/sign-in/{request}/verify?email=…`: after a sign-up, the code mailed to the address. */
export const showVerify = (core: Core) => async (request: FastifyRequest, reply: FastifyReply) => {
  const context = await selfServiceContext(core, request);
  return renderVerify(reply, context, { status: 200, email: addressOf(request) });
};

/** `POST` of the same page: the code verifies the address, signs the account in and continues the request. */
export const submitVerify = (core: Core) => async (request: FastifyRequest, reply: FastifyReply) => {
  const context = await selfServiceContext(core, request);
  requireCsrf(context.binding, formField(request, 'csrf'));
  const email = addressOf(request);
  try {
    const user = await core.selfService.verification.withCode({
      tenant: context.tenant,
      email,
      code: formField(request, 'code'),
      ip: request.ip,
    });
    return await signInAndContinue(core, request, reply, context, {
      user,
      amr: ['otp'],
      authTime: core.clock.now(),
    });
  } catch (error) {
    const refusal = refusalText(context.t, error, reply);
    if (refusal === undefined) throw error;
    return renderVerify(reply, context, { status: refusal.status, email, error: refusal.message });
  }
};

/** `POST …/verify/resend`: a new code (the same page and words whether or not one was sent). */
export const resendVerify = (core: Core) => async (request: FastifyRequest, reply: FastifyReply) => {
  const context = await selfServiceContext(core, request);
  requireCsrf(context.binding, formField(request, 'csrf'));
  const email = addressOf(request);
  try {
    await core.selfService.verification.resend({
      tenant: context.tenant,
      email,
      locale: context.messages.locale,
      ip: request.ip,
    });
    return renderVerify(reply, context, { status: 200, email, resent: true });
  } catch (error) {
    const refusal = refusalText(context.t, error, reply);
    if (refusal === undefined) throw error;
    return renderVerify(reply, context, { status: refusal.status, email, error: refusal.message });
  }
};

const linkToken = (request: FastifyRequest): string => {
  const source = (request.method === 'POST' ? request.body : request.query) as { token?: unknown } | undefined;
  return typeof source?.token === 'string' ? source.token.slice(0, 200) : '';
};

/**
 * `GET /t/{tenant}/verify-email?token=…`: the link of a verification mail. Opening it changes nothing (mail scanners
 * open links); the person confirms with a button.
 */
export const showVerifyLink = (core: Core) => async (request: FastifyRequest, reply: FastifyReply) => {
  const tenant = tenantOf(request);
  const { t, locale } = messagesOf(request);
  return sendPage(reply, {
    status: 200,
    lang: locale,
    title: `${t('verify.link_title')} – ${tenant.name}`,
    body: html`<h1>${t('verify.link_title')}</h1>
      <p class="muted">${t('verify.link_lead', { tenant: tenant.name })}</p>
      <form method="post" action="${`${core.tokens.issuerOf(tenant.id)}/verify-email`}">
        <input type="hidden" name="token" value="${linkToken(request)}">
        <button type="submit">${t('verify.link_submit')}</button>
      </form>`,
  });
};

/** `POST` of the same URL: verifies the address, once. */
export const submitVerifyLink = (core: Core) => async (request: FastifyRequest, reply: FastifyReply) => {
  const tenant = tenantOf(request);
  const messages = messagesOf(request);
  const { t } = messages;
  try {
    await core.selfService.verification.withLink({ tenant, token: linkToken(request), ip: request.ip });
  } catch (error) {
    const refusal = refusalText(t, error, reply);
    if (refusal === undefined) throw error;
    return sendSelfServicePage(reply, undefined, {
      status: refusal.status,
      title: t('verify.link_title'),
      error: t('verify.link_invalid'),
      body: html``,
      messages,
      tenantName: tenant.name,
    });
  }
  return sendSelfServicePage(reply, undefined, {
    status: 200,
    title: t('verify.done_title'),
    lead: t('verify.done_lead'),
    body: html``,
    messages,
    tenantName: tenant.name,
  });
};
