import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Core } from '../../core/index.js';
import { html } from '../shared/html.js';
import {
  formField,
  refusalText,
  requireCsrf,
  type SelfServiceContext,
  selfServiceContext,
  sendSelfServicePage,
  signInAndContinue,
} from './self-service-page.js';

const invalidMark = (error: string | undefined) =>
  error === undefined ? '' : html` aria-invalid="true" aria-describedby="form-error"`;

/** The address form, or (once a code was mailed) the code form. */
const renderCodeSignIn = (
  reply: FastifyReply,
  context: SelfServiceContext,
  state: { status: number; email?: string; sent: boolean; error?: string },
) => {
  const { t } = context;
  const action = context.pageUrl('code');
  return sendSelfServicePage(reply, context, {
    status: state.status,
    title: t('code_sign_in.title'),
    lead: state.sent ? t('code_sign_in.sent', { email: state.email ?? '' }) : t('code_sign_in.lead'),
    ...(state.error === undefined ? {} : { error: state.error }),
    body: state.sent
      ? html`<form method="post" action="${`${action}/answer`}">
        ${context.csrf}
        <input type="hidden" name="email" value="${state.email ?? ''}">
        <label for="code">${t('code_sign_in.code_label')}</label>
        <input id="code" name="code" type="text" inputmode="numeric" autocomplete="one-time-code" required
          pattern="[0-9 ]{6,7}" maxlength="7"${invalidMark(state.error)}>
        <button type="submit">${t('code_sign_in.answer_submit')}</button>
      </form>`
      : html`<form method="post" action="${action}">
        ${context.csrf}
        <label for="email">${t('code_sign_in.email_label')}</label>
        <input id="email" name="email" type="email" autocomplete="email" required maxlength="320"
          value="${state.email ?? ''}"${invalidMark(state.error)}>
        <button type="submit">${t('code_sign_in.submit')}</button>
      </form>`,
  });
};

/** `GET /t/{tenant}/sign-in/{request}/code`: sign in with a code mailed to the address (where the tenant enabled it). */
export const showCodeSignIn = (core: Core) => async (request: FastifyRequest, reply: FastifyReply) => {
  const context = await selfServiceContext(core, request);
  core.selfService.requireOffered(context.tenant, 'codeSignIn');
  const hint = context.pending.params.loginHint;
  return renderCodeSignIn(reply, context, { status: 200, sent: false, ...(hint === undefined ? {} : { email: hint }) });
};

/** `POST` of the same page: mails a code (the page says the same whether or not the address has an account). */
export const submitCodeSignIn = (core: Core) => async (request: FastifyRequest, reply: FastifyReply) => {
  const context = await selfServiceContext(core, request);
  requireCsrf(context.binding, formField(request, 'csrf'));
  const email = formField(request, 'email').trim();
  try {
    const { email: address } = await core.selfService.codeSignIn.start({
      tenant: context.tenant,
      email,
      locale: context.messages.locale,
      ip: request.ip,
    });
    return renderCodeSignIn(reply, context, { status: 200, sent: true, email: address });
  } catch (error) {
    const refusal = refusalText(context.t, error, reply);
    if (refusal === undefined) throw error;
    return renderCodeSignIn(reply, context, { status: refusal.status, sent: false, email, error: refusal.message });
  }
};

/** `POST …/code/answer`: the code signs the account in (or creates it) and the request continues to the client. */
export const answerCodeSignIn = (core: Core) => async (request: FastifyRequest, reply: FastifyReply) => {
  const context = await selfServiceContext(core, request);
  requireCsrf(context.binding, formField(request, 'csrf'));
  const email = formField(request, 'email');
  try {
    const signedIn = await core.selfService.codeSignIn.complete({
      tenant: context.tenant,
      email,
      code: formField(request, 'code'),
      ip: request.ip,
    });
    return await signInAndContinue(core, request, reply, context, signedIn);
  } catch (error) {
    const refusal = refusalText(context.t, error, reply);
    if (refusal === undefined) throw error;
    return renderCodeSignIn(reply, context, { status: refusal.status, sent: true, email, error: refusal.message });
  }
};
