import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Core } from '../../core/index.js';
import { html, sendPage } from '../shared/html.js';
import { pageContext, pageIn } from './page-context.js';

/** The link's token: in the query of the link, in the form of the confirmation (never in a logged path). */
const params = (request: FastifyRequest) => {
  const { tenant } = request.params as { tenant: string };
  const source = (request.method === 'POST' ? request.body : request.query) as { token?: unknown } | undefined;
  const token = typeof source?.token === 'string' ? source.token : '';
  return { tenant, token };
};

/**
 * `GET /t/{tenant}/mfa/email?token=…`: the link of a sign-in email. Opening it changes nothing (mail scanners open
 * links); the person confirms with a button.
 */
export const showEmailLink = (core: Core) => async (request: FastifyRequest, reply: FastifyReply) => {
  const { tenant: tenantId, token } = params(request);
  const tenant = await core.tenants.require(tenantId);
  const context = pageContext(request, tenant);
  const { t } = context.messages;
  return sendPage(
    reply,
    pageIn(context, {
      status: 200,
      title: t('mfa.email_link.title'),
      body: html`<h1>${t('mfa.email_link.heading')}</h1>
      <p class="muted">${t('mfa.email_link.only_if', { name: context.brand.name })}</p>
      <form method="post" action="${`${core.settings.publicUrl}/t/${tenant.id}/mfa/email`}">
        <input type="hidden" name="token" value="${token}">
        <button type="submit">${t('mfa.email_link.approve')}</button>
      </form>`,
    }),
  );
};

/** `POST` of the same URL: approves the sign-in, once; the waiting page continues by itself (or with its button). */
export const approveEmailLink = (core: Core) => async (request: FastifyRequest, reply: FastifyReply) => {
  const { tenant: tenantId, token } = params(request);
  const tenant = await core.tenants.require(tenantId);
  await core.mfa.approveEmailLink(tenant.id, token);
  const context = pageContext(request, tenant);
  const { t } = context.messages;
  return sendPage(
    reply,
    pageIn(context, {
      status: 200,
      title: t('mfa.email_link.approved_title'),
      body: html`<h1>${t('mfa.email_link.approved_title')}</h1>
      <p>${t('mfa.email_link.approved_body')}</p>`,
    }),
  );
};
