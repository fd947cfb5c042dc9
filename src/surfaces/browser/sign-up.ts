import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Core } from '../../core/index.js';
import { html } from '../shared/html.js';
import { selfServicePageUrl, signInPageUrl } from '../shared/paths.js';
import { tenantOf } from '../shared/tenant.js';
import {
  formField,
  refusalText,
  requireCsrf,
  type SelfServiceContext,
  selfServiceContext,
  sendSelfServicePage,
} from './self-service-page.js';

const renderSignUp = (
  reply: FastifyReply,
  context: SelfServiceContext,
  state: { status: number; email?: string; name?: string; error?: string },
) => {
  const { t } = context;
  const invalid = state.error === undefined ? '' : html` aria-invalid="true" aria-describedby="form-error"`;
  return sendSelfServicePage(reply, context, {
    status: state.status,
    title: t('signup.title'),
    lead: t('signup.lead', { tenant: context.tenant.name }),
    ...(state.error === undefined ? {} : { error: state.error }),
    body: html`<form method="post" action="${context.pageUrl('sign-up')}">
        ${context.csrf}
        <label for="name">${t('signup.name_label')}</label>
        <input id="name" name="name" type="text" autocomplete="name" maxlength="200" value="${state.name ?? ''}">
        <label for="email">${t('signup.email_label')}</label>
        <input id="email" name="email" type="email" autocomplete="email" required maxlength="320"
          value="${state.email ?? ''}"${invalid}>
        <label for="password">${t('signup.password_label')}</label>
        <input id="password" name="password" type="password" autocomplete="new-password" required minlength="8"
          maxlength="128" aria-describedby="password-hint"${invalid}>
        <p class="muted" id="password-hint">${t('signup.password_hint', { min: 8 })}</p>
        <button type="submit">${t('signup.submit')}</button>
      </form>`,
  });
};

/** `GET /t/{tenant}/sign-up/{request}`: the sign-up page's public address; it lives under the request's sign-in page. */
export const redirectToSignUp = (core: Core) => async (request: FastifyRequest, reply: FastifyReply) => {
  const tenant = tenantOf(request);
  const { request: id } = request.params as { request: string };
  return reply.redirect(selfServicePageUrl(signInPageUrl(core.tokens.issuerOf(tenant.id), id), 'sign-up'), 303);
};

/** `GET /t/{tenant}/sign-in/{request}/sign-up`: the sign-up form of a pending authorization request. */
export const showSignUp = (core: Core) => async (request: FastifyRequest, reply: FastifyReply) => {
  const context = await selfServiceContext(core, request);
  core.selfService.requireOffered(context.tenant, 'passwordSignup');
  const hint = context.pending.params.loginHint;
  return renderSignUp(reply, context, { status: 200, ...(hint === undefined ? {} : { email: hint }) });
};

/**
 * `POST` of the same page: creates the account (or, for a taken address, mails its owner a note) and goes on to the
 * verification page, which says the same in both cases: check your mail.
 */
export const submitSignUp = (core: Core) => async (request: FastifyRequest, reply: FastifyReply) => {
  const context = await selfServiceContext(core, request);
  requireCsrf(context.binding, formField(request, 'csrf'));
  const email = formField(request, 'email').trim();
  const name = formField(request, 'name').trim();
  try {
    const { email: address } = await core.selfService.signUp({
      tenant: context.tenant,
      email,
      password: formField(request, 'password'),
      ...(name === '' ? {} : { displayName: name }),
      locale: context.messages.locale,
      ip: request.ip,
    });
    const next = new URL(context.pageUrl('verify'));
    next.searchParams.set('email', address);
    return reply.redirect(next.href, 303);
  } catch (error) {
    const refusal = refusalText(context.t, error, reply);
    if (refusal === undefined) throw error;
    return renderSignUp(reply, context, { status: refusal.status, email, name, error: refusal.message });
  }
};
